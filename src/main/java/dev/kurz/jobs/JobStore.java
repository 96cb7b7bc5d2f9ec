package dev.kurz.jobs;

import static dev.kurz.db.Jdbc.inIdempotentTransaction;
import static dev.kurz.db.Jdbc.inTransaction;
import static dev.kurz.db.Jdbc.nullableLong;
import static dev.kurz.db.Jdbc.withConnection;

import dev.kurz.db.Database;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The {@code jobs}, {@code job_inputs} and {@code job_errors} tables: creating jobs, claiming them
 * under a lease, renewing and releasing leases, and reading what a client may see.
 *
 * <p>Claiming: a job is claimable when it is queued, or running under a lease that has run out
 * (its worker died or hung). On PostgreSQL the claim is one {@code UPDATE ... WHERE id = (SELECT ...
 * FOR UPDATE SKIP LOCKED)}, so concurrent workers never wait for each other and never take the same
 * row; on SQLite the single writer connection serialises claims. Every write a worker makes to its
 * job names the worker ({@code claimed_by = ?}), so a worker whose lease was taken over can no
 * longer change the job (it is fenced off).
 *
 * <p>Every method blocks on the database: call from a virtual or worker thread.
 */
public final class JobStore {

    /** Uploaded files are stored in chunks of this size. */
    static final int CHUNK = 1 << 20;
    /** Most per-row errors kept for one job; the job counts all of them. */
    public static final int MAX_ERRORS = 1000;
    /** A job whose worker died this many times is given up (it probably kills workers). */
    static final int MAX_ATTEMPTS = 5;

    private static final String COLUMNS = "id, kind, state, owner_key_id, format, link_owner, input_bytes, "
            + "bytes_done, checkpoint, imported, existing, failed, claimed_by, lease_until, attempts, error, "
            + "created_at, started_at, updated_at, finished_at";

    private final Database db;
    private final Clock clock;

    public JobStore(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    Database database() {
        return db;
    }

    Clock clock() {
        return clock;
    }

    /** A new import job, state {@code uploading} until {@link #finishUpload}. */
    public long createImport(long ownerKeyId, long linkOwner, ImportFormat format) {
        long now = clock.millis();
        return inTransaction(db.writer(), c -> {
            try (var ps = c.prepareStatement("INSERT INTO jobs (kind, state, owner_key_id, format, link_owner, "
                    + "created_at, updated_at) VALUES ('import', 'uploading', ?, ?, ?, ?, ?) RETURNING id")) {
                ps.setLong(1, ownerKeyId);
                ps.setString(2, format.id());
                ps.setLong(3, linkOwner);
                ps.setLong(4, now);
                ps.setLong(5, now);
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    /** Stores chunk {@code seq} of an upload. Idempotent (a retried chunk replaces itself). */
    public void appendInput(long jobId, int seq, byte[] data) {
        inIdempotentTransaction(db.writer(), c -> {
            try (var ps = c.prepareStatement("INSERT INTO job_inputs (job_id, seq, data) VALUES (?, ?, ?) "
                    + "ON CONFLICT (job_id, seq) DO UPDATE SET data = excluded.data")) {
                ps.setLong(1, jobId);
                ps.setInt(2, seq);
                ps.setBytes(3, data);
                return ps.executeUpdate();
            }
        });
    }

    /** The upload is complete: the job becomes claimable. */
    public void finishUpload(long jobId, long bytes) {
        inIdempotentTransaction(db.writer(), c -> {
            try (var ps = c.prepareStatement(
                    "UPDATE jobs SET state = 'queued', input_bytes = ?, updated_at = ? WHERE id = ? AND state = 'uploading'")) {
                ps.setLong(1, bytes);
                ps.setLong(2, clock.millis());
                ps.setLong(3, jobId);
                return ps.executeUpdate();
            }
        });
    }

    /** Forgets a job and everything stored for it (an aborted or refused upload). */
    public void discard(long jobId) {
        inIdempotentTransaction(db.writer(), c -> {
            for (String table : List.of("job_inputs", "job_errors")) {
                try (var ps = c.prepareStatement("DELETE FROM " + table + " WHERE job_id = ?")) {
                    ps.setLong(1, jobId);
                    ps.executeUpdate();
                }
            }
            try (var ps = c.prepareStatement("DELETE FROM jobs WHERE id = ?")) {
                ps.setLong(1, jobId);
                return ps.executeUpdate();
            }
        });
    }

    public Optional<Job> find(long id) {
        return withConnection(db.writer(), c -> {
            try (var ps = c.prepareStatement("SELECT " + COLUMNS + " FROM jobs WHERE id = ?")) {
                ps.setLong(1, id);
                return first(ps);
            }
        });
    }

    /** Newest first; only {@code ownerKeyId}'s jobs unless it is null. */
    public List<Job> list(Long ownerKeyId, int limit) {
        String sql = "SELECT " + COLUMNS + " FROM jobs" + (ownerKeyId == null ? "" : " WHERE owner_key_id = ?")
                + " ORDER BY id DESC LIMIT ?";
        return withConnection(db.writer(), c -> {
            try (var ps = c.prepareStatement(sql)) {
                int i = 1;
                if (ownerKeyId != null) {
                    ps.setLong(i++, ownerKeyId);
                }
                ps.setInt(i, limit);
                var out = new ArrayList<Job>();
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(read(rs));
                    }
                }
                return out;
            }
        });
    }

    /** The first {@code limit} refused rows of a job, by line. */
    public List<RowError> errors(long jobId, int limit) {
        return withConnection(db.writer(), c -> {
            try (var ps = c.prepareStatement(
                    "SELECT line, message FROM job_errors WHERE job_id = ? ORDER BY line LIMIT ?")) {
                ps.setLong(1, jobId);
                ps.setInt(2, limit);
                var out = new ArrayList<RowError>();
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new RowError(rs.getLong(1), rs.getString(2)));
                    }
                }
                return out;
            }
        });
    }

