package dev.kurz.click;

import static dev.kurz.db.Jdbc.withConnection;

import dev.kurz.db.Database;
import dev.kurz.db.Database.Dialect;
import dev.kurz.db.Jdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.StringJoiner;

/**
 * {@link ClickStore} over JDBC; the reads run the same SQL on SQLite and PostgreSQL (window
 * functions, integer division), and the roll-up writes differ mainly in where their rows come
 * from: a JDBC batch over {@code VALUES} on SQLite, arrays read by {@code unnest} on PostgreSQL
 * (where a fold adds to the links' totals first, which also locks them).
 * A journaled batch is one {@code click_journal} row ({@link BatchCodec}); a fold decodes the
 * rows it takes, sums them and writes each roll-up row once.
 *
 * <p>Writes go to the primary; statistics read from the reader pool (a replica when configured,
 * where they may lag by the replication delay). The roll-up tables are keyed so that every read
 * is a range scan of one link's rows ({@code click_counts (link_id, hour)},
 * {@code click_dims (link_id, day, dim, value)}); instance-wide reads use
 * {@code click_counts (hour)} and {@code orphan_visits (day, code)}.
 */
public final class SqlClickStore implements ClickStore {

    /** A ledger row older than this is no retry's concern any more (its node died or moved on). */
    private static final long LEDGER_KEEP_MS = 30L * 24 * 3_600_000;

    private final Database db;
    private final boolean postgres;
    private final String upsertHourly;
    private final String upsertDims;
    private final String upsertOrphans;

    public SqlClickStore(Database db) {
        this.db = db;
        this.postgres = db.dialect() == Dialect.POSTGRESQL;
        this.upsertHourly = "INSERT INTO click_counts (link_id, hour, clicks, bots) " + rowsOf(HOURLY_TYPES)
                + " ON CONFLICT (link_id, hour) DO UPDATE SET clicks = click_counts.clicks + excluded.clicks, "
                + "bots = click_counts.bots + excluded.bots";
        this.upsertDims = "INSERT INTO click_dims (link_id, day, dim, value, clicks) " + rowsOf(DIM_TYPES)
                + " ON CONFLICT (link_id, day, dim, value) DO UPDATE SET clicks = click_dims.clicks + excluded.clicks";
        this.upsertOrphans = "INSERT INTO orphan_visits (day, code, visits) " + rowsOf(ORPHAN_TYPES)
                + " ON CONFLICT (day, code) DO UPDATE SET visits = orphan_visits.visits + excluded.visits";
    }

    @Override
    public boolean journal(ClickBatch batch) {
        if (batch.isEmpty()) {
            return true;
        }
        byte[] bytes = BatchCodec.encode(batch);
        return Jdbc.inTransaction(db.writer(), c -> {
            if (!enterInLedger(c, batch)) {
                return false;
            }
            try (var ps = c.prepareStatement(
                    "INSERT INTO click_journal (node, seq, created_at, batch) VALUES (?, ?, ?, ?)")) {
                ps.setString(1, batch.node());
                ps.setLong(2, batch.seq());
                ps.setLong(3, batch.createdAt());
                ps.setBytes(4, bytes);
                ps.executeUpdate();
            }
            return true;
        });
    }

    /**
     * On PostgreSQL the journal rows are locked in key order first ({@code FOR UPDATE}): a second
     * node folding the same stale rows waits, then finds them deleted and skips them. Retrying
     * after a lost COMMIT answer is safe: the rows it folded are gone, so it folds nothing twice.
     */
    @Override
    public Folded fold(String node, long upToSeq, long staleBefore, int maxRows) {
        return Jdbc.inIdempotentTransaction(db.writer(), c -> {
            var taken = new ArrayList<JournalKey>(); // the rows' keys only: the sum holds their counts
            var sum = new ClickBatch.Sum();
            boolean more = false;
            long lastOwnSeq = 0;
            try (var ps = c.prepareStatement("SELECT node, seq, created_at, batch FROM click_journal "
                    + "WHERE (node = ? AND seq <= ?) OR created_at < ? ORDER BY node, seq"
                    + (postgres ? " FOR UPDATE" : ""))) {
                ps.setString(1, node);
                ps.setLong(2, upToSeq);
                ps.setLong(3, staleBefore);
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (sum.rows() > maxRows) {
                            more = true;
                            break;
                        }
                        var batch = BatchCodec.decode(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getBytes(4));
                        sum.add(batch);
                        taken.add(new JournalKey(batch.node(), batch.seq()));
                        if (batch.node().equals(node)) {
                            lastOwnSeq = batch.seq();
                        }
                    }
                }
            }
            if (taken.isEmpty()) {
                return new Folded(0, 0, false);
            }
            addToRollUps(c, sum.batch("sum", 0, 0));
            try (var ps = c.prepareStatement("DELETE FROM click_journal WHERE node = ? AND seq = ?")) {
                for (JournalKey k : taken) {
                    ps.setString(1, k.node());
                    ps.setLong(2, k.seq());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return new Folded(taken.size(), lastOwnSeq, more);
        });
    }

