package dev.kurz.click;

import dev.kurz.link.Link;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * Counts clicks in memory so a redirect never waits for the database; {@link ClickFlusher}
 * persists them in batches.
 *
 * <p>Two sets of counters: per (link, hour), what the flusher writes; and per link, everything
 * not yet committed, so a reader can show exact totals (stored + unflushed) and {@code maxClicks}
 * can be enforced before the counts reach the database.
 *
 * <p>Consistency: a reader must not see a batch both in the database and in memory. The flusher
 * commits a batch and subtracts it from the unflushed counters under the write lock; readers that
 * combine a database read with the unflushed counters do so under the read lock
 * ({@link #withUnflushed}). Recording a click takes no lock.
 *
 * <p>Thread-safe. {@link #record} is lock-free and allocation-light (the event loop calls it).
 */
public final class ClickRecorder {

    // (link id, epoch hour) packed in one long: 22 bits of hour last until the year 2448.
    private static final int HOUR_BITS = 22;
    private static final long MILLIS_PER_HOUR = 3_600_000;

    private final Clock clock;
    final Counters hourly = new Counters();
    final Counters unflushed = new Counters();
    final ReentrantReadWriteLock commitLock = new ReentrantReadWriteLock();

    public ClickRecorder(Clock clock) {
        this.clock = clock;
    }

    /** Counts one click on {@code linkId} now. */
    public void record(long linkId) {
        long hour = clock.millis() / MILLIS_PER_HOUR;
        // Unflushed first: the flusher may subtract what it drains from hourly at any moment,
        // and the unflushed counter must already hold it then.
        unflushed.add(linkId, 1);
        hourly.add(pack(linkId, hour), 1);
    }

    /** Clicks on {@code linkId} counted here and not yet committed. */
    public long unflushed(long linkId) {
        return unflushed.get(linkId);
    }

    /**
     * Runs a store read and adds this node's unflushed clicks to each link's stored total, as one
     * consistent snapshot (no batch counted twice or missed). Blocks while a batch commits.
     */
    public List<Link> withUnflushed(Supplier<List<Link>> storeRead) {
        commitLock.readLock().lock();
        try {
            List<Link> links = storeRead.get();
            var out = new ArrayList<Link>(links.size());
            for (Link l : links) {
                out.add(l.withClicks(l.clicks() + unflushed.get(l.id())));
            }
            return out;
        } finally {
            commitLock.readLock().unlock();
        }
    }

    static long pack(long linkId, long hour) {
        return (linkId << HOUR_BITS) | hour;
    }

    static long linkOf(long packed) {
        return packed >>> HOUR_BITS;
    }

    static long hourOf(long packed) {
        return packed & ((1L << HOUR_BITS) - 1);
    }
}
