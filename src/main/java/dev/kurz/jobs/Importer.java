package dev.kurz.jobs;

import dev.kurz.http.Problem;
import dev.kurz.jobs.ImportFormat.ImportException;
import dev.kurz.link.CodeMinter;
import dev.kurz.link.ShortCodes;
import dev.kurz.link.UrlPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one claimed import: reads the uploaded file record by record, validates each one like the
 * link API does (the same {@link UrlPolicy}), and writes links in batches of {@link #BATCH}.
 *
 * <p>Crash safety: each batch is one transaction that (1) moves the job's checkpoint from where this
 * worker last left it to the end of the batch, on the condition that the worker still holds the job
 * and nobody moved the checkpoint meanwhile, (2) inserts the batch's links with one multi-row
 * {@code INSERT ... ON CONFLICT DO NOTHING RETURNING code}, (3) records refused rows and the
 * counts. Links and checkpoint commit together or not at all, so a worker that dies anywhere
 * leaves a checkpoint that matches the links exactly; the next worker skips that many records and
 * goes on. A worker whose lease was taken over fails step (1) and stops without writing a thing.
 *
 * <p>Codes: kept aliases as given; rows without one get codes from the {@link CodeMinter}'s id
 * blocks, minted before the transaction (on SQLite the single writer connection is the
 * transaction's). A generated code that turns out to be taken by an alias (rare) rolls the batch
 * back; it is retried with fresh codes.
 *
 * <p>Conflicts: a code that exists already with the same target counts as {@code existing} (so an
 * import can be repeated safely); with another target it is a refused row, reported with its line.
 */
final class Importer {

    private static final Logger log = LoggerFactory.getLogger(Importer.class);

    static final int BATCH = 1000;
    static final int MAX_TITLE = 512;
    static final int MAX_MESSAGE = 300;
    private static final Set<Integer> STATUSES = Set.of(301, 302, 307, 308);

    private final JobStore store;
    private final UrlPolicy urls;
    private final CodeMinter minter;
    private final Clock clock;
    private final Duration lease;

    Importer(JobStore store, UrlPolicy urls, CodeMinter minter, Clock clock, Duration lease) {
        this.store = store;
        this.urls = urls;
        this.minter = minter;
        this.clock = clock;
        this.lease = lease;
    }

    /** How a run ended. */
    enum Outcome { FINISHED, LEASE_LOST, STOPPED }

    /** A validated row ready to insert; {@code generated} codes may be re-minted. */
    private record Prepared(long line, String code, boolean generated, String url, String title, long created,
                            Long expires, Long maxClicks, int status, boolean disabled) {
        Prepared withCode(String c) {
            return new Prepared(line, c, true, url, title, created, expires, maxClicks, status, disabled);
        }
    }

    /** The batch lost its lease to another worker: roll back and stop. */
    private static final class LeaseLost extends RuntimeException {
        LeaseLost() {
            super(null, null, false, false);
        }
    }

    /** Generated codes that were already taken: roll back, re-mint them, retry. */
    private static final class CodesTaken extends RuntimeException {
        final Set<String> codes;

        CodesTaken(Set<String> codes) {
            super(null, null, false, false);
            this.codes = codes;
        }
    }

    /** A batch read and validated ahead of its transaction; {@code bytes} = input read after it. */
    private record Batch(List<Prepared> rows, List<RowError> errors, int records, long bytes) {}

    private static final Object END = new Object();

    /**
     * Runs {@code job} (claimed by {@code worker}) until its input ends, its lease is lost, or
     * {@code stop} says so (then it returns STOPPED without writing anything more). Marks the job
     * done, or failed when the file can't be read in its format. An interrupted thread stops as a
     * killed process would: no further write, the lease left to run out.
     *
     * <p>Reading and validating (CPU) overlap with writing (the database): a reader thread prepares
     * up to two batches ahead of the transaction that writes the current one.
     */
    Outcome run(Job job, String worker, BooleanSupplier stop, LongConsumer afterBatch) {
        var queue = new ArrayBlockingQueue<Object>(2);
        Thread reader = Thread.ofVirtual().name("kurz-import-read-" + job.id()).start(() -> read(job, queue));
        long checkpoint = job.checkpoint();
        long failedSoFar = job.failed();
        try {
            while (true) {
                if (Thread.currentThread().isInterrupted() || stop.getAsBoolean()) {
                    return Outcome.STOPPED;
                }
                Object next = queue.take();
                if (next == END) {
                    break;
                }
                if (next instanceof ImportException e) {
                    log.info("import job {} failed: {}", job.id(), e.getMessage());
                    store.finish(job.id(), worker, e.getMessage());
                    return Outcome.FINISHED;
                }
                if (next instanceof RuntimeException e) {
                    throw e;
                }
                Batch batch = (Batch) next;
                if (Thread.currentThread().isInterrupted()) {
                    return Outcome.STOPPED;
                }
                long to = checkpoint + batch.records();
                failedSoFar += commit(job, worker, checkpoint, to, Math.min(batch.bytes(), job.inputBytes()), batch,
                        failedSoFar);
                checkpoint = to;
                afterBatch.accept(checkpoint);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.STOPPED;
        } catch (LeaseLost e) {
            log.warn("import job {}: lease taken over by another worker; stopping", job.id());
            return Outcome.LEASE_LOST;
        } finally {
            reader.interrupt();
        }
        if (Thread.currentThread().isInterrupted()) {
            return Outcome.STOPPED;
        }
        store.finish(job.id(), worker, null);
        return Outcome.FINISHED;
    }

    /** The reader thread: skips the records already done, then hands prepared batches over. */
    private void read(Job job, ArrayBlockingQueue<Object> queue) {
        Object last = END;
        try (JobStore.CountingInput input = store.input(job.id());
             ImportFormat.RowReader rows = ImportFormat.parse(job.format()).open(input)) {
            for (long skipped = 0; skipped < job.checkpoint(); skipped++) {
                if (rows.next() == null) {
                    break;
                }
            }
            while (!Thread.currentThread().isInterrupted()) {
                var batch = new ArrayList<ImportRow>(BATCH);
                ImportRow row;
                while (batch.size() < BATCH && (row = rows.next()) != null) {
                    batch.add(row);
                }
                if (batch.isEmpty()) {
                    break;
                }
                queue.put(prepare(batch, input.count()));
            }
        } catch (InterruptedException e) {
            return; // the job's thread stopped: nobody waits for more
        } catch (IOException e) {
            last = new UncheckedIOException(e);
        } catch (RuntimeException e) {
            last = e;
        }
        try {
            queue.put(last);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Batch prepare(List<ImportRow> batch, long bytes) {
        long now = clock.millis();
        var prepared = new ArrayList<Prepared>(batch.size());
        var errors = new ArrayList<RowError>();
        for (ImportRow r : batch) {
            try {
                prepared.add(prepare(r, now));
            } catch (IllegalArgumentException | Problem e) {
                errors.add(new RowError(r.line(), clip(e instanceof Problem p ? p.detail() : e.getMessage())));
            }
        }
        return new Batch(prepared, errors, batch.size(), bytes);
    }

    /** Writes one batch; returns how many rows it refused. */
    private long commit(Job job, String worker, long from, long to, long bytes, Batch batch, long failedSoFar) {
        var prepared = new ArrayList<>(batch.rows());
        for (int attempt = 0; ; attempt++) {
            try {
                return batch.errors().size() + commitOnce(job.id(), job.linkOwner(), worker, from, to, bytes, prepared,
                        batch.errors(), failedSoFar);
            } catch (CodesTaken taken) {
                if (attempt > 16) {
                    throw new IllegalStateException("generated codes keep colliding with aliases");
                }
                prepared.replaceAll(p -> p.generated() && taken.codes.contains(p.code()) ? p.withCode(minter.next()) : p);
            }
        }
    }

    /** One batch transaction; returns how many rows it refused for taken codes. */
    private long commitOnce(long jobId, long owner, String worker, long from, long to, long bytes,
                            List<Prepared> rows, List<RowError> errors, long failedSoFar) {
        long now = clock.millis();
        boolean postgres = store.database().dialect() == dev.kurz.db.Database.Dialect.POSTGRESQL;
        return dev.kurz.db.Jdbc.inTransaction(store.database().writer(), c -> {
            if (postgres) {
                // Links and checkpoint commit together, so losing the last batches to a server crash
                // only means redoing them: no need to wait for each batch's WAL flush.
                try (var st = c.createStatement()) {
                    st.execute("SET LOCAL synchronous_commit = off");
                }
            }
            if (JobStore.updateCheckpoint(c, jobId, worker, from, to, bytes, now + lease.toMillis(), now) != 1) {
                throw new LeaseLost();
            }
            Set<String> inserted = insert(c, owner, now, rows);
            var claimed = new HashSet<String>();
            var missing = new ArrayList<Prepared>();
            long imported = 0;
            for (Prepared p : rows) {
                if (inserted.contains(p.code()) && claimed.add(p.code())) {
                    imported++;
                } else {
                    missing.add(p);
                }
            }
            var allErrors = new ArrayList<>(errors);
            long existing = 0;
            if (!missing.isEmpty()) {
                Map<String, String> targets = targets(c, missing);
                var taken = new HashSet<String>();
                for (Prepared p : missing) {
                    String target = targets.get(p.code());
                    if (p.generated()) {
                        taken.add(p.code());
                    } else if (p.url().equals(target)) {
                        existing++;
                    } else {
                        allErrors.add(new RowError(p.line(), "code '" + p.code() + "' is already used by a link to "
                                + "another URL; not imported"));
                    }
                }
                if (!taken.isEmpty()) {
                    throw new CodesTaken(taken);
                }
            }
            long room = Math.max(0, JobStore.MAX_ERRORS - failedSoFar);
            if (room > 0 && !allErrors.isEmpty()) {
                try (var ps = c.prepareStatement(
                        "INSERT INTO job_errors (job_id, line, message) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
                    for (RowError e : allErrors.subList(0, (int) Math.min(room, allErrors.size()))) {
                        ps.setLong(1, jobId);
                        ps.setLong(2, e.line());
                        ps.setString(3, e.message());
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
            }
            try (var ps = c.prepareStatement(
                    "UPDATE jobs SET imported = imported + ?, existing = existing + ?, failed = failed + ? WHERE id = ?")) {
                ps.setLong(1, imported);
                ps.setLong(2, existing);
                ps.setLong(3, allErrors.size());
                ps.setLong(4, jobId);
                ps.executeUpdate();
            }
            return (long) (allErrors.size() - errors.size());
        });
    }

    /** One multi-row insert; returns the codes that were inserted. */
    private Set<String> insert(Connection c, long owner, long now, List<Prepared> rows) throws SQLException {
        var inserted = new HashSet<String>();
        if (rows.isEmpty()) {
            return inserted;
        }
        if (store.database().dialect() == dev.kurz.db.Database.Dialect.POSTGRESQL) {
            return insertUnnest(c, owner, now, rows);
        }
        var sql = new StringBuilder("INSERT INTO links (code, url, dedup_key, owner_key_id, title, created_at, updated_at, "
                + "expires_at, max_clicks, redirect_status, disabled, password_hash, clicks) VALUES ");
        for (int i = 0; i < rows.size(); i++) {
            sql.append(i == 0 ? "" : ",").append("(?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0)");
        }
        sql.append(" ON CONFLICT DO NOTHING RETURNING code");
        try (var ps = c.prepareStatement(sql.toString())) {
            int i = 1;
            for (Prepared p : rows) {
                ps.setString(i++, p.code());
                ps.setString(i++, p.url());
                ps.setLong(i++, owner);
                ps.setString(i++, p.title());
                ps.setLong(i++, p.created());
                ps.setLong(i++, Math.max(p.created(), now));
                dev.kurz.db.Jdbc.setNullableLong(ps, i++, p.expires());
                dev.kurz.db.Jdbc.setNullableLong(ps, i++, p.maxClicks());
                ps.setInt(i++, p.status());
                ps.setBoolean(i++, p.disabled());
            }
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    inserted.add(rs.getString(1));
                }
            }
        }
        return inserted;
    }

    /**
     * PostgreSQL: the batch as nine arrays, unnested into rows by the server. One statement with
     * ten parameters instead of ten thousand: nothing for the server to parse and plan per batch,
     * which makes it about twice as fast as a multi-row VALUES.
     */
    private static Set<String> insertUnnest(Connection c, long owner, long now, List<Prepared> rows) throws SQLException {
        int n = rows.size();
        var codes = new String[n];
        var urls = new String[n];
        var titles = new String[n];
        var created = new Long[n];
        var updated = new Long[n];
        var expires = new Long[n];
        var maxClicks = new Long[n];
        var statuses = new Integer[n];
        var disabled = new Boolean[n];
        for (int i = 0; i < n; i++) {
            Prepared p = rows.get(i);
            codes[i] = p.code();
            urls[i] = p.url();
            titles[i] = p.title();
            created[i] = p.created();
            updated[i] = Math.max(p.created(), now);
            expires[i] = p.expires();
            maxClicks[i] = p.maxClicks();
            statuses[i] = p.status();
            disabled[i] = p.disabled();
        }
        var inserted = new HashSet<String>();
        try (var ps = c.prepareStatement("INSERT INTO links (code, url, dedup_key, owner_key_id, title, created_at, "
                + "updated_at, expires_at, max_clicks, redirect_status, disabled, password_hash, clicks) "
                + "SELECT code, url, NULL, ?, title, created_at, updated_at, expires_at, max_clicks, redirect_status, "
                + "disabled, NULL, 0 FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], "
                + "?::bigint[], ?::int[], ?::boolean[]) AS t(code, url, title, created_at, updated_at, expires_at, "
                + "max_clicks, redirect_status, disabled) ON CONFLICT DO NOTHING RETURNING code")) {
            ps.setLong(1, owner);
            ps.setArray(2, c.createArrayOf("text", codes));
            ps.setArray(3, c.createArrayOf("text", urls));
            ps.setArray(4, c.createArrayOf("text", titles));
            ps.setArray(5, c.createArrayOf("bigint", created));
            ps.setArray(6, c.createArrayOf("bigint", updated));
            ps.setArray(7, c.createArrayOf("bigint", expires));
            ps.setArray(8, c.createArrayOf("bigint", maxClicks));
            ps.setArray(9, c.createArrayOf("int4", statuses));
            ps.setArray(10, c.createArrayOf("bool", disabled));
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    inserted.add(rs.getString(1));
                }
            }
        }
        return inserted;
    }

    private static Map<String, String> targets(Connection c, List<Prepared> rows) throws SQLException {
        var codes = new ArrayList<>(rows.stream().map(Prepared::code).distinct().toList());
        var out = new HashMap<String, String>();
        String sql = "SELECT code, url FROM links WHERE code IN (" + "?,".repeat(codes.size() - 1) + "?)";
        try (var ps = c.prepareStatement(sql)) {
            for (int i = 0; i < codes.size(); i++) {
                ps.setString(i + 1, codes.get(i));
            }
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return out;
    }

    /**
     * A row as it will be stored, or an exception saying why not. The same URL policy as the API;
     * kept codes may be 1-64 characters of {@code [A-Za-z0-9_-]} (other shorteners' one- and two-
     * letter codes stay reachable), never one of kurz's reserved words.
     */
    private Prepared prepare(ImportRow r, long now) {
        if (r.error() != null) {
            throw new IllegalArgumentException(r.error());
        }
        if (r.passwordProtected()) {
            throw new IllegalArgumentException("the link had a password, which exports never contain; not imported "
                    + "(create it again with a password)");
        }
        if (r.url() == null) {
            throw new IllegalArgumentException("the url is missing");
        }
        String url = urls.normalize("url", r.url());
        String code = r.code();
        if (code != null) {
            if (!ShortCodes.isCodeShaped(code, 0, code.length())) {
                throw new IllegalArgumentException("code '" + Dates.abbreviate(code) + "' must be 1 to "
                        + ShortCodes.MAX_ALIAS + " letters, digits, '_' or '-'");
            }
            if (ShortCodes.isReserved(code)) {
                throw new IllegalArgumentException("code '" + code + "' is reserved for kurz's own pages");
            }
        }
        if (r.redirectStatus() != null && !STATUSES.contains(r.redirectStatus())) {
            throw new IllegalArgumentException("redirect status " + r.redirectStatus() + " is not one of 301, 302, 307, 308");
        }
        if (r.maxClicks() != null && r.maxClicks() < 1) {
            throw new IllegalArgumentException("max clicks must be at least 1");
        }
        boolean generated = code == null;
        return new Prepared(r.line(), generated ? minter.next() : code, generated, url, title(r.title()),
                r.created() == null ? now : r.created(), r.expires(), r.maxClicks(),
                r.redirectStatus() == null ? 302 : r.redirectStatus(), Boolean.TRUE.equals(r.disabled()));
    }

    /**
     * Titles are shown, never followed: other systems' titles are cleaned rather than refused
     * (control characters become spaces, unpaired surrogates go, at most 512 characters).
     */
    static String title(String raw) {
        if (raw == null || raw.isBlank()) {
            return null;
        }
        var out = new StringBuilder(Math.min(raw.length(), MAX_TITLE));
        for (int i = 0; i < raw.length() && out.length() < MAX_TITLE; i++) {
            char ch = raw.charAt(i);
            if (Character.isHighSurrogate(ch)) {
                if (i + 1 < raw.length() && Character.isLowSurrogate(raw.charAt(i + 1)) && out.length() + 2 <= MAX_TITLE) {
                    out.append(ch).append(raw.charAt(++i));
                }
            } else if (!Character.isLowSurrogate(ch)) {
                out.append(Character.isISOControl(ch) ? ' ' : ch);
            }
        }
        String t = out.toString().strip();
        return t.isEmpty() ? null : t;
    }

    private static String clip(String message) {
        return message.length() <= MAX_MESSAGE ? message : message.substring(0, MAX_MESSAGE) + "...";
    }
}
