package dev.kurz.click;

import dev.kurz.config.Settings;
import dev.kurz.link.Link;
import io.vertx.core.http.HttpServerRequest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * Counts clicks in memory so a redirect never waits for the database; {@link ClickFlusher}
 * persists them in batches.
 *
 * <p>Three sets of counters:
 * <ul>
 *   <li>per (link, hour, {@link Visit}): what the flusher turns into hourly counts (humans and
 *       bots apart) and daily dimension counts (referrer, browser, OS, device, country), which
 *       end up in the link's {@code click_days} row for the day. The user agent is kept as
 *       its string and classified at flush time, off the event loop ({@link UserAgents});</li>
 *   <li>per (day, code) for hits on unknown codes (orphan visits);</li>
 *   <li>per link, the human clicks not yet committed, so a reader can show exact totals (stored +
 *       unflushed) and {@code maxClicks} can be enforced before the counts reach the database.
 *       Bots count apart and never toward {@code maxClicks}.</li>
 * </ul>
 *
 * <p>Consistency: a reader must not see a batch both in the database and in memory. The flusher
 * commits a batch and subtracts it from the unflushed counters under the write lock; readers that
 * combine a database read with the unflushed counters do so under the read lock
 * ({@link #withUnflushed}). Recording a click takes no lock.
 *
 * <p>Memory bound: at most {@code KURZ_CLICK_MAX_PENDING} counters wait for the database (plus a
 * failed batch held for retry, which counts against the same bound). While the bound is reached
 * (the database has been down for long), a click that would need a new counter is dropped and
 * counted in {@link #dropped}; the flusher logs it. Clicks that fit an existing counter still
 * count, so a hot link keeps exact totals even then. Orphan visits (attacker-chosen codes) get a
 * tenth of the bound. Never an OutOfMemoryError.
 *
 * <p>Thread-safe. {@link #visit} and {@link #record} are lock-free and allocation-light (the
 * event loop calls them): a Visit, a counter key, and a counter the first time a key is seen.
 */
public final class ClickRecorder {

    private static final long MILLIS_PER_HOUR = 3_600_000;

    /** One counter key: clicks on a link during one epoch hour by one kind of visit. */
    record Click(long linkId, int hour, Visit visit) {}

    /** One orphan counter key: hits on an unknown code during one epoch day (UTC). */
    record Orphan(int day, String code) {}

    private final Clock clock;
    private final VisitReader visits;
    private final int maxPending;
    private final int maxOrphans;
    final UserAgents agents;
    final Counters<Long> unflushed = new Counters<>();
    final Counters<Click> clicks = new Counters<>();
    final Counters<Orphan> orphans = new Counters<>();
    final ReentrantReadWriteLock commitLock = new ReentrantReadWriteLock();
    final LongAdder dropped = new LongAdder();
    /** Rows of a failed batch the flusher holds for retry; written by the flusher only. */
    volatile int heldRows;

    public ClickRecorder(Clock clock, Settings settings) {
        this.clock = clock;
        this.agents = new UserAgents();
        this.visits = new VisitReader(agents, settings.trustedProxies(), settings.countryHeader().orElse(null));
        this.maxPending = settings.clickMaxPending();
        this.maxOrphans = Math.max(1, maxPending / 10);
    }

    /** Reads what a click will be counted as: bot or human, user agent, referrer, country. */
    public Visit visit(HttpServerRequest request) {
        return visits.read(request);
    }

    /** Like {@link #visit(HttpServerRequest)}, from the header values themselves (benchmarks, tests). */
    public Visit visit(String userAgent, String referer, String country) {
        return visits.read(userAgent, referer, country);
    }

    /** Counts one click on {@code linkId} now; human clicks also count toward its total. */
    public void record(long linkId, Visit visit) {
        int hour = (int) (clock.millis() / MILLIS_PER_HOUR);
        Click key = new Click(linkId, hour, visit);
        if (isFull() && !clicks.contains(key)) {
            dropped.increment();
            return;
        }
        // Unflushed first: the flusher may subtract what it drains from the click counters at any
        // moment, and the unflushed counter must already hold it then.
        if (!visit.bot()) {
            unflushed.add(linkId, 1);
        }
        clicks.add(key, 1);
    }

    /**
     * Counts one hit on {@code code}, which names no link. Orphan counters may take a tenth of the
     * bound at most: a scan of random codes during an outage must not crowd out real clicks.
     */
    public void recordOrphan(String code) {
        Orphan key = new Orphan((int) (clock.millis() / MILLIS_PER_HOUR / 24), code);
        if ((isFull() || orphans.size() >= maxOrphans) && !orphans.contains(key)) {
            dropped.increment();
            return;
        }
        orphans.add(key, 1);
    }

    private boolean isFull() {
        return clicks.size() + orphans.size() + heldRows >= maxPending;
    }

    /** Counters waiting for the database, including a batch held for retry. */
    public int pending() {
        return clicks.size() + orphans.size() + heldRows;
    }

    /** Clicks dropped because {@code KURZ_CLICK_MAX_PENDING} counters were already waiting. */
    public long dropped() {
        return dropped.sum();
    }

    /**
     * Runs a store read and adds this node's unflushed clicks to each link's stored total, as one
     * consistent snapshot (no batch counted twice or missed). Blocks while a fold commits, and a
     * fold waits for it, holding up every later reader: a read only, never a write that may wait
     * for locks.
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
}
