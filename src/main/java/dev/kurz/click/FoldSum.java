package dev.kurz.click;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a fold adds up from the journaled batches it takes, already in the shape it writes: per
 * link and day the counts to add to its {@code click_days} row, per link the human clicks to add
 * to its total, and the orphan visits. Summing straight into day rows, instead of into roll-up
 * rows that then become day rows, spares a fold a map entry and two objects per roll-up row:
 * {@code ClickFlushBenchmark} allocates a fifth less per flush (105 to 85 MB on SQLite).
 */
final class FoldSum {

    record DayKey(long linkId, long day) {}

    private record OrphanKey(long day, String code) {}

    private final Map<DayKey, LinkDay> days = new HashMap<>();
    /** Every clicked link (bots' clicks included) to its human clicks. */
    private final Map<Long, long[]> links = new HashMap<>();
    private final Map<OrphanKey, long[]> orphans = new HashMap<>();
    private int rows;

    void add(ClickBatch batch) {
        for (HourlyClicks h : batch.hourly()) {
            if (day(h.linkId(), Math.floorDiv(h.hour(), 24)).addHour((int) Math.floorMod(h.hour(), 24), h.clicks(), h.bots())) {
                rows++;
            }
            links.computeIfAbsent(h.linkId(), k -> new long[1]);
        }
        for (DimClicks d : batch.dims()) {
            if (day(d.linkId(), d.day()).addValue(d.dim(), d.value(), d.clicks())) {
                rows++;
            }
        }
        for (OrphanVisits o : batch.orphans()) {
            var key = new OrphanKey(o.day(), o.code());
            long[] visits = orphans.get(key);
            if (visits == null) {
                orphans.put(key, visits = new long[1]);
                rows++;
            }
            visits[0] += o.visits();
        }
        batch.humanPerLink().forEach((link, n) -> links.computeIfAbsent(link, k -> new long[1])[0] += n);
    }

    private LinkDay day(long linkId, long day) {
        return days.computeIfAbsent(new DayKey(linkId, day), k -> LinkDay.sum());
    }

    /** Roll-up rows summed so far, as the journal counts them: distinct hours, values and orphan codes. */
    int rows() {
        return rows;
    }

    /** The links' day rows to add; each {@link LinkDay#sum} keeps every value (capped when written). */
    Map<DayKey, LinkDay> days() {
        return days;
    }

    /** Every clicked link, in id order. */
    long[] linkIds() {
        return links.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
    }

    /** Human clicks of a clicked link. */
    long humans(long linkId) {
        long[] n = links.get(linkId);
        return n == null ? 0 : n[0];
    }

    /** The orphan visits, by day and code: no link lock orders them, so two nodes take them in the same order. */
    List<OrphanVisits> orphans() {
        var out = new ArrayList<OrphanVisits>(orphans.size());
        orphans.forEach((k, v) -> out.add(new OrphanVisits(k.day(), k.code(), v[0])));
        out.sort(Comparator.comparingLong(OrphanVisits::day).thenComparing(OrphanVisits::code));
        return out;
    }
}
