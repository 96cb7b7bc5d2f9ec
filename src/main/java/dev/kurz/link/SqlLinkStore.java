package dev.kurz.link;

import static dev.kurz.db.Jdbc.inAutoCommit;
import static dev.kurz.db.Jdbc.inIdempotentTransaction;
import static dev.kurz.db.Jdbc.inTransaction;
import static dev.kurz.db.Jdbc.nullableLong;
import static dev.kurz.db.Jdbc.setNullableLong;
import static dev.kurz.db.Jdbc.withConnection;

import dev.kurz.db.Database;
import dev.kurz.db.GroupCommit;
import dev.kurz.db.Jdbc.SqlWork;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * {@link LinkStore} over JDBC. The SQL is the common subset of SQLite (3.35+) and PostgreSQL:
 * {@code INSERT ... ON CONFLICT DO NOTHING RETURNING}, {@code UPDATE ... RETURNING}, epoch
 * milliseconds in BIGINT columns, so a new dialect needs migrations, not new queries.
 */
public final class SqlLinkStore implements LinkStore {

    /** The columns {@link #read} expects, in this order. */
    private static final String COLUMNS = "id, code, url, title, owner_key_id, created_at, updated_at, "
            + "expires_at, max_clicks, redirect_status, disabled, clicks, "
            + "(password_hash IS NOT NULL) AS password_protected";


    private static final String INSERT_COLUMNS = "code, url, dedup_key, owner_key_id, title, created_at, updated_at, "
            + "expires_at, max_clicks, redirect_status, disabled, password_hash, clicks";
    /**
     * A batch on PostgreSQL: the rows come from one array per column, so the statement's text (and
     * the plan PostgreSQL prepares for it) is the same for every batch size. {@code VALUES} with a
     * row of parameters per link would be another text for each size: up to 256 prepared plans of
     * up to 3,072 parameters on every connection, or a plan made for every batch (measured: 18 µs
     * more of PostgreSQL's CPU per create).
     */
    private static final String INSERT_UNNEST = "INSERT INTO links (" + INSERT_COLUMNS + ") "
            + "SELECT code, url, dedup_key, owner_key_id, title, created_at, created_at, expires_at, max_clicks, "
            + "redirect_status, FALSE, password_hash, 0 "
            + "FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::bigint[], ?::bigint[], "
            + "?::bigint[], ?::integer[], ?::text[]) "
            + "AS t(code, url, dedup_key, owner_key_id, title, created_at, expires_at, max_clicks, redirect_status, "
            + "password_hash) ON CONFLICT DO NOTHING RETURNING " + COLUMNS;

    /** New links one batch may hold: enough to share a commit widely, few enough to keep the wait short. */
    static final int INSERT_BATCH_MAX = 256;

    private final Database db;
    private final GroupCommit<NewLink, Optional<Link>> inserts = new GroupCommit<>(INSERT_BATCH_MAX, this::insertAll);

    public SqlLinkStore(Database db) {
        this.db = db;
    }

    @Override
    public Optional<Link> findByCode(String code) {
        String sql = "SELECT " + COLUMNS + " FROM links WHERE code = ?";
        Optional<Link> link = withConnection(db.reader(), c -> one(c, sql, code));
        if (link.isEmpty() && db.hasReplica()) {
            // A replica may not have a link created a moment ago: ask the primary before a 404.
            link = withConnection(db.writer(), c -> one(c, sql, code));
        }
        return link;
    }

    @Override
    public Optional<Link> findByCodeOnPrimary(String code) {
        return withConnection(db.primaryReader(), c -> one(c, "SELECT " + COLUMNS + " FROM links WHERE code = ?", code));
    }

    @Override
    public Optional<Link> findByDedupKey(long ownerKeyId, String dedupKey) {
        // Never a replica: the caller just lost an insert race and must see the winner's commit.
        return withConnection(db.primaryReader(), c -> {
            try (var ps = c.prepareStatement(
                    "SELECT " + COLUMNS + " FROM links WHERE owner_key_id = ? AND dedup_key = ?")) {
                ps.setLong(1, ownerKeyId);
                ps.setString(2, dedupKey);
                return first(ps);
            }
        });
    }

    /** Concurrent inserts share a statement and a commit: see {@link GroupCommit}. */
    @Override
    public Optional<Link> insert(NewLink l) {
        return inserts.run(l);
    }

    /** Batches the inserts were written in so far. */
    long insertBatches() {
        return inserts.batches();
    }

