package dev.kurz.click;

import java.util.List;
import java.util.OptionalLong;

/**
 * Where click roll-ups are persisted and read back for statistics. Blocks on I/O: call from a
 * virtual or flusher thread. Ranges are half-open: {@code from} inclusive, {@code to} exclusive.
 */
public interface ClickStore {

    /**
     * Appends a batch to the click journal in one transaction with its ledger entry: durable once
     * this returns, counted in the roll-ups once folded. Returns false, changing nothing, if the
     * ledger shows the batch was journaled before (a retry after a lost COMMIT answer).
     */
    boolean journal(ClickBatch batch);

    /**
     * Folds journaled batches into the roll-ups and removes them from the journal, in one
     * transaction: in journal order, the batches of {@code node} up to {@code upToSeq} and those
     * of any node journaled before {@code staleBefore} (epoch ms; left behind by a node that
     * died), as many as fit in about {@code maxRows} roll-up rows once summed: it stops after the
     * batch that goes past them, so it always folds one if there is one. Each link's day rows,
     * orphan visits and the links' human totals are added; entries for links deleted
     * meanwhile are dropped. A batch another node is folding at the same moment is folded by one
     * of the two, never both.
     */
    Folded fold(String node, long upToSeq, long staleBefore, int maxRows);

    /**
     * What a fold did: how many batches it folded, the highest seq of {@code node}'s among them
     * (0 if none), and whether batches it was asked for are left (it stopped at {@code maxRows}).
     */
    record Folded(int batches, long lastOwnSeq, boolean more) {}

    /** The id of the link with {@code code}, if there is one. */
    OptionalLong linkId(String code);

    /** The link's hourly rows in [fromHour, toHour), oldest first; hours without clicks have no row. */
    List<HourlyClicks> hourly(long linkId, long fromHour, long toHour);

    /** Per dimension, its {@code limit} most frequent values for the link in [fromDay, toDay). */
    List<DimCount> topValues(long linkId, long fromDay, long toDay, int limit);

    /** Clicks of all links per day in [fromDay, toDay), oldest first; empty days missing. */
    List<DayClicks> dailyTotals(long fromDay, long toDay);

    /** The {@code limit} links with the most human clicks in [fromDay, toDay). */
    List<LinkClicks> topLinks(long fromDay, long toDay, int limit);

    /** Orphan visits per day in [fromDay, toDay), oldest first; empty days missing. */
    List<DayVisits> orphansPerDay(long fromDay, long toDay);

    /** The {@code limit} unknown codes hit most often in [fromDay, toDay). */
    List<CodeVisits> topOrphans(long fromDay, long toDay, int limit);

    /** How many links exist. */
    long linkCount();

    record DimCount(Dimension dim, String value, long clicks) {}

    record DayClicks(long day, long clicks, long bots) {}

    record LinkClicks(String code, long clicks, long bots) {}

    record DayVisits(long day, long visits) {}

    record CodeVisits(String code, long visits) {}
}
