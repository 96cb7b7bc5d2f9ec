package dev.kurz.click;

import java.util.List;

/** Where click roll-ups are persisted. Blocks on I/O: call from a virtual or flusher thread. */
public interface ClickStore {

    /**
     * Adds every batch entry to its (link, hour) row and to the link's total, in one transaction:
     * all or nothing. Entries for links deleted meanwhile are dropped.
     */
    void add(List<HourlyClicks> batch);
}
