package dev.kurz.click;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One flush: everything drained from the recorder at once, appended to the click journal in one
 * transaction (and later folded into the roll-ups, see {@link ClickStore#fold}).
 *
 * <p>{@code (node, seq)} names the batch in the {@code click_batches} ledger, written in the same
 * transaction: a batch whose commit outcome was unknown (the connection broke during COMMIT) can
 * be retried as is, and the ledger tells the store it already landed. So a failed batch is
 * retried and a committed batch is never journaled twice.
 *
 * @param humanPerLink human clicks per link in this batch: added to {@code links.clicks} and,
 *                     once committed, subtracted from the recorder's unflushed counts
 */
public record ClickBatch(String node, long seq, long createdAt, List<HourlyClicks> hourly, List<DimClicks> dims,
                  List<OrphanVisits> orphans, Map<Long, Long> humanPerLink) {

    public int rows() {
        return hourly.size() + dims.size() + orphans.size();
    }

    public boolean isEmpty() {
        return rows() == 0;
    }

    /**
     * A running sum of batches, one row per roll-up key. Its orphan rows come sorted: no link lock
     * orders them, so two nodes folding at once take them in the same order.
     */
    static final class Sum {
        private final Map<HourKey, long[]> hourly = new HashMap<>(); // -> {humans, bots}
        private final Map<DimKey, long[]> dims = new HashMap<>();
        private final Map<OrphanKey, long[]> orphans = new HashMap<>();
        private final Map<Long, Long> humans = new HashMap<>();

        void add(ClickBatch b) {
            for (HourlyClicks h : b.hourly) {
                long[] sum = hourly.computeIfAbsent(new HourKey(h.linkId(), h.hour()), k -> new long[2]);
                sum[0] += h.clicks();
                sum[1] += h.bots();
            }
            for (DimClicks d : b.dims) {
                dims.computeIfAbsent(new DimKey(d.linkId(), d.day(), d.dim(), d.value()), k -> new long[1])[0] += d.clicks();
            }
            for (OrphanVisits o : b.orphans) {
                orphans.computeIfAbsent(new OrphanKey(o.day(), o.code()), k -> new long[1])[0] += o.visits();
            }
            b.humanPerLink.forEach((link, n) -> humans.merge(link, n, Long::sum));
        }

        /** Roll-up rows the sum holds so far. */
        int rows() {
            return hourly.size() + dims.size() + orphans.size();
        }

        ClickBatch batch() {
            var hourRows = new ArrayList<HourlyClicks>(hourly.size());
            hourly.forEach((k, v) -> hourRows.add(new HourlyClicks(k.linkId, k.hour, v[0], v[1])));
            var dimRows = new ArrayList<DimClicks>(dims.size());
            dims.forEach((k, v) -> dimRows.add(new DimClicks(k.linkId, k.day, k.dim, k.value, v[0])));
            var orphanRows = new ArrayList<OrphanVisits>(orphans.size());
            orphans.forEach((k, v) -> orphanRows.add(new OrphanVisits(k.day, k.code, v[0])));
            orphanRows.sort(Comparator.comparingLong(OrphanVisits::day).thenComparing(OrphanVisits::code));
            return new ClickBatch("sum", 0, 0, hourRows, dimRows, orphanRows, humans);
        }
    }

    /** The key of an hourly roll-up row. */
    record HourKey(long linkId, long hour) {}

    /** The key of a dimension roll-up row. */
    record DimKey(long linkId, long day, Dimension dim, String value) {}

    private record OrphanKey(long day, String code) {}
}
