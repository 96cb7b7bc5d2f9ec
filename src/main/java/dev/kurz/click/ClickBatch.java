package dev.kurz.click;

import java.util.ArrayList;
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
     * A running sum of roll-up rows, one per key: what a flush drains from the recorder. (A fold
     * adds journaled batches up in a {@link FoldSum}, which orders what it writes.)
     */
    static final class Sum {
        private final Map<HourKey, long[]> hourly = new HashMap<>(); // -> {humans, bots}
        private final Map<DimKey, long[]> dims = new HashMap<>();
        private final Map<OrphanKey, long[]> orphans = new HashMap<>();
        private final Map<Long, Long> humans = new HashMap<>();

        void hourly(long linkId, long hour, long clicks, long bots) {
            long[] sum = hourly.computeIfAbsent(new HourKey(linkId, hour), k -> new long[2]);
            sum[0] += clicks;
            sum[1] += bots;
        }

        void dim(long linkId, long day, Dimension dim, String value, long clicks) {
            dims.computeIfAbsent(new DimKey(linkId, day, dim, value), k -> new long[1])[0] += clicks;
        }

        void orphan(long day, String code, long visits) {
            orphans.computeIfAbsent(new OrphanKey(day, code), k -> new long[1])[0] += visits;
        }

        void humans(long linkId, long clicks) {
            humans.merge(linkId, clicks, Long::sum);
        }

        /** The sum as the batch {@code (node, seq)}. */
        ClickBatch batch(String node, long seq, long createdAt) {
            var hourRows = new ArrayList<HourlyClicks>(hourly.size());
            hourly.forEach((k, v) -> hourRows.add(new HourlyClicks(k.linkId, k.hour, v[0], v[1])));
            var dimRows = new ArrayList<DimClicks>(dims.size());
            dims.forEach((k, v) -> dimRows.add(new DimClicks(k.linkId, k.day, k.dim, k.value, v[0])));
            var orphanRows = new ArrayList<OrphanVisits>(orphans.size());
            orphans.forEach((k, v) -> orphanRows.add(new OrphanVisits(k.day, k.code, v[0])));
            return new ClickBatch(node, seq, createdAt, hourRows, dimRows, orphanRows, humans);
        }
    }

    private record HourKey(long linkId, long hour) {}

    private record DimKey(long linkId, long day, Dimension dim, String value) {}

    private record OrphanKey(long day, String code) {}
}