    /** Claims the oldest claimable import for {@code worker}, if any. */
    public Optional<Job> claimNext(String worker, Duration lease) {
        return claim(null, worker, lease);
    }

    /** Claims import {@code id} for {@code worker} if it is claimable now. */
    public Optional<Job> claim(long id, String worker, Duration lease) {
        return claim(Long.valueOf(id), worker, lease);
    }

    private Optional<Job> claim(Long id, String worker, Duration lease) {
        long now = clock.millis();
        String skipLocked = db.dialect() == Database.Dialect.POSTGRESQL ? " FOR UPDATE SKIP LOCKED" : "";
        // Not retried after a lost connection: a claim that did commit would then look like no claim,
        // and the job would wait for its lease to run out. That costs one lease period, nothing more.
        return inTransaction(db.writer(), c -> {
            // A job that keeps killing its workers is given up rather than passed on forever.
            try (var ps = c.prepareStatement("UPDATE jobs SET state = 'failed', finished_at = ?, updated_at = ?, "
                    + "claimed_by = NULL, lease_until = NULL, error = ? WHERE kind = 'import' AND state = 'running' "
                    + "AND lease_until < ? AND attempts >= ?")) {
                ps.setLong(1, now);
                ps.setLong(2, now);
                ps.setString(3, "given up: " + MAX_ATTEMPTS + " workers stopped while running it");
                ps.setLong(4, now);
                ps.setInt(5, MAX_ATTEMPTS);
                ps.executeUpdate();
            }
            try (var ps = c.prepareStatement("UPDATE jobs SET state = 'running', claimed_by = ?, lease_until = ?, "
                    + "attempts = attempts + 1, started_at = COALESCE(started_at, ?), updated_at = ? "
                    + "WHERE id = (SELECT id FROM jobs WHERE kind = 'import' AND "
                    + "(state = 'queued' OR (state = 'running' AND lease_until < ?))"
                    + (id == null ? "" : " AND id = ?") + " ORDER BY id LIMIT 1" + skipLocked + ") RETURNING " + COLUMNS)) {
                ps.setString(1, worker);
                ps.setLong(2, now + lease.toMillis());
                ps.setLong(3, now);
                ps.setLong(4, now);
                ps.setLong(5, now);
                if (id != null) {
                    ps.setLong(6, id);
                }
                return first(ps);
            }
        });
    }

    /** Extends {@code worker}'s leases on {@code ids}; returns the ids it still holds. */
    public List<Long> renew(Collection<Long> ids, String worker, Duration lease) {
        if (ids.isEmpty()) {
            return List.of();
        }
        long until = clock.millis() + lease.toMillis();
        return inIdempotentTransaction(db.writer(), c -> {
            var held = new ArrayList<Long>();
            try (var ps = c.prepareStatement("UPDATE jobs SET lease_until = ? WHERE id = ? AND claimed_by = ? "
                    + "AND state = 'running'")) {
                for (long id : ids) {
                    ps.setLong(1, until);
                    ps.setLong(2, id);
                    ps.setString(3, worker);
                    if (ps.executeUpdate() == 1) {
                        held.add(id);
                    }
                }
            }
            return held;
        });
    }

    /** Gives a running job back (a worker stopping gracefully): any worker may take it at once. */
    public void release(long id, String worker) {
        inIdempotentTransaction(db.writer(), c -> {
            try (var ps = c.prepareStatement("UPDATE jobs SET state = 'queued', claimed_by = NULL, lease_until = NULL, "
                    + "attempts = attempts - 1, updated_at = ? WHERE id = ? AND claimed_by = ? AND state = 'running'")) {
                ps.setLong(1, clock.millis());
                ps.setLong(2, id);
                ps.setString(3, worker);
                return ps.executeUpdate();
            }
        });
    }