    private record JournalKey(String node, long seq) {}

    private void addToRollUps(Connection c, ClickBatch batch) throws SQLException {
        // Counts of a link deleted since the click are dropped (no orphan rows): one look-up per
        // link here rather than one per row written.
        long[] live = postgres ? addTotalsLocking(c, batch) : liveLinks(c, batch);
        var hourly = new Columns(HOURLY_TYPES);
        for (HourlyClicks h : batch.hourly()) {
            if (isLive(live, h.linkId())) {
                hourly.add(h.linkId(), h.hour(), h.clicks(), h.bots());
            }
        }
        write(c, upsertHourly, hourly);
        var dims = new Columns(DIM_TYPES);
        for (DimClicks d : batch.dims()) {
            if (isLive(live, d.linkId())) {
                dims.add(d.linkId(), d.day(), d.dim().column(), d.value(), d.clicks());
            }
        }
        write(c, upsertDims, dims);
        var orphans = new Columns(ORPHAN_TYPES);
        for (OrphanVisits o : batch.orphans()) { // sorted: no link lock orders these rows
            orphans.add(o.day(), o.code(), o.visits());
        }
        write(c, upsertOrphans, orphans);
        if (!postgres) { // PostgreSQL added them first, in addTotalsLocking
            var totals = new Columns("bigint", "bigint");
            // A deleted link's row is simply not there to update.
            batch.humanPerLink().forEach((linkId, clicks) -> totals.add(clicks, linkId));
            write(c, "UPDATE links SET clicks = clicks + ? WHERE id = ?", totals);
        }
    }

    /** Every link the batch clicked, in id order. */
    private static long[] clickedLinks(ClickBatch batch) {
        return batch.hourly().stream().mapToLong(HourlyClicks::linkId).distinct().sorted().toArray();
    }

