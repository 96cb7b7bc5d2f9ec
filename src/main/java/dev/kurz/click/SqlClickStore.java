package dev.kurz.click;

import dev.kurz.db.Database;
import dev.kurz.db.Jdbc;
import java.util.TreeMap;
import java.util.List;
import java.util.Map;

/** {@link ClickStore} over JDBC; the same SQL runs on SQLite and PostgreSQL. */
public final class SqlClickStore implements ClickStore {

    private final Database db;

    public SqlClickStore(Database db) {
        this.db = db;
    }

    @Override
    public void add(List<HourlyClicks> batch) {
        if (batch.isEmpty()) {
            return;
        }
        // Sorted by link id: two nodes flushing at once then lock link rows in the same order and
        // cannot deadlock.
        Map<Long, Long> perLink = new TreeMap<>();
        for (HourlyClicks h : batch) {
            perLink.merge(h.linkId(), h.clicks(), Long::sum);
        }
        List<HourlyClicks> sorted = batch.stream()
                .sorted(java.util.Comparator.comparingLong(HourlyClicks::linkId).thenComparingLong(HourlyClicks::hour))
                .toList();
        Jdbc.inTransaction(db.writer(), c -> {
            // The WHERE EXISTS drops counts of a link deleted since the click (no orphan rows).
            try (var ps = c.prepareStatement("INSERT INTO click_counts (link_id, hour, clicks) "
                    + "SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM links WHERE id = ?) "
                    + "ON CONFLICT (link_id, hour) DO UPDATE SET clicks = click_counts.clicks + excluded.clicks")) {
                for (HourlyClicks h : sorted) {
                    ps.setLong(1, h.linkId());
                    ps.setLong(2, h.hour());
                    ps.setLong(3, h.clicks());
                    ps.setLong(4, h.linkId());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            try (var ps = c.prepareStatement("UPDATE links SET clicks = clicks + ? WHERE id = ?")) {
                for (var e : perLink.entrySet()) {
                    ps.setLong(1, e.getValue());
                    ps.setLong(2, e.getKey());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }
}
