package dev.kurz.click;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the recorder's counts to the {@link ClickStore} every interval and once more on close.
 *
 * <p>Each flush drains the recorder's counters, classifies each distinct user agent (on this
 * thread, through the {@link UserAgents} cache, never on an event loop), rolls the clicks up into
 * hourly totals, daily dimension counts and orphan visits, and commits them as one
 * {@link ClickBatch} in one transaction. Only after the commit are the per-link unflushed counters
 * lowered (under the recorder's write lock, see {@link ClickRecorder}).
 *
 * <p>Retries without double counting: if the commit fails, the batch is kept as it is and retried
 * first at the next flush, under the same ledger id. If the failed transaction changed nothing,
 * the retry applies it; if it did commit and only the answer was lost, the ledger says so and the
 * retry applies nothing. New clicks meanwhile go to the next batch. The held batch counts against
 * {@code KURZ_CLICK_MAX_PENDING} (see {@link ClickRecorder}); when the bound drops clicks, this
 * thread logs it (once when it starts, then at most once a minute), never the redirect path.
 *
 * <p>Failure bound: a process killed without shutdown loses the clicks of at most one interval
 * (plus the batch being committed, if the kill lands mid-commit). A graceful close loses none,
 * unless the database is unreachable then too.
 */
public final class ClickFlusher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClickFlusher.class);
    private static final long DROP_LOG_EVERY_MS = 60_000;

    private final ClickRecorder recorder;
    private final ClickStore store;
    private final Clock clock;
    private final ScheduledExecutorService timer;
    /** This process's name in the batch ledger; batches are numbered from 1. */
    private final String node = UUID.randomUUID().toString();
    private long seq;
    /** A batch whose commit failed; retried before anything else. Flusher thread only. */
    private ClickBatch held;
    private volatile boolean failing;
    private final AtomicLong failedFlushes = new AtomicLong();
    private final AtomicLong committedBatches = new AtomicLong();
    /** When the counts were last all written (a flush that left nothing behind), clock millis. */
    private volatile long flushedUpTo;
    private long droppedLogged;
    private long lastDropLogAt;

    private ClickFlusher(ClickRecorder recorder, ClickStore store, Clock clock) {
        this.recorder = recorder;
        this.store = store;
        this.clock = clock;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kurz-click-flusher");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts flushing every {@code interval}. */
    public static ClickFlusher start(ClickRecorder recorder, ClickStore store, Clock clock, Duration interval) {
        var flusher = new ClickFlusher(recorder, store, clock);
        flusher.flushedUpTo = clock.millis();
        long ms = interval.toMillis();
        flusher.timer.scheduleWithFixedDelay(flusher::flushQuietly, ms, ms, TimeUnit.MILLISECONDS);
        return flusher;
    }

    /** Writes everything counted so far, now, on the flusher's thread; waits for it. */
    public void flushNow() {
        try {
            timer.submit(this::flush).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Flushes that failed so far (each is retried). */
    public long failedFlushes() {
        return failedFlushes.get();
    }

    private void flushQuietly() {
        try {
            flush();
            if (failing) {
                failing = false;
                log.info("click flush recovered");
            }
        } catch (RuntimeException e) {
            failedFlushes.incrementAndGet();
            if (!failing) {
                failing = true;
                log.warn("click flush failed, counts kept in memory and retried: {}", e.getMessage());
            }
        } finally {
            reportDrops();
        }
    }

    /** Batches committed so far (each one transaction). */
    public long committedBatches() {
        return committedBatches.get();
    }

    /** How far the written counts trail now: the time since a flush last left nothing behind. */
    public Duration lag() {
        return Duration.ofMillis(Math.max(0, clock.millis() - flushedUpTo));
    }

    private void flush() {
        long started = clock.millis();
        if (held != null) {
            commit(held);
            held = null;
            recorder.heldRows = 0;
        }
        ClickBatch batch = drain();
        if (!batch.isEmpty()) {
            try {
                commit(batch);
            } catch (RuntimeException e) {
                held = batch;
                recorder.heldRows = batch.rows();
                throw e;
            }
        }
        flushedUpTo = started;
    }

    private void commit(ClickBatch batch) {
        var lock = recorder.commitLock.writeLock();
        lock.lock();
        try {
            store.add(batch); // applied now, or found in the ledger: committed either way
            committedBatches.incrementAndGet();
            batch.humanPerLink().forEach(recorder.unflushed::subtract);
        } finally {
            lock.unlock();
        }
    }

    /** Drains the counters and rolls them up; parses user agents the cache doesn't know yet. */
    private ClickBatch drain() {
        List<ClickRecorder.Click> keys = new ArrayList<>();
        List<Long> counts = new ArrayList<>();
        recorder.clicks.drain((key, n) -> {
            keys.add(key);
            counts.add(n);
        });
        Map<HourKey, long[]> hourly = new HashMap<>(); // -> {humans, bots}
        Map<DimKey, long[]> dims = new HashMap<>();
        Map<Long, Long> humanPerLink = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            ClickRecorder.Click click = keys.get(i);
            long n = counts.get(i);
            Visit visit = click.visit();
            UserAgents.Agent agent = recorder.agents.resolve(visit.userAgent());
            boolean bot = visit.bot();
            hourly.computeIfAbsent(new HourKey(click.linkId(), click.hour()), k -> new long[2])[bot ? 1 : 0] += n;
            if (!bot) {
                humanPerLink.merge(click.linkId(), n, Long::sum);
            }
            int day = click.hour() / 24;
            add(dims, click.linkId(), day, Dimension.REFERRER, visit.referrer(), n);
            add(dims, click.linkId(), day, Dimension.BROWSER, agent.browser(), n);
            add(dims, click.linkId(), day, Dimension.OS, agent.os(), n);
            add(dims, click.linkId(), day, Dimension.DEVICE, bot ? "bot" : agent.device(), n);
            if (visit.country() != null) {
                add(dims, click.linkId(), day, Dimension.COUNTRY, visit.country(), n);
            }
        }
        List<OrphanVisits> orphans = new ArrayList<>();
        recorder.orphans.drain((key, n) -> orphans.add(new OrphanVisits(key.day(), key.code(), n)));

        // In no particular order: the store locks the links in id order first (see SqlClickStore).
        // Orphan rows have no link to lock, so they are sorted: two nodes then take them in the
        // same order and cannot deadlock.
        var hourRows = new ArrayList<HourlyClicks>(hourly.size());
        hourly.forEach((k, v) -> hourRows.add(new HourlyClicks(k.linkId, k.hour, v[0], v[1])));
        var dimRows = new ArrayList<DimClicks>(dims.size());
        dims.forEach((k, v) -> dimRows.add(new DimClicks(k.linkId, k.day, k.dim, k.value, v[0])));
        orphans.sort(Comparator.comparingLong(OrphanVisits::day).thenComparing(OrphanVisits::code));
        return new ClickBatch(node, ++seq, clock.millis(), hourRows, dimRows, orphans, humanPerLink);
    }

    private record HourKey(long linkId, int hour) {}

    private record DimKey(long linkId, int day, Dimension dim, String value) {}

    private static void add(Map<DimKey, long[]> dims, long linkId, int day, Dimension dim, String value, long n) {
        dims.computeIfAbsent(new DimKey(linkId, day, dim, value), k -> new long[1])[0] += n;
    }

    private void reportDrops() {
        long dropped = recorder.dropped();
        if (dropped == droppedLogged) {
            return;
        }
        long now = System.currentTimeMillis();
        if (droppedLogged != 0 && now - lastDropLogAt < DROP_LOG_EVERY_MS) {
            return;
        }
        log.warn("click buffer full ({} counters waiting for the database, KURZ_CLICK_MAX_PENDING): "
                + "dropped {} clicks since the last report, {} in total", recorder.pending(), dropped - droppedLogged,
                dropped);
        droppedLogged = dropped;
        lastDropLogAt = now;
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

    /**
     * Stops the timer without writing what is left, as a killed process would. A test seam for
     * the loss bound; a real stop calls {@link #close}. Waits for a flush in progress to end.
     */
    public void abandon() {
        timer.shutdown();
        try {
            timer.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