    /**
     * PostgreSQL: adds the batch's human clicks to {@code links.clicks} first, and returns the
     * links that still exist, sorted. The update also locks them until the commit: a delete of one
     * of them waits for this batch and then removes its rows too, and two nodes folding the same
     * links queue on the first one they share instead of deadlocking on roll-up rows taken in
     * different orders (so the rows need no sorting). The ids go in sorted, and the plan (a look-up
     * per id, see {@link #indexLookupsOnly}) updates them in that order; should a plan ever take
     * them in another, PostgreSQL detects the deadlock and the fold is retried. A link clicked only
     * by bots gets {@code + 0}: its row is locked like the others. One look-up per link, where a
     * lock and then an update took two.
     */
    private long[] addTotalsLocking(Connection c, ClickBatch batch) throws SQLException {
        long[] ids = clickedLinks(batch);
        if (ids.length == 0) {
            return ids;
        }
        var humans = new Long[ids.length];
        var boxedIds = new Long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            boxedIds[i] = ids[i];
            humans[i] = batch.humanPerLink().getOrDefault(ids[i], 0L);
        }
        indexLookupsOnly(c);
        var live = new long[ids.length];
        int n = 0;
        try (var ps = c.prepareStatement("UPDATE links SET clicks = links.clicks + u.n "
                + "FROM unnest(?::bigint[], ?::bigint[]) AS u(id, n) WHERE links.id = u.id RETURNING links.id")) {
            ps.setArray(1, c.createArrayOf("bigint", boxedIds));
            ps.setArray(2, c.createArrayOf("bigint", humans));
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    live[n++] = rs.getLong(1);
                }
            }
        }
        live = Arrays.copyOf(live, n);
        Arrays.sort(live);
        return live;
    }

    /** SQLite: the batch's links that still exist, sorted (one writer at a time: none is deleted before this commits). */
    private static long[] liveLinks(Connection c, ClickBatch batch) throws SQLException {
        long[] ids = clickedLinks(batch);
        var live = new long[ids.length];
        int n = 0;
        try (var ps = c.prepareStatement("SELECT 1 FROM links WHERE id = ?")) {
            for (long id : ids) {
                ps.setLong(1, id);
                try (var rs = ps.executeQuery()) {
                    if (rs.next()) {
                        live[n++] = id;
                    }
                }
            }
        }
        return Arrays.copyOf(live, n);
    }

    /**
     * For the rest of this transaction, PostgreSQL finds a fold's links through the primary key,
     * one look-up per link. Given a hundred thousand ids, its planner reads the whole of
     * {@code links} instead (a sequential scan, or a hash join over every row), which costs in
     * proportion to the catalogue, not to the clicks: locking 100,000 of a million links took
     * 1.5 s by scan and 0.3 s by key, and ten million links would make the scan ten times longer.
     * JIT compilation, which the plans' inflated estimates would switch on, only adds time to a
     * statement planned once.
     */
    private static void indexLookupsOnly(Connection c) throws SQLException {
        try (var ps = c.prepareStatement("SELECT set_config('enable_seqscan', 'off', true), "
                + "set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true), "
                + "set_config('jit', 'off', true)")) {
            ps.executeQuery().close();
        }
    }

    private static boolean isLive(long[] live, long linkId) {
        return Arrays.binarySearch(live, linkId) >= 0;
    }

    /**
     * The rows of one statement, column by column. SQLite runs the statement once per row (a JDBC
     * batch, in process). PostgreSQL gets each column as one array and reads the rows with
     * {@code unnest}: one execution for the whole batch, where a JDBC batch would be one
     * execution per row and each of those costs the server more than the upsert itself.
     */
    private static final class Columns {
        final String[] types;
        final List<List<Object>> values = new ArrayList<>();

        Columns(String... types) {
            this.types = types;
            for (int i = 0; i < types.length; i++) {
                values.add(new ArrayList<>());
            }
        }

        void add(Object... row) {
            for (int i = 0; i < row.length; i++) {
                values.get(i).add(row[i]);
            }
        }

        int rows() {
            return values.getFirst().size();
        }
    }

    private static final String[] HOURLY_TYPES = {"bigint", "bigint", "bigint", "bigint"};
    private static final String[] DIM_TYPES = {"bigint", "bigint", "text", "text", "bigint"};
    private static final String[] ORPHAN_TYPES = {"bigint", "text", "bigint"};

    /** Where the rows come from: {@code VALUES (?, ?)} on SQLite, {@code SELECT * FROM unnest(?::bigint[], ...)}. */
    private String rowsOf(String[] types) {
        return postgres ? "SELECT * FROM " + unnest(types) : "VALUES (" + "?, ".repeat(types.length - 1) + "?)";
    }

    private static String unnest(String[] types) {
        var args = new StringJoiner(", ", "unnest(", ")");
        for (String type : types) {
            args.add("?::" + type + "[]");
        }
        return args.toString();
    }

    private void write(Connection c, String sql, Columns rows) throws SQLException {
        if (rows.rows() == 0) {
            return;
        }
        try (var ps = c.prepareStatement(sql)) {
            if (postgres) {
                for (int i = 0; i < rows.types.length; i++) {
                    ps.setArray(i + 1, c.createArrayOf(rows.types[i], rows.values.get(i).toArray()));
                }
                ps.executeUpdate();
                return;
            }
            for (int r = 0; r < rows.rows(); r++) {
                for (int i = 0; i < rows.types.length; i++) {
                    ps.setObject(i + 1, rows.values.get(i).get(r));
                }
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /**
     * Records the batch in the ledger, or finds it there (false: committed before). A node only
     * ever retries its latest batch, so its older entries go; entries of nodes long gone are
     * swept now and then.
     */
    private static boolean enterInLedger(Connection c, ClickBatch batch) throws SQLException {
        try (var ps = c.prepareStatement(
                "INSERT INTO click_batches (node, seq, committed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setString(1, batch.node());
            ps.setLong(2, batch.seq());
            ps.setLong(3, batch.createdAt());
            if (ps.executeUpdate() == 0) {
                return false;
            }
        }
        try (var ps = c.prepareStatement("DELETE FROM click_batches WHERE node = ? AND seq < ?")) {
            ps.setString(1, batch.node());
            ps.setLong(2, batch.seq());
            ps.executeUpdate();
        }
        if (batch.seq() % 1000 == 1) {
            try (var ps = c.prepareStatement("DELETE FROM click_batches WHERE committed_at < ?")) {
                ps.setLong(1, batch.createdAt() - LEDGER_KEEP_MS);
                ps.executeUpdate();
            }
        }
        return true;
    }

    @Override
    public OptionalLong linkId(String code) {
        return withConnection(db.reader(), c -> {
            try (var ps = c.prepareStatement("SELECT id FROM links WHERE code = ?")) {
                ps.setString(1, code);
                try (var rs = ps.executeQuery()) {
                    return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
                }
            }
        });
    }

    @Override
    public List<HourlyClicks> hourly(long linkId, long fromHour, long toHour) {
        // Row values rather than "link_id = ? AND hour >= ?": PostgreSQL switches a statement that
        // ran five times to a generic plan, which guessed a range on click_counts_hour cheaper and
        // filtered every link's rows of the year (0.1 s instead of 15 ms). A row comparison can
        // only use the (link_id, hour) key.
        return withConnection(db.reader(), c -> {
            try (var ps = c.prepareStatement("SELECT hour, clicks, bots FROM click_counts "
                    + "WHERE (link_id, hour) >= (?, ?) AND (link_id, hour) < (?, ?) ORDER BY link_id, hour")) {
                ps.setLong(1, linkId);
                ps.setLong(2, fromHour);
                ps.setLong(3, linkId);
                ps.setLong(4, toHour);
                return list(ps, rs -> new HourlyClicks(linkId, rs.getLong(1), rs.getLong(2), rs.getLong(3)));
            }
        });
    }

    @Override
    public List<DimCount> topValues(long linkId, long fromDay, long toDay, int limit) {
        // Ranked in the database, so a link with 100,000 distinct referrers still sends back only
        // the top few per dimension. Ties go to the smaller value (byte order on both engines).
        return withConnection(db.reader(), c -> {
            try (var ps = c.prepareStatement("SELECT dim, value, clicks FROM ("
                    + "SELECT dim, value, SUM(clicks) AS clicks, "
                    + "ROW_NUMBER() OVER (PARTITION BY dim ORDER BY SUM(clicks) DESC, value) AS rn "
                    + "FROM click_dims WHERE link_id = ? AND day >= ? AND day < ? GROUP BY dim, value) ranked "
                    + "WHERE rn <= ? ORDER BY dim, clicks DESC, value")) {
                ps.setLong(1, linkId);
                ps.setLong(2, fromDay);
                ps.setLong(3, toDay);
                ps.setInt(4, limit);
                return list(ps, rs -> new DimCount(Dimension.ofColumn(rs.getString(1)), rs.getString(2),
                        rs.getLong(3)));
            }
        });
    }

    @Override
    public List<DayClicks> dailyTotals(long fromHour, long toHour) {
        return withConnection(db.reader(), c -> {
            try (var ps = c.prepareStatement("SELECT hour / 24 AS day, SUM(clicks), SUM(bots) FROM click_counts "
                    + "WHERE hour >= ? AND hour < ? GROUP BY hour / 24 ORDER BY day")) {
                ps.setLong(1, fromHour);
                ps.setLong(2, toHour);
                return list(ps, rs -> new DayClicks(rs.getLong(1), rs.getLong(2), rs.getLong(3)));
            }
        });
    }

    @Override
    public List<LinkClicks> topLinks(long fromHour, long toHour, int limit) {
        return withConnection(db.reader(), c -> {
            try (var ps = c.prepareStatement("SELECT l.code, t.clicks, t.bots FROM ("
                    + "SELECT link_id, SUM(clicks) AS clicks, SUM(bots) AS bots FROM click_counts "
                    + "WHERE hour >= ? AND hour < ? GROUP BY link_id "
                    + "ORDER BY SUM(clicks) DESC, SUM(bots) DESC, link_id LIMIT ?) t "
                    + "JOIN links l ON l.id = t.link_id ORDER BY t.clicks DESC, t.bots DESC, l.id")) {
                ps.setLong(1, fromHour);
                ps.setLong(2, toHour);
                ps.setInt(3, limit);
                return list(ps, rs -> new LinkClicks(rs.getString(1), rs.getLong(2), rs.getLong(3)));
            }
        });
    }

    @Override
    public List<DayVisits> orphansPerDay(long fromDay, long toDay) {
        return withConnection(db.reader(), c -> {
            try (var ps = c.prepareStatement("SELECT day, SUM(visits) FROM orphan_visits "
                    + "WHERE day >= ? AND day < ? GROUP BY day ORDER BY day")) {
                ps.setLong(1, fromDay);
                ps.setLong(2, toDay);
                return list(ps, rs -> new DayVisits(rs.getLong(1), rs.getLong(2)));
            }
        });
    }

    @Override
    public List<CodeVisits> topOrphans(long fromDay, long toDay, int limit) {
        return withConnection(db.reader(), c -> {
            try (var ps = c.prepareStatement("SELECT code, SUM(visits) AS visits FROM orphan_visits "
                    + "WHERE day >= ? AND day < ? GROUP BY code ORDER BY SUM(visits) DESC, code LIMIT ?")) {
                ps.setLong(1, fromDay);
                ps.setLong(2, toDay);
                ps.setInt(3, limit);
                return list(ps, rs -> new CodeVisits(rs.getString(1), rs.getLong(2)));
            }
        });
    }

    @Override
    public long linkCount() {
        return withConnection(db.reader(), c -> {
            try (var ps = c.prepareStatement("SELECT count(*) FROM links"); var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    @FunctionalInterface
    private interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private static <T> List<T> list(PreparedStatement ps, Row<T> row) throws SQLException {
        var out = new ArrayList<T>();
        try (var rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(row.read(rs));
            }
        }
        return out;
    }
}