    /** Ends a job (done or failed) and deletes its uploaded input; false if the worker lost it. */
    public boolean finish(long id, String worker, String error) {
        long now = clock.millis();
        return inIdempotentTransaction(db.writer(), c -> {
            int updated;
            try (var ps = c.prepareStatement("UPDATE jobs SET state = ?, error = ?, finished_at = ?, updated_at = ?, "
                    + "lease_until = NULL WHERE id = ? AND claimed_by = ? AND state = 'running'")) {
                ps.setString(1, error == null ? "done" : "failed");
                ps.setString(2, error);
                ps.setLong(3, now);
                ps.setLong(4, now);
                ps.setLong(5, id);
                ps.setString(6, worker);
                updated = ps.executeUpdate();
            }
            if (updated == 1) {
                try (var ps = c.prepareStatement("DELETE FROM job_inputs WHERE job_id = ?")) {
                    ps.setLong(1, id);
                    ps.executeUpdate();
                }
            }
            return updated == 1;
        });
    }

    /**
     * Starts the purge of period {@code periodKey} for {@code worker}, unless some worker already
     * did: the unique key makes it happen once per period across the cluster. Returns the job id.
     */
    Optional<Long> startPeriod(String periodKey, String worker) {
        long now = clock.millis();
        return inTransaction(db.writer(), c -> {
            try (var ps = c.prepareStatement("INSERT INTO jobs (kind, state, claimed_by, period_key, attempts, "
                    + "created_at, started_at, updated_at) VALUES ('purge', 'running', ?, ?, 1, ?, ?, ?) "
                    + "ON CONFLICT (period_key) DO NOTHING RETURNING id")) {
                ps.setString(1, worker);
                ps.setString(2, periodKey);
                ps.setLong(3, now);
                ps.setLong(4, now);
                ps.setLong(5, now);
                try (var rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
                }
            }
        });
    }

    /** Records what a purge removed: links in {@code imported}, roll-up rows in {@code existing}. */
    void finishPurge(long id, String worker, long links, long rollups, String error) {
        inIdempotentTransaction(db.writer(), c -> {
            try (var ps = c.prepareStatement("UPDATE jobs SET imported = ?, existing = ? WHERE id = ?")) {
                ps.setLong(1, links);
                ps.setLong(2, rollups);
                ps.setLong(3, id);
                return ps.executeUpdate();
            }
        });
        finish(id, worker, error);
    }

    /** The uploaded file of {@code jobId}, read chunk by chunk from the database. */
    public CountingInput input(long jobId) {
        return new CountingInput(jobId);
    }

    /** Reads an upload's chunks in order, one query each, counting the bytes handed out. */
    public final class CountingInput extends InputStream {
        private final long jobId;
        private int seq;
        private byte[] chunk = new byte[0];
        private int pos;
        private boolean end;
        private long count;

        private CountingInput(long jobId) {
            this.jobId = jobId;
        }

        /** Bytes read so far. */
        public long count() {
            return count;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (pos == chunk.length) {
                if (end || !next()) {
                    end = true;
                    return -1;
                }
            }
            int n = Math.min(len, chunk.length - pos);
            System.arraycopy(chunk, pos, b, off, n);
            pos += n;
            count += n;
            return n;
        }

        private boolean next() {
            Optional<byte[]> data = withConnection(db.writer(), c -> {
                try (var ps = c.prepareStatement("SELECT data FROM job_inputs WHERE job_id = ? AND seq = ?")) {
                    ps.setLong(1, jobId);
                    ps.setInt(2, seq);
                    try (var rs = ps.executeQuery()) {
                        return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.<byte[]>empty();
                    }
                }
            });
            if (data.isEmpty()) {
                return false;
            }
            seq++;
            chunk = data.get();
            pos = 0;
            return true;
        }
    }

    static Optional<Job> first(PreparedStatement ps) throws SQLException {
        try (var rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(read(rs)) : Optional.empty();
        }
    }

    static Job read(ResultSet rs) throws SQLException {
        return new Job(rs.getLong("id"), rs.getString("kind"), rs.getString("state"), rs.getLong("owner_key_id"),
                rs.getString("format"), rs.getLong("link_owner"), rs.getLong("input_bytes"), rs.getLong("bytes_done"),
                rs.getLong("checkpoint"), rs.getLong("imported"), rs.getLong("existing"), rs.getLong("failed"),
                rs.getString("claimed_by"), nullableLong(rs, "lease_until"), rs.getInt("attempts"),
                rs.getString("error"), rs.getLong("created_at"), nullableLong(rs, "started_at"),
                rs.getLong("updated_at"), nullableLong(rs, "finished_at"));
    }

    /** Connection-level helper for the batch writer, which shares the job row's transaction. */
    static int updateCheckpoint(Connection c, long jobId, String worker, long from, long to, long bytesDone,
                                long leaseUntil, long now) throws SQLException {
        try (var ps = c.prepareStatement("UPDATE jobs SET checkpoint = ?, bytes_done = ?, lease_until = ?, "
                + "updated_at = ? WHERE id = ? AND claimed_by = ? AND checkpoint = ? AND state = 'running'")) {
            ps.setLong(1, to);
            ps.setLong(2, bytesDone);
            ps.setLong(3, leaseUntil);
            ps.setLong(4, now);
            ps.setLong(5, jobId);
            ps.setString(6, worker);
            ps.setLong(7, from);
            return ps.executeUpdate();
        }
    }
}
