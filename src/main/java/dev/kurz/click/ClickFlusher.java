package dev.kurz.click;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Persists the recorder's counts: journals them every flush interval, folds the journal into the
 * roll-ups every fold interval, and does both once more on close.
 *
 * <p>Each flush drains the recorder's counters, classifies each distinct user agent (on this
 * thread, through the {@link UserAgents} cache, never on an event loop), rolls the clicks up into
 * hourly totals, daily dimension counts and orphan visits, and appends them as one
 * {@link ClickBatch}, one {@code click_journal} row, in one transaction: once that commits the
 * clicks are durable. Every fold interval ({@code KURZ_CLICK_FOLD_MS}, 10 s by default) one
 * transaction adds this node's journaled batches to the roll-ups and deletes them. A link clicked
 * every second then costs its roll-up rows one write per fold instead of one per second (the
 * roll-ups were 13% of the machine under {@code redirect-hot}, see docs/BENCHMARKS.md), and the
 * statistics trail by up to one fold interval. A link's total ({@code clicks}) stays exact: this
 * node's per-link unflushed counters are lowered only once a fold has put the clicks into
 * {@code links.clicks} (under the recorder's write lock, see {@link ClickRecorder}).
 *
 * <p>A node that dies leaves journal rows behind; any node folds rows older than three fold
 * intervals along with its own, so they reach the roll-ups within about four. The store makes sure
 * two nodes never fold one row twice; if a live but stalled node's rows are taken that way, its
 * link totals read high (its unflushed counters still hold them) until its next fold.
 *
 * <p>Retries without double counting: if a journal commit fails, the batch is kept as it is and
 * retried first at the next flush, under the same ledger id. If the failed transaction changed
 * nothing, the retry applies it; if it did commit and only the answer was lost, the ledger says
 * so and the retry applies nothing. New clicks meanwhile go to the next batch. The held batch
 * counts against {@code KURZ_CLICK_MAX_PENDING} (see {@link ClickRecorder}); when the bound drops
 * clicks, this thread logs it (once when it starts, then at most once a minute), never the
 * redirect path. A failed fold changes nothing and is tried again at the next flush.
 *
 * <p>Failure bound: a process killed without shutdown loses the clicks of at most one flush
 * interval (plus the batch being committed, if the kill lands mid-commit). A graceful close loses
 * none, unless the database is unreachable then too.
 */
public final class ClickFlusher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClickFlusher.class);
    private static final long DROP_LOG_EVERY_MS = 60_000;
    /**
     * Roll-up rows one fold transaction takes on, about: a link clicked every second gets one row
     * per fold however many seconds are folded, so ten seconds of 10,000 busy links (50,000 rows)
     * fold in one; ten seconds of 40,000 links clicked once each a second (redirect-cold over ten
     * million links, five rows per click) fold a second at a time, so no fold holds its locks, or
     * the heap, for long. Not less: PostgreSQL's cost per link falls steeply with the links one
     * statement writes (bench/fold-floor, ten million rows: 43 us per link at 20,000 links a
     * statement, 18 at 100,000), and 100,000 rows here were about 20,000 links. In the growth
     * benchmark, 200,000 took PostgreSQL from 67.5 to 53.2 us per redirect (docs/BENCHMARKS.md).
     */
    static final int FOLD_MAX_ROWS = 200_000;

    private final ClickRecorder recorder;
    private final ClickStore store;
    private final Clock clock;
    private final long intervalMs;
    /** A journal row this old was left by a node that died: three of its folds would have taken it. */
    private final long staleAfterMs;
    private final ScheduledExecutorService timer;
    /** This process's name in the batch ledger and the journal; batches are numbered from 1. */
    private final String node = UUID.randomUUID().toString();
    private long seq;
    /** A batch whose journal commit failed; retried before anything else. Flusher thread only. */
    private ClickBatch held;
    /** Per journaled batch not yet known to be folded, by seq: its human clicks per link. Flusher thread only. */
    private final NavigableMap<Long, Map<Long, Long>> journaledHumans = new TreeMap<>();
    /** A fold failed: the next flush tries again. Flusher thread only. */
    private boolean foldOwed;
    private volatile boolean failing;
    private final AtomicLong failedFlushes = new AtomicLong();
    private final AtomicLong committedBatches = new AtomicLong();
    private final AtomicLong folds = new AtomicLong();
    /** When the counts were last all journaled (a flush that left nothing behind), clock millis. */
    private volatile long flushedUpTo;
    /** When the roll-ups last took in everything this node had journaled, clock millis. */
    private volatile long foldedUpTo;
    private long droppedLogged;
    private long lastDropLogAt;

    private ClickFlusher(ClickRecorder recorder, ClickStore store, Clock clock, Duration interval, Duration foldEvery) {
        this.recorder = recorder;
        this.store = store;
        this.clock = clock;
        this.intervalMs = interval.toMillis();
        this.staleAfterMs = 3 * foldEvery.toMillis();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kurz-click-flusher");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts journaling every {@code interval} and folding every {@code foldEvery}. */
    public static ClickFlusher start(ClickRecorder recorder, ClickStore store, Clock clock, Duration interval,
                                     Duration foldEvery) {
        var flusher = new ClickFlusher(recorder, store, clock, interval, foldEvery);
        long now = clock.millis();
        flusher.flushedUpTo = now;
        flusher.foldedUpTo = now;
        long ms = interval.toMillis();
        flusher.timer.scheduleWithFixedDelay(() -> flusher.quietly(false), ms, ms, TimeUnit.MILLISECONDS);
        long foldMs = foldEvery.toMillis();
        flusher.timer.scheduleWithFixedDelay(() -> flusher.quietly(true), foldMs, foldMs, TimeUnit.MILLISECONDS);
        return flusher;
    }

    /** Journals everything counted so far and folds it into the roll-ups, now; waits for it. */
    public void flushNow() {
        run(() -> flush(true));
    }

    /** One flush-interval tick, now: journals (and retries a failed fold). A test seam. */
    void tick() {
        run(() -> flush(false));
    }

    private void run(Runnable work) {
        try {
            timer.submit(work).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Flushes and folds that failed so far (each is retried). */
    public long failedFlushes() {
        return failedFlushes.get();
    }

    private void quietly(boolean fold) {
        try {
            flush(fold);
            if (failing) {
                failing = false;
                log.info("click flush recovered");
            }
        } catch (RuntimeException e) {
            failedFlushes.incrementAndGet();
            if (!failing) {
                failing = true;
                log.warn("click flush failed, counts kept and retried: {}", e.getMessage());
            }
        } finally {
            reportDrops();
        }
    }

    /** Batches journaled so far (each one transaction). */
    public long committedBatches() {
        return committedBatches.get();
    }

    /** Folds committed so far (each one transaction). */
    public long folds() {
        return folds.get();
    }

    /** How far the durable counts trail now: the time since a flush last left nothing behind. */
    public Duration lag() {
        return Duration.ofMillis(Math.max(0, clock.millis() - flushedUpTo));
    }

    /** How far the roll-ups (statistics) trail this node's counts: the time since its last fold. */
    public Duration foldLag() {
        return Duration.ofMillis(Math.max(0, clock.millis() - foldedUpTo));
    }

    private void flush(boolean fold) {
        long started = clock.millis();
        journalPending(started);
        if (fold || foldOwed) {
            foldOwed = true; // until a fold succeeds
            fold(started);
            foldOwed = false;
        }
    }

    /** Journals the held batch, if any, then everything counted since the last flush. */
    private void journalPending(long started) {
        if (held != null) {
            journal(held);
            held = null;
            recorder.heldRows = 0;
        }
        ClickBatch batch = drain();
        if (!batch.isEmpty()) {
            try {
                journal(batch);
            } catch (RuntimeException e) {
                held = batch;
                recorder.heldRows = batch.rows();
                throw e;
            }
        }
        flushedUpTo = started;
    }

    private void journal(ClickBatch batch) {
        store.journal(batch); // written now, or found in the ledger: journaled either way
        committedBatches.incrementAndGet();
        journaledHumans.put(batch.seq(), batch.humanPerLink());
    }

    /**
     * Folds this node's journal as it stands (and stale rows of dead nodes), in transactions of
     * about {@link #FOLD_MAX_ROWS}. Once a transaction commits, every batch of this node up to the
     * last it folded is in the roll-ups (folded now, or earlier by a node that took it for stale),
     * so their clicks leave the unflushed counters, in the same write-locked step readers wait for.
     * Between transactions the flush interval's journaling goes on, keeping the crash bound.
     */
    private void fold(long now) {
        long upTo = seq;
        long staleBefore = now - staleAfterMs;
        var lock = recorder.commitLock.writeLock();
        for (boolean more = true; more; ) {
            lock.lock();
            try {
                ClickStore.Folded folded = store.fold(node, upTo, staleBefore, FOLD_MAX_ROWS);
                more = folded.more();
                settle(more ? folded.lastOwnSeq() : upTo);
            } finally {
                lock.unlock();
            }
            if (more && clock.millis() - flushedUpTo >= intervalMs) {
                journalPending(clock.millis());
            }
        }
        folds.incrementAndGet();
        foldedUpTo = now;
    }

    /** The batches up to {@code seq} are in {@code links.clicks}: their clicks are no longer unflushed. */
    private void settle(long seq) {
        var folded = journaledHumans.headMap(seq, true);
        folded.values().forEach(humans -> humans.forEach(recorder.unflushed::subtract));
        folded.clear();
    }

    /** Drains the counters and rolls them up; parses user agents the cache doesn't know yet. */
    private ClickBatch drain() {
        List<ClickRecorder.Click> keys = new ArrayList<>();
        List<Long> counts = new ArrayList<>();
        recorder.clicks.drain((key, n) -> {
            keys.add(key);
            counts.add(n);
        });
        var sum = new ClickBatch.Sum();
        for (int i = 0; i < keys.size(); i++) {
            ClickRecorder.Click click = keys.get(i);
            long n = counts.get(i);
            Visit visit = click.visit();
            UserAgents.Agent agent = recorder.agents.resolve(visit.userAgent());
            boolean bot = visit.bot();
            long link = click.linkId();
            sum.hourly(link, click.hour(), bot ? 0 : n, bot ? n : 0);
            if (!bot) {
                sum.humans(link, n);
            }
            int day = click.hour() / 24;
            sum.dim(link, day, Dimension.REFERRER, visit.referrer(), n);
            sum.dim(link, day, Dimension.BROWSER, agent.browser(), n);
            sum.dim(link, day, Dimension.OS, agent.os(), n);
            sum.dim(link, day, Dimension.DEVICE, bot ? "bot" : agent.device(), n);
            if (visit.country() != null) {
                sum.dim(link, day, Dimension.COUNTRY, visit.country(), n);
            }
        }
        recorder.orphans.drain((key, n) -> sum.orphan(key.day(), key.code(), n));
        return sum.batch(node, ++seq, clock.millis());
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

    /** Stops the timer and writes what is left, into the roll-ups. */
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
