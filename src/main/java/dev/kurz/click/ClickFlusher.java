package dev.kurz.click;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the recorder's counts to the {@link ClickStore} every interval and once more on close.
 *
 * <p>Each flush drains the per-(link, hour) counters into one batch and commits it in one
 * transaction; only after the commit are the per-link unflushed counters lowered (under the
 * recorder's write lock, see {@link ClickRecorder}). If the commit fails, the batch goes back into
 * the counters and is retried with the next flush: nothing is lost and, because a failed
 * transaction changed nothing, nothing is counted twice.
 *
 * <p>Failure bound: a process killed without shutdown loses the clicks of at most one interval
 * (plus the batch being committed, if the kill lands mid-commit). A graceful close loses none.
 */
public final class ClickFlusher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClickFlusher.class);

    private final ClickRecorder recorder;
    private final ClickStore store;
    private final ScheduledExecutorService timer;
    private volatile boolean failing;

    private ClickFlusher(ClickRecorder recorder, ClickStore store) {
        this.recorder = recorder;
        this.store = store;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kurz-click-flusher");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts flushing every {@code interval}. */
    public static ClickFlusher start(ClickRecorder recorder, ClickStore store, Duration interval) {
        var flusher = new ClickFlusher(recorder, store);
        long ms = interval.toMillis();
        flusher.timer.scheduleWithFixedDelay(flusher::flushQuietly, ms, ms, TimeUnit.MILLISECONDS);
        return flusher;
    }

    /** Writes everything counted so far, now, on the flusher's thread; waits for it. */
    public void flushNow() {
        try {
            timer.submit(this::flush).get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void flushQuietly() {
        try {
            flush();
            if (failing) {
                failing = false;
                log.info("click flush recovered");
            }
        } catch (RuntimeException e) {
            if (!failing) {
                failing = true;
                log.warn("click flush failed, counts kept in memory and retried: {}", e.getMessage());
            }
        }
    }

    private void flush() {
        List<HourlyClicks> batch = new ArrayList<>();
        recorder.hourly.drain((key, count) ->
                batch.add(new HourlyClicks(ClickRecorder.linkOf(key), ClickRecorder.hourOf(key), count)));
        if (batch.isEmpty()) {
            return;
        }
        var lock = recorder.commitLock.writeLock();
        lock.lock();
        try {
            store.add(batch);
            for (HourlyClicks h : batch) {
                recorder.unflushed.subtract(h.linkId(), h.clicks());
            }
        } catch (RuntimeException e) {
            for (HourlyClicks h : batch) {
                recorder.hourly.add(ClickRecorder.pack(h.linkId(), h.hour()), h.clicks());
            }
            throw e;
        } finally {
            lock.unlock();
        }
    }

    /** Stops the timer and writes what is left. */
    @Override
    public void close() {
        try {
            flushNow();
        } catch (RuntimeException e) {
            log.error("final click flush failed; {} links had unflushed clicks", recorder.unflushed.size(), e);
        }
        timer.shutdown();
    }
}
