package dev.kurz.click;

import static dev.kurz.db.Jdbc.withConnection;

import dev.kurz.click.FoldSum.DayKey;
import dev.kurz.db.Database;
import dev.kurz.db.Database.Dialect;
import dev.kurz.db.Jdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.StringJoiner;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ClickStore} over JDBC; the reads run the same SQL on SQLite and PostgreSQL, and the
 * writes differ mainly in where their rows come from: a JDBC batch over {@code VALUES} on SQLite,
 * arrays read by {@code unnest} on PostgreSQL (where a fold adds to the links' totals first,
 * which also locks them). A journaled batch is one {@code click_journal} row ({@link BatchCodec});
 * a fold decodes the rows it takes, sums them, and adds the sum to one {@code click_days} row per
 * link and day ({@link LinkDay}): it reads the rows it will change, adds, and writes them back.
 *
 * <p>Writes go to the primary; statistics read from the reader pool (a replica when configured,
 * where they may lag by the replication delay). A link's statistics are a range scan of its rows
 * ({@code click_days (link_id, day)}); instance-wide reads use {@code click_days (day)} and
 * {@code orphan_visits (day, code)}.
 */
public final class SqlClickStore implements ClickStore {

    /** A ledger row older than this is no retry's concern any more (its node died or moved on). */
    private static final long LEDGER_KEEP_MS = 30L * 24 * 3_600_000;

    private static final Logger log = LoggerFactory.getLogger(SqlClickStore.class);
    /** A stored day row that is not what kurz writes (edited by hand): left as it is. */
    private static final LinkDay UNREADABLE = new LinkDay();

    private final Database db;
    private final boolean postgres;
    private final String upsertDays;
    private final String upsertOrphans;

