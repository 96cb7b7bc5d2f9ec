package dev.kurz.click;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A map of keys to counts that many threads add to while one thread drains it, without a
 * lock and without ever losing an increment.
 *
 * <p>The hard part is removing keys (otherwise the map only grows): a writer may have fetched the
 * counter just before it is removed. So the one thread that removes (a drain, or a subtract that
 * reaches zero) first retires the counter by swapping in a negative sentinel, taking whatever
 * count it held, then removes it; a writer that finds its counter retired (its add returned a
 * negative value) drops it and retries with a fresh one. An add on a retired counter is never
 * read by anyone, and the retry makes sure it lands once.
 *
 * <p>Only one thread may call {@link #drain} or {@link #subtract} at a time (the flusher).
 */
final class Counters<K> {

    /** Receives one drained (key, count) pair. */
    @FunctionalInterface
    interface Sink<K> {
        void accept(K key, long count);
    }

    private static final long RETIRED = Long.MIN_VALUE / 2;

    private final ConcurrentHashMap<K, AtomicLong> counts = new ConcurrentHashMap<>();

    void add(K key, long n) {
        while (true) {
            AtomicLong counter = counts.get(key);
            if (counter == null) {
                counter = counts.computeIfAbsent(key, k -> new AtomicLong());
            }
            if (counter.getAndAdd(n) >= 0) {
                return;
            }
            counts.remove(key, counter);
        }
    }

    long get(K key) {
        AtomicLong counter = counts.get(key);
        long v = counter == null ? 0 : counter.get();
        return Math.max(v, 0);
    }

    /** Subtracts {@code n} that was counted before (flushed), retiring the counter if it hits zero. */
    void subtract(K key, long n) {
        AtomicLong counter = counts.get(key);
        if (counter == null) {
            throw new IllegalStateException("no count to subtract " + n + " from for key " + key);
        }
        if (counter.addAndGet(-n) == 0 && counter.compareAndSet(0, RETIRED)) {
            counts.remove(key, counter);
        }
    }

    /**
     * Hands every non-zero count to {@code sink} and retires its counter, so the map holds only
     * keys counted since the last drain (what the memory bound measures). A writer holding a
     * drained counter finds it retired and starts a fresh one.
     */
    void drain(Sink<K> sink) {
        counts.forEach((key, counter) -> {
            long v = counter.get();
            if (v < 0) {
                return; // retired, a writer is replacing it
            }
            v = counter.getAndSet(RETIRED);
            counts.remove(key, counter);
            if (v > 0) {
                sink.accept(key, v);
            }
        });
    }

    /** Whether {@code key} has a live counter (an add to it will not grow the map). */
    boolean contains(K key) {
        return counts.containsKey(key);
    }

    int size() {
        return counts.size();
    }
}
