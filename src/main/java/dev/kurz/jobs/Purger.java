package dev.kurz.jobs;

import static dev.kurz.db.Jdbc.inIdempotentTransaction;
import static dev.kurz.db.Jdbc.withConnection;

import dev.kurz.config.Settings;
import dev.kurz.config.Settings.PurgeMode;
import dev.kurz.db.Database;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recurring purge: links expired longer than {@code KURZ_PURGE_AFTER} are archived (moved to
 * {@code archived_links}) or deleted, with their click statistics; the days of statistics and
 * orphan visits older than {@code KURZ_STATS_RETENTION} are deleted (link totals stay); uploads
 * abandoned for a day are dropped.
 *
 * <p>Once per period across the cluster: time is cut into {@code KURZ_PURGE_EVERY} periods, and the
 * first worker to insert the period's row into {@code jobs} (unique {@code period_key}) runs it;
 * every other worker's insert does nothing. A worker that dies mid-purge leaves the rest to the
 * next period: every step is idempotent. Deletes go in batches of {@link #BATCH} rows, each its own
 * short transaction, so a purge never holds locks (or SQLite's single writer) for long.
 */
final class Purger {

    private static final Logger log = LoggerFactory.getLogger(Purger.class);

    static final int BATCH = 1000;
    private static final long DAY = 86_400_000L;

    private final JobStore store;
    private final Database db;
    private final Clock clock;
    private final Optional<Duration> purgeAfter;
    private final PurgeMode mode;
    private final Optional<Duration> statsRetention;
    private final Duration every;
    private volatile long lastPeriod = Long.MIN_VALUE;

    Purger(JobStore store, Settings settings) {
        this.store = store;
        this.db = store.database();
        this.clock = store.clock();
        this.purgeAfter = settings.purgeAfter();
        this.mode = settings.purgeMode();
        this.statsRetention = settings.statsRetention();
        this.every = settings.purgeEvery();
    }

    boolean enabled() {
        return purgeAfter.isPresent() || statsRetention.isPresent();
    }

    /** Runs this period's purge if no worker has yet; returns its job id if this call ran it. */
    Optional<Long> runIfDue(String worker) {
        if (!enabled()) {
            return Optional.empty();
        }
        long period = Math.floorDiv(clock.millis(), every.toMillis());
        if (period == lastPeriod) {
            return Optional.empty(); // this worker already tried this period: no query
        }
        Optional<Long> job = store.startPeriod("purge:" + every.toMillis() + ":" + period, worker);
        lastPeriod = period;
        if (job.isEmpty()) {
            return job;
        }
        long links = 0;
        long rollups = 0;
        String error = null;
        try {
            long now = clock.millis();
            if (purgeAfter.isPresent()) {
                links = purgeLinks(now - purgeAfter.get().toMillis(), now);
            }
            if (statsRetention.isPresent()) {
                long cutoff = now - statsRetention.get().toMillis();
                rollups = deleteOld("click_days", "link_id, day", "day", cutoff / DAY)
                        + deleteOld("orphan_visits", "day, code", "day", cutoff / DAY);
            }
            dropAbandonedUploads(now - DAY);
            log.info("purge {}: {} expired links {}, {} old roll-up rows deleted", job.get(), links,
                    mode == PurgeMode.ARCHIVE ? "archived" : "deleted", rollups);
        } catch (RuntimeException e) {
            error = "purge stopped: " + e.getMessage();
            log.warn("purge {} stopped; the next period goes on from here: {}", job.get(), e.getMessage());
        }
        store.finishPurge(job.get(), worker, links, rollups, error);
        return job;
    }

    /** Links whose expiry is before {@code cutoff}: archived or deleted, a batch per transaction. */
    private long purgeLinks(long cutoff, long now) {
        long total = 0;
        while (true) {
            List<Long> ids = withConnection(db.writer(), c -> {
                try (var ps = c.prepareStatement(
                        "SELECT id FROM links WHERE expires_at < ? ORDER BY expires_at LIMIT " + BATCH)) {
                    ps.setLong(1, cutoff);
                    var out = new ArrayList<Long>();
                    try (var rs = ps.executeQuery()) {
                        while (rs.next()) {
                            out.add(rs.getLong(1));
                        }
                    }
                    return out;
                }
            });
            if (ids.isEmpty()) {
                return total;
            }
            String in = "(" + "?,".repeat(ids.size() - 1) + "?)";
            total += inIdempotentTransaction(db.writer(), c -> {
                if (mode == PurgeMode.ARCHIVE) {
                    try (var ps = c.prepareStatement("INSERT INTO archived_links (id, code, url, owner_key_id, title, "
                            + "created_at, updated_at, expires_at, max_clicks, redirect_status, disabled, password_hash, "
                            + "clicks, archived_at) SELECT id, code, url, owner_key_id, title, created_at, updated_at, "
                            + "expires_at, max_clicks, redirect_status, disabled, password_hash, clicks, ? FROM links "
                            + "WHERE id IN " + in + " ON CONFLICT (id) DO NOTHING")) {
                        ps.setLong(1, now);
                        bind(ps, 2, ids);
                        ps.executeUpdate();
                    }
                }
                // The links first, as SqlLinkStore.delete does: a fold locks links before their
                // day rows, so taking them in the same order never deadlocks with one.
                long deleted;
                try (var ps = c.prepareStatement("DELETE FROM links WHERE id IN " + in)) {
                    bind(ps, 1, ids);
                    deleted = ps.executeUpdate();
                }
                try (var ps = c.prepareStatement("DELETE FROM click_days WHERE link_id IN " + in)) {
                    bind(ps, 1, ids);
                    ps.executeUpdate();
                }
                return deleted;
            });
        }
    }

    /** Deletes rows of {@code table} with {@code column} before {@code cutoff}, a batch at a time. */
    private long deleteOld(String table, String key, String column, long cutoff) {
        long total = 0;
        String sql = "DELETE FROM " + table + " WHERE (" + key + ") IN (SELECT " + key + " FROM " + table + " WHERE "
                + column + " < ? LIMIT " + BATCH + ")";
        while (true) {
            int n = inIdempotentTransaction(db.writer(), c -> {
                try (var ps = c.prepareStatement(sql)) {
                    ps.setLong(1, cutoff);
                    return ps.executeUpdate();
                }
            });
            total += n;
            if (n == 0) {
                return total;
            }
        }
    }

    private void dropAbandonedUploads(long before) {
        List<Long> stale = withConnection(db.writer(), c -> {
            try (var ps = c.prepareStatement("SELECT id FROM jobs WHERE state = 'uploading' AND created_at < ?")) {
                ps.setLong(1, before);
                var out = new ArrayList<Long>();
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getLong(1));
                    }
                }
                return out;
            }
        });
        stale.forEach(store::discard);
    }

    private static void bind(java.sql.PreparedStatement ps, int from, List<Long> ids) throws SQLException {
        for (int i = 0; i < ids.size(); i++) {
            ps.setLong(from + i, ids.get(i));
        }
    }
}