    public SqlClickStore(Database db) {
        this.db = db;
        this.postgres = db.dialect() == Dialect.POSTGRESQL;
        // The fold read the row first and holds its link's lock (see addTotalsLocking): it
        // writes the sum, not an increment.
        this.upsertDays = "INSERT INTO click_days (link_id, day, clicks, bots, hours, dims) " + rowsOf(DAY_TYPES)
                + " ON CONFLICT (link_id, day) DO UPDATE SET clicks = excluded.clicks, bots = excluded.bots, "
                + "hours = excluded.hours, dims = excluded.dims";
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
            var sum = new FoldSum();
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
            addToRollUps(c, sum);
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

    private void addToRollUps(Connection c, FoldSum sum) throws SQLException {
        // Counts of a link deleted since the click are dropped (no orphan rows): one look-up per
        // link here rather than one per row written.
        long[] live = postgres ? addTotalsLocking(c, sum) : liveLinks(c, sum);
        // In key order, as the links' totals are: the day rows are then read and written index
        // page after index page instead of all over the table. bench/fold-floor measures ten
        // million rows with a hundred thousand ids per statement: 12 us per row sorted, 18 in
        // random order; in the growth benchmark it made no difference we could measure
        // (docs/BENCHMARKS.md, "The floor of a fold").
        var days = new TreeMap<DayKey, LinkDay>(DAY_ORDER);
        sum.days().forEach((k, day) -> {
            if (isLive(live, k.linkId())) {
                days.put(k, day);
            }
        });
        addToDays(c, days);
        var orphans = new Columns(ORPHAN_TYPES);
        for (OrphanVisits o : sum.orphans()) { // sorted: no link lock orders these rows
            orphans.add(o.day(), o.code(), o.visits());
        }
        write(c, upsertOrphans, orphans);
        if (!postgres) { // PostgreSQL added them first, in addTotalsLocking
            var totals = new Columns("bigint", "bigint");
            // A deleted link's row is simply not there to update.
            for (long linkId : live) {
                long humans = sum.humans(linkId);
                if (humans > 0) {
                    totals.add(humans, linkId);
                }
            }
            write(c, "UPDATE links SET clicks = clicks + ? WHERE id = ?", totals);
        }
    }

    private static final Comparator<DayKey> DAY_ORDER = Comparator.comparingLong(DayKey::linkId)
            .thenComparingLong(DayKey::day);

    /**
     * A stored row, or {@link #UNREADABLE}. One row that somebody edited into something else
     * must not stop every fold (each would fail on it, and retry, for ever): its link's counts
     * for that day are dropped instead, loudly, and the row stays for whoever edited it. The
     * link's total still counts them.
     */
    private static LinkDay readStored(DayKey k, String hours, String dims) {
        try {
            return LinkDay.parse(hours, dims);
        } catch (IllegalStateException e) {
            log.error("click_days row of link {} for day {} is not kurz's JSON; left as it is, and this fold's "
                    + "counts for it dropped: {}", k.linkId(), k.day(), e.getMessage());
            return UNREADABLE;
        }
    }

    /**
     * Adds the counts to the links' day rows: reads the rows that exist, adds the counts to what
     * they hold (the stored values first, so that they keep their place under
     * {@link LinkDay#MAX_VALUES}), and writes every row whole. No other fold changes these rows
     * meanwhile: on PostgreSQL this transaction holds their links' locks, on SQLite the one writer.
     */
    private void addToDays(Connection c, Map<DayKey, LinkDay> counted) throws SQLException {
        if (counted.isEmpty()) {
            return;
        }
        var stored = new HashMap<DayKey, LinkDay>();
        if (postgres) {
            var linkIds = new Long[counted.size()];
            var dayNumbers = new Long[counted.size()];
            int i = 0;
            for (DayKey k : counted.keySet()) {
                linkIds[i] = k.linkId();
                dayNumbers[i++] = k.day();
            }
            try (var ps = c.prepareStatement("SELECT d.link_id, d.day, d.hours, d.dims "
                    + "FROM unnest(?::bigint[], ?::bigint[]) AS k(link_id, day) "
                    + "JOIN click_days d ON d.link_id = k.link_id AND d.day = k.day")) {
                ps.setArray(1, c.createArrayOf("bigint", linkIds));
                ps.setArray(2, c.createArrayOf("bigint", dayNumbers));
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        var k = new DayKey(rs.getLong(1), rs.getLong(2));
                        stored.put(k, readStored(k, rs.getString(3), rs.getString(4)));
                    }
                }
            }
        } else {
            try (var ps = c.prepareStatement("SELECT hours, dims FROM click_days WHERE link_id = ? AND day = ?")) {
                for (DayKey k : counted.keySet()) {
                    ps.setLong(1, k.linkId());
                    ps.setLong(2, k.day());
                    try (var rs = ps.executeQuery()) {
                        if (rs.next()) {
                            stored.put(k, readStored(k, rs.getString(1), rs.getString(2)));
                        }
                    }
                }
            }
        }
        var rows = new Columns(DAY_TYPES);
        counted.forEach((k, add) -> {
            LinkDay day = stored.get(k);
            if (day == UNREADABLE) {
                return;
            }
            if (day == null) {
                day = add.capped();
            } else {
                day.addAll(add);
            }
            rows.add(k.linkId(), k.day(), day.clicks(), day.bots(), day.hoursJson(), day.dimsJson());
        });
        write(c, upsertDays, rows);
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
    private long[] addTotalsLocking(Connection c, FoldSum sum) throws SQLException {
        long[] ids = sum.linkIds();
        if (ids.length == 0) {
            return ids;
        }
        var humans = new Long[ids.length];
        var boxedIds = new Long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            boxedIds[i] = ids[i];
            humans[i] = sum.humans(ids[i]);
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
    private static long[] liveLinks(Connection c, FoldSum sum) throws SQLException {
        long[] ids = sum.linkIds();
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

    private static final String[] DAY_TYPES = {"bigint", "bigint", "bigint", "bigint", "text", "text"};
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
        var out = new ArrayList<HourlyClicks>();
        for (var row : days(linkId, Math.floorDiv(fromHour, 24), Math.ceilDiv(toHour, 24), "hours")) {
            LinkDay.parse(row.json(), "{}").forEachHour((h, human, bot) -> {
                long hour = row.day() * 24 + h;
                if (hour >= fromHour && hour < toHour) {
                    out.add(new HourlyClicks(linkId, hour, human, bot));
                }
            });
        }
        return out;
    }

    @Override
    public List<DimCount> topValues(long linkId, long fromDay, long toDay, int limit) {
        // Summed and ranked here: a link's rows over the longest range allowed are a few hundred.
        // Ties go to the smaller value in code point order, which is UTF-8's byte order.
        Map<Dimension, Map<String, long[]>> sums = new EnumMap<>(Dimension.class);
        for (var row : days(linkId, fromDay, toDay, "dims")) {
            LinkDay day = LinkDay.parse("{}", row.json());
            for (Dimension dim : Dimension.values()) {
                var sum = sums.computeIfAbsent(dim, d -> new HashMap<>());
                day.values(dim).forEach((value, n) -> sum.computeIfAbsent(value, v -> new long[1])[0] += n[0]);
            }
        }
        var out = new ArrayList<DimCount>();
        sums.forEach((dim, values) -> values.entrySet().stream()
                .sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) -> -e.getValue()[0])
                        .thenComparing(Map.Entry::getKey, SqlClickStore::compareCodePoints))
                .limit(limit)
                .forEach(e -> out.add(new DimCount(dim, e.getKey(), e.getValue()[0]))));
        return out;
    }

    private record DayJson(long day, String json) {}

    /** One JSON column of the link's rows in [fromDay, toDay), oldest first. */
    private List<DayJson> days(long linkId, long fromDay, long toDay, String column) {
        // Row values rather than "link_id = ? AND day >= ?": PostgreSQL switches a statement that
        // ran five times to a generic plan, which may guess a range on click_days_day cheaper and
        // filter every link's rows of the range. A row comparison can only use the primary key.
        return withConnection(db.reader(), c -> {
            try (var ps = c.prepareStatement("SELECT day, " + column + " FROM click_days "
                    + "WHERE (link_id, day) >= (?, ?) AND (link_id, day) < (?, ?) ORDER BY link_id, day")) {
                ps.setLong(1, linkId);
                ps.setLong(2, fromDay);
                ps.setLong(3, linkId);
                ps.setLong(4, toDay);
                return list(ps, rs -> new DayJson(rs.getLong(1), rs.getString(2)));
            }
        });
    }

    private static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    @Override
    public List<DayClicks> dailyTotals(long fromDay, long toDay) {
        return withConnection(db.reader(), c -> {
            try (var ps = c.prepareStatement("SELECT day, SUM(clicks), SUM(bots) FROM click_days "
                    + "WHERE day >= ? AND day < ? GROUP BY day ORDER BY day")) {
                ps.setLong(1, fromDay);
                ps.setLong(2, toDay);
                return list(ps, rs -> new DayClicks(rs.getLong(1), rs.getLong(2), rs.getLong(3)));
            }
        });
    }

    @Override
    public List<LinkClicks> topLinks(long fromDay, long toDay, int limit) {
        return withConnection(db.reader(), c -> {
            try (var ps = c.prepareStatement("SELECT l.code, t.clicks, t.bots FROM ("
                    + "SELECT link_id, SUM(clicks) AS clicks, SUM(bots) AS bots FROM click_days "
                    + "WHERE day >= ? AND day < ? GROUP BY link_id "
                    + "ORDER BY SUM(clicks) DESC, SUM(bots) DESC, link_id LIMIT ?) t "
                    + "JOIN links l ON l.id = t.link_id ORDER BY t.clicks DESC, t.bots DESC, l.id")) {
                ps.setLong(1, fromDay);
                ps.setLong(2, toDay);
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
