package dev.kurz.click;

import dev.kurz.http.Problem;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.LongSupplier;

/**
 * Click statistics from the roll-up tables: per link (totals, a zero-filled time series, top
 * referrers / browsers / OS / devices / countries) and for the whole instance (totals, top links,
 * orphan visits, and this node's click buffer).
 *
 * <p>Figures are what the nodes have folded into the roll-ups: they trail live clicks by up to
 * one fold interval plus one flush interval per node ({@code KURZ_CLICK_FOLD_MS},
 * {@code KURZ_CLICK_FLUSH_MS}), unlike a link's {@code clicks}, which adds this node's clicks not
 * yet folded. {@code human} counts what {@code maxClicks} counts; bots are apart. The
 * totals are the sum of the series, read in the same query; the top lists come from a second
 * query and may include a fold that landed in between.
 *
 * <p>Every method blocks on the store: call from a virtual thread.
 */
final class StatsService {

    /** Statistics of one link. */
    record LinkStats(String code, String from, String to, String interval, Totals totals, List<Point> series,
                     Tops top) {}

    record Totals(long human, long bot) {}

    /** One bucket of the series; {@code t} is its start. */
    record Point(String t, long human, long bot) {}

    /** The most frequent values per dimension over the range's whole UTC days, most clicks first. */
    record Tops(List<Value> referrers, List<Value> browsers, List<Value> os, List<Value> devices,
                List<Value> countries) {}

    record Value(String value, long clicks) {}

    /** Statistics of the whole instance. */
    record InstanceStats(String from, String to, String interval, InstanceTotals totals, List<DayPoint> series,
                         List<TopLink> topLinks, List<TopCode> topOrphanCodes, NodeClicks node) {}

    /** {@code links} is how many exist now; the rest count within the range. */
    record InstanceTotals(long links, long human, long bot, long orphanVisits) {}

    record DayPoint(String t, long human, long bot, long orphanVisits) {}

    record TopLink(String code, long human, long bot) {}

    record TopCode(String code, long visits) {}

    /** This node's click buffer: counters waiting for the database, clicks dropped, failed flushes. */
    record NodeClicks(int pendingCounters, long droppedClicks, long failedFlushes) {}

    private final ClickStore store;
    private final ClickRecorder recorder;
    private final LongSupplier failedFlushes;

    StatsService(ClickStore store, ClickRecorder recorder, LongSupplier failedFlushes) {
        this.store = store;
        this.recorder = recorder;
        this.failedFlushes = failedFlushes;
    }

    LinkStats linkStats(String code, StatsQuery q) {
        long linkId = store.linkId(code).orElseThrow(() -> Problem.notFound("no link with code '" + code + "'"));
        // Two reads of the same rows, one for their values and one for their hours, each with JSON
        // to parse: run them side by side on two connections.
        var topRows = inParallel(() -> store.topValues(linkId, q.fromDay(), q.toDay(), q.top()));
        int n = Math.toIntExact(q.buckets());
        long[] human = new long[n];
        long[] bot = new long[n];
        for (HourlyClicks h : store.hourly(linkId, q.fromHour(), q.toHour())) {
            int i = (int) (q.bucketOfHour(h.hour()) - q.fromBucket());
            human[i] += h.clicks();
            bot[i] += h.bots();
        }
        var series = new ArrayList<Point>(n);
        long totalHuman = 0;
        long totalBot = 0;
        for (int i = 0; i < n; i++) {
            series.add(new Point(iso((q.fromBucket() + i) * q.interval().millis), human[i], bot[i]));
            totalHuman += human[i];
            totalBot += bot[i];
        }
        Map<Dimension, List<Value>> tops = new EnumMap<>(Dimension.class);
        for (Dimension d : Dimension.values()) {
            tops.put(d, new ArrayList<>());
        }
        for (ClickStore.DimCount c : topRows.join()) {
            tops.get(c.dim()).add(new Value(c.value(), c.clicks()));
        }
        return new LinkStats(code, iso(q.fromMillis()), iso(q.toMillis()), q.interval().label(),
                new Totals(totalHuman, totalBot), series,
                new Tops(tops.get(Dimension.REFERRER), tops.get(Dimension.BROWSER), tops.get(Dimension.OS),
                        tops.get(Dimension.DEVICE), tops.get(Dimension.COUNTRY)));
    }

    InstanceStats instanceStats(StatsQuery q) {
        var topLinks = inParallel(() -> store.topLinks(q.fromDay(), q.toDay(), q.top()));
        var topOrphans = inParallel(() -> store.topOrphans(q.fromDay(), q.toDay(), q.top()));
        int n = Math.toIntExact(q.buckets());
        long[] human = new long[n];
        long[] bot = new long[n];
        long[] orphans = new long[n];
        for (ClickStore.DayClicks d : store.dailyTotals(q.fromDay(), q.toDay())) {
            int i = (int) (d.day() - q.fromBucket());
            human[i] += d.clicks();
            bot[i] += d.bots();
        }
        for (ClickStore.DayVisits d : store.orphansPerDay(q.fromDay(), q.toDay())) {
            orphans[(int) (d.day() - q.fromBucket())] += d.visits();
        }
        var series = new ArrayList<DayPoint>(n);
        long totalHuman = 0;
        long totalBot = 0;
        long totalOrphans = 0;
        for (int i = 0; i < n; i++) {
            series.add(new DayPoint(iso((q.fromBucket() + i) * q.interval().millis), human[i], bot[i], orphans[i]));
            totalHuman += human[i];
            totalBot += bot[i];
            totalOrphans += orphans[i];
        }
        long links = store.linkCount();
        return new InstanceStats(iso(q.fromMillis()), iso(q.toMillis()), q.interval().label(),
                new InstanceTotals(links, totalHuman, totalBot, totalOrphans), series,
                topLinks.join().stream().map(l -> new TopLink(l.code(), l.clicks(), l.bots())).toList(),
                topOrphans.join().stream().map(o -> new TopCode(o.code(), o.visits())).toList(),
                new NodeClicks(recorder.pending(), recorder.dropped(), failedFlushes.getAsLong()));
    }

    /** A read started now on a virtual thread of its own; {@link Parallel#join} gets its rows. */
    private static <T> Parallel<T> inParallel(Callable<T> read) {
        var task = new FutureTask<>(read);
        Thread.ofVirtual().name("kurz-stats-read").start(task);
        return new Parallel<>(task);
    }

    private record Parallel<T>(FutureTask<T> task) {
        /** The result; the read's own exception (a StoreException, say) if it failed. */
        T join() {
            try {
                return task.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while reading statistics", e);
            }
        }
    }

    private static String iso(long millis) {
        return Instant.ofEpochMilli(millis).toString();
    }
}
