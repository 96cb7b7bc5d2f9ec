package dev.kurz.db;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Types;
import java.time.Duration;
import javax.sql.DataSource;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The few JDBC idioms the stores share: transactions, retries of transient failures, and
 * null-aware column access.
 *
 * <p>Retries (exponential backoff from 20 ms, 25% jitter, at most 3) follow what is safe:
 * <ul>
 *   <li>a transaction the database rolled back itself (serialization failure, deadlock) is
 *       retried for every operation: nothing of it was applied;</li>
 *   <li>a lost or reset connection, or a server shutting down, leaves the outcome of a commit
 *       unknown, so it is retried only for reads and idempotent writes.</li>
 * </ul>
 * Waiting for a pool connection is never retried: it already waited {@code KURZ_DB_CONNECT_TIMEOUT},
 * and the caller should answer 503 now rather than later.
 */
public final class Jdbc {

    private Jdbc() {}

    /** Work done with a connection; may throw {@link SQLException}. */
    @FunctionalInterface
    public interface SqlWork<T> {
        T apply(Connection connection) throws SQLException;
    }

    private static final RetryPolicy<Object> ROLLED_BACK = retryOn(false);
    private static final RetryPolicy<Object> ANY_TRANSIENT = retryOn(true);

    private static RetryPolicy<Object> retryOn(boolean connectionErrors) {
        return RetryPolicy.builder()
                .handleIf(e -> e instanceof SQLException sql && isTransient(sql, connectionErrors))
                .withBackoff(Duration.ofMillis(20), Duration.ofMillis(400))
                .withJitter(0.25)
                .withMaxRetries(3)
                .build();
    }

    static boolean isTransient(SQLException e, boolean connectionErrors) {
        if (e instanceof SQLTransientConnectionException) {
            return false; // the pool timed out waiting for a connection
        }
        String state = e.getSQLState();
        if (state == null) {
            return false;
        }
        if (state.equals("40001") || state.equals("40P01")) {
            return true; // serialization failure, deadlock: rolled back by the server
        }
        return connectionErrors && (state.startsWith("08") || state.equals("57P01") || state.equals("57P02")
                || state.equals("57P03"));
    }

    /**
     * Whether {@code e} is the database refusing a statement's data (a constraint it breaks, a
     * value that does not fit): the statement was rolled back, so nothing of it was written, and
     * the same rows would be refused again. Not a lost connection or a failed commit, whose
     * outcome may be unknown.
     */
    public static boolean isRefusedData(RuntimeException e) {
        if (!(e instanceof StoreException) || !(e.getCause() instanceof SQLException sql)) {
            return false;
        }
        if (sql instanceof SQLiteException) { // no SQLState; the vendor code is SQLite's primary result code
            int code = sql.getErrorCode();
            return code == SQLiteErrorCode.SQLITE_CONSTRAINT.code || code == SQLiteErrorCode.SQLITE_MISMATCH.code
                    || code == SQLiteErrorCode.SQLITE_TOOBIG.code;
        }
        String state = sql.getSQLState(); // class 22: data exception, 23: integrity constraint violation
        return state != null && (state.startsWith("22") || state.startsWith("23"));
    }

    /**
     * Runs {@code work} in one transaction: committed if it returns, rolled back if it throws.
     * Retried only when the database rolled it back itself; use for writes that must not repeat.
     */
    public static <T> T inTransaction(DataSource pool, SqlWork<T> work) {
        return run(ROLLED_BACK, () -> transaction(pool, work));
    }

    /** Like {@link #inTransaction}, also retried after connection failures: for idempotent writes. */
    public static <T> T inIdempotentTransaction(DataSource pool, SqlWork<T> work) {
        return run(ANY_TRANSIENT, () -> transaction(pool, work));
    }

    /**
     * Runs one write statement in auto-commit mode (its own transaction, no BEGIN/COMMIT round
     * trips). Retried only when the database rolled it back itself, as {@link #inTransaction}.
     */
    public static <T> T inAutoCommit(DataSource pool, SqlWork<T> statement) {
        return run(ROLLED_BACK, () -> {
            try (Connection c = pool.getConnection()) {
                return statement.apply(c);
            }
        });
    }

    /** Runs reads on a connection in auto-commit mode, retried on transient failures. */
    public static <T> T withConnection(DataSource pool, SqlWork<T> work) {
        return run(ANY_TRANSIENT, () -> {
            try (Connection c = pool.getConnection()) {
                return work.apply(c);
            }
        });
    }

    private static <T> T transaction(DataSource pool, SqlWork<T> work) throws SQLException {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.apply(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c, e);
                throw e;
            }
        }
    }

    private static <T> T run(RetryPolicy<Object> policy, dev.failsafe.function.CheckedSupplier<T> attempt) {
        try {
            return Failsafe.with(policy).get(attempt);
        } catch (FailsafeException e) {
            if (e.getCause() instanceof SQLException sql) {
                throw new StoreException(sql);
            }
            throw e;
        }
    }

    private static void rollbackQuietly(Connection c, Exception cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    /** A nullable BIGINT column. */
    public static Long nullableLong(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    /** A nullable BIGINT column, by position. */
    public static Long nullableLong(ResultSet rs, int column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    /** Binds a nullable BIGINT parameter. */
    public static void setNullableLong(PreparedStatement ps, int index, Long value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.BIGINT);
        } else {
            ps.setLong(index, value);
        }
    }
}