    /**
     * Inserts a batch of new links, all or nothing, each row as {@link #insert} would: a row whose
     * code or (owner, dedup key) is taken is skipped and its output is empty. One statement for
     * all of them where their codes differ; a code asked for twice in one batch (the same alias
     * from two requests) goes into a second statement, where it conflicts with the first, so that
     * each returned row names its input by its code.
     */
    List<Optional<Link>> insertAll(List<NewLink> links) {
        List<List<Integer>> statements = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < links.size(); i++) {
            int occurrence = seen.merge(links.get(i).code(), 1, Integer::sum) - 1;
            if (occurrence == statements.size()) {
                statements.add(new ArrayList<>());
            }
            statements.get(occurrence).add(i);
        }
        SqlWork<List<Optional<Link>>> work = c -> {
            List<Optional<Link>> out = new ArrayList<>(Collections.nCopies(links.size(), Optional.empty()));
            for (List<Integer> rows : statements) {
                insertRows(c, links, rows, out);
            }
            return out;
        };
        // One statement commits on its own, without BEGIN and COMMIT round trips.
        return statements.size() == 1 ? inAutoCommit(db.writer(), work) : inTransaction(db.writer(), work);
    }

    private void insertRows(Connection c, List<NewLink> links, List<Integer> rows, List<Optional<Link>> out)
            throws SQLException {
        boolean postgres = db.dialect() == Database.Dialect.POSTGRESQL;
        Map<String, Integer> inputByCode = new HashMap<>();
        for (int i : rows) {
            inputByCode.put(links.get(i).code(), i);
        }
        try (var ps = c.prepareStatement(postgres ? INSERT_UNNEST : insertValues(rows.size()))) {
            if (postgres) {
                bindColumns(c, ps, links, rows);
            } else {
                bindRows(ps, links, rows);
            }
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    Link inserted = read(rs);
                    Integer input = inputByCode.get(inserted.code());
                    if (input == null) {
                        throw new IllegalStateException("the insert returned code " + inserted.code() + ", not asked for");
                    }
                    out.set(input, Optional.of(inserted));
                }
            }
        }
    }

    /** SQLite: {@code VALUES} with a row of parameters per link (SQLite plans it in process, uncached). */
    private static String insertValues(int rows) {
        var sql = new StringBuilder("INSERT INTO links (").append(INSERT_COLUMNS).append(") VALUES ");
        for (int i = 0; i < rows; i++) {
            sql.append(i == 0 ? "" : ", ").append("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)");
        }
        return sql.append(" ON CONFLICT DO NOTHING RETURNING ").append(COLUMNS).toString();
    }

    private static void bindRows(PreparedStatement ps, List<NewLink> links, List<Integer> rows) throws SQLException {
        int p = 0;
        for (int i : rows) {
            NewLink l = links.get(i);
            ps.setString(++p, l.code());
            ps.setString(++p, l.url());
            ps.setString(++p, l.dedupKey());
            ps.setLong(++p, l.ownerKeyId());
            ps.setString(++p, l.title());
            ps.setLong(++p, l.createdAt());
            ps.setLong(++p, l.createdAt());
            setNullableLong(ps, ++p, l.expiresAt());
            setNullableLong(ps, ++p, l.maxClicks());
            ps.setInt(++p, l.redirectStatus());
            ps.setBoolean(++p, false);
            ps.setString(++p, l.passwordHash());
        }
    }

    /** PostgreSQL: one array per column ({@link #INSERT_UNNEST}). */
    private static void bindColumns(Connection c, PreparedStatement ps, List<NewLink> links, List<Integer> rows)
            throws SQLException {
        int n = rows.size();
        var code = new String[n];
        var url = new String[n];
        var dedupKey = new String[n];
        var owner = new Long[n];
        var title = new String[n];
        var createdAt = new Long[n];
        var expiresAt = new Long[n];
        var maxClicks = new Long[n];
        var status = new Integer[n];
        var passwordHash = new String[n];
        for (int r = 0; r < n; r++) {
            NewLink l = links.get(rows.get(r));
            code[r] = l.code();
            url[r] = l.url();
            dedupKey[r] = l.dedupKey();
            owner[r] = l.ownerKeyId();
            title[r] = l.title();
            createdAt[r] = l.createdAt();
            expiresAt[r] = l.expiresAt();
            maxClicks[r] = l.maxClicks();
            status[r] = l.redirectStatus();
            passwordHash[r] = l.passwordHash();
        }
        ps.setArray(1, c.createArrayOf("text", code));
        ps.setArray(2, c.createArrayOf("text", url));
        ps.setArray(3, c.createArrayOf("text", dedupKey));
        ps.setArray(4, c.createArrayOf("bigint", owner));
        ps.setArray(5, c.createArrayOf("text", title));
        ps.setArray(6, c.createArrayOf("bigint", createdAt));
        ps.setArray(7, c.createArrayOf("bigint", expiresAt));
        ps.setArray(8, c.createArrayOf("bigint", maxClicks));
        ps.setArray(9, c.createArrayOf("integer", status));
        ps.setArray(10, c.createArrayOf("text", passwordHash));
    }

    @Override
    public Optional<Link> update(String code, UnaryOperator<Link> change) {
        return update(code, change, false, null);
    }

    @Override
    public Optional<Link> update(String code, UnaryOperator<Link> change, String passwordHash) {
        return update(code, change, true, passwordHash);
    }

    private Optional<Link> update(String code, UnaryOperator<Link> change, boolean setPassword, String passwordHash) {
        // Idempotent: applying the same change twice leaves the same row.
        return inIdempotentTransaction(db.writer(), c -> {
            Optional<Link> current = one(c, "SELECT " + COLUMNS + " FROM links WHERE code = ?"
                    + db.dialect().forUpdate(), code);
            if (current.isEmpty()) {
                return Optional.empty();
            }
            Link next = change.apply(current.get());
            // An edited link no longer answers repeats of the request that created it.
            try (var ps = c.prepareStatement("UPDATE links SET url = ?, title = ?, updated_at = ?, expires_at = ?, "
                    + "max_clicks = ?, redirect_status = ?, disabled = ?, dedup_key = NULL"
                    + (setPassword ? ", password_hash = ?" : "") + " WHERE id = ? RETURNING " + COLUMNS)) {
                ps.setString(1, next.url());
                ps.setString(2, next.title());
                ps.setLong(3, next.updatedAt());
                setNullableLong(ps, 4, next.expiresAt());
                setNullableLong(ps, 5, next.maxClicks());
                ps.setInt(6, next.redirectStatus());
                ps.setBoolean(7, next.disabled());
                int i = 8;
                if (setPassword) {
                    ps.setString(i++, passwordHash);
                }
                ps.setLong(i, current.get().id());
                return first(ps);
            }
        });
    }

    @Override
    public Optional<String> passwordHash(String code) {
        // Never a replica: a password set a moment ago must be the one checked.
        return withConnection(db.primaryReader(), c -> {
            try (var ps = c.prepareStatement("SELECT password_hash FROM links WHERE code = ?")) {
                ps.setString(1, code);
                try (var rs = ps.executeQuery()) {
                    return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public boolean delete(String code) {
        // Idempotent in effect: a retry after an unknown outcome finds the link gone either way.
        return inIdempotentTransaction(db.writer(), c -> {
            Long id;
            try (var ps = c.prepareStatement("DELETE FROM links WHERE code = ? RETURNING id")) {
                ps.setString(1, code);
                try (var rs = ps.executeQuery()) {
                    id = rs.next() ? rs.getLong(1) : null;
                }
            }
            if (id == null) {
                return false;
            }
            try (var ps = c.prepareStatement("DELETE FROM click_days WHERE link_id = ?")) {
                ps.setLong(1, id);
                ps.executeUpdate();
            }
            return true;
        });
    }

    @Override
    public List<Link> newestFirst(Long ownerKeyId, Long beforeId, String search, int limit) {
        // With an owner, the (owner_key_id, id) index serves the page in order. A search filters
        // while walking that order (no index helps a substring match): fine for a person's list,
        // and bounded by the page size for the rows it returns.
        String sql = "SELECT " + COLUMNS + " FROM links WHERE id < ?"
                + (ownerKeyId == null ? "" : " AND owner_key_id = ?")
                + (search == null ? "" : " AND (lower(code) LIKE ? ESCAPE '!' OR lower(url) LIKE ? ESCAPE '!'"
                        + " OR lower(coalesce(title, '')) LIKE ? ESCAPE '!')")
                + " ORDER BY id DESC LIMIT ?";
        String pattern = search == null ? null
                : "%" + search.toLowerCase(java.util.Locale.ROOT).replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%";
        // Never a replica: a list must show what the caller just wrote.
        return withConnection(db.primaryReader(), c -> {
            try (var ps = c.prepareStatement(sql)) {
                int i = 1;
                ps.setLong(i++, beforeId == null ? Long.MAX_VALUE : beforeId);
                if (ownerKeyId != null) {
                    ps.setLong(i++, ownerKeyId);
                }
                if (pattern != null) {
                    ps.setString(i++, pattern);
                    ps.setString(i++, pattern);
                    ps.setString(i++, pattern);
                }
                ps.setInt(i, limit);
                var out = new ArrayList<Link>(limit);
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(read(rs));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public long reserveIds(int count) {
        // Safe to repeat: a lost block only leaves a gap in the ids, never a duplicate.
        return inIdempotentTransaction(db.writer(), c -> {
            try (var ps = c.prepareStatement(
                    "UPDATE id_blocks SET next_id = next_id + ? WHERE name = 'links' RETURNING next_id")) {
                ps.setLong(1, count);
                try (var rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new SQLException("id_blocks has no 'links' row; was the schema migrated?");
                    }
                    return rs.getLong(1) - count;
                }
            }
        });
    }

    private static Optional<Link> one(Connection c, String sql, String param) throws SQLException {
        try (var ps = c.prepareStatement(sql)) {
            ps.setString(1, param);
            return first(ps);
        }
    }

    private static Optional<Link> first(PreparedStatement ps) throws SQLException {
        try (var rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(read(rs)) : Optional.empty();
        }
    }

    /**
     * A row of {@link #COLUMNS}, read by position: SQLite's driver answers a lookup by name by
     * fetching every column name again, which was a tenth of a create's CPU time.
     */
    private static Link read(ResultSet rs) throws SQLException {
        return new Link(
                rs.getLong(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getLong(5),
                rs.getLong(6),
                rs.getLong(7),
                nullableLong(rs, 8),
                nullableLong(rs, 9),
                rs.getInt(10),
                rs.getBoolean(11),
                rs.getBoolean(13),
                rs.getLong(12));
    }
}
