package dev.kurz.click;

import java.util.List;
import java.util.Map;

/**
 * One flush: everything drained from the recorder at once, written in one transaction.
 *
 * <p>{@code (node, seq)} names the batch in the {@code click_batches} ledger, written in the same
 * transaction: a batch whose commit outcome was unknown (the connection broke during COMMIT) can
 * be retried as is, and the ledger tells the store it already landed. So a failed batch is
 * retried and a committed batch is never applied twice.
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
}
