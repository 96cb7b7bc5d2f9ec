package dev.kurz.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import dev.kurz.config.Settings;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The node's connection pools and its schema.
 *
 * <p>Writes and reads go through separate pools so the store code never needs to know which
 * database it talks to. On SQLite the writer pool has exactly one connection: SQLite allows one
 * writer at a time, and queueing writers in the pool is cheaper and fairer than letting them spin
 * on {@code SQLITE_BUSY}. Readers use WAL mode and never block the writer. On PostgreSQL the
 * reader is the replica named by {@code KURZ_DB_READ_URL}, or the primary's pool when there is none.
 *
 * <p>When PostgreSQL is down, borrowing a connection fails after {@code KURZ_DB_CONNECT_TIMEOUT}
 * (callers answer 503) and the pools reconnect by themselves once it is back.
 *
 * <p>Thread-safety: safe for concurrent use; every method may block on I/O, so call it from a
 * virtual thread, never from an event loop.
 */
public final class Database implements AutoCloseable, MeterBinder {

    /** The SQL flavours kurz speaks. The store's SQL is shared; only migrations differ. */
    public enum Dialect {
        SQLITE(""),
        POSTGRESQL(" FOR UPDATE");

        private final String forUpdate;

        Dialect(String forUpdate) {
            this.forUpdate = forUpdate;
        }

        /**
         * Appended to a SELECT that precedes an UPDATE of the same row in one transaction. SQLite
         * needs none (its IMMEDIATE transactions already hold the write lock).
         */
        public String forUpdate() {
            return forUpdate;
        }
    }

    private final Dialect dialect;
    private final HikariDataSource writer;
    private final HikariDataSource reader;
    private final String description;

    private Database(Dialect dialect, HikariDataSource writer, HikariDataSource reader, String description) {
        this.dialect = dialect;
        this.writer = writer;
        this.reader = reader;
        this.description = description;
    }

    /** Opens the database the settings name and applies pending migrations. */
    public static Database open(Settings settings) {
        Database db = settings.usesPostgres() ? openPostgres(settings) : openSqlite(settings.dataDir(), settings.dbPoolSize());
        try {
            db.migrate();
            return db;
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }

    private static Database openSqlite(Path dataDir, int readers) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create KURZ_DATA_DIR " + dataDir.toAbsolutePath(), e);
        }
        Path file = dataDir.resolve("kurz.db").toAbsolutePath();
        String url = "jdbc:sqlite:" + file;
        var writer = new HikariDataSource(sqliteConfig("kurz-write", url, 1, false));
        var reader = new HikariDataSource(sqliteConfig("kurz-read", url, readers, true));
        return new Database(Dialect.SQLITE, writer, reader, "sqlite " + file);
    }

    private static Database openPostgres(Settings settings) {
        String url = settings.dbUrl().orElseThrow();
        var writer = new HikariDataSource(postgresConfig("kurz-primary", url, settings, false));
        try {
            HikariDataSource reader = settings.dbReadUrl()
                    .map(readUrl -> new HikariDataSource(postgresConfig("kurz-replica", readUrl, settings, true)))
                    .orElse(writer);
            String where = url.replaceAll("\\?.*", "") + settings.dbReadUrl().map(r -> " (reads from " + r.replaceAll("\\?.*", "") + ")").orElse("");
            return new Database(Dialect.POSTGRESQL, writer, reader, "postgresql " + where);
        } catch (RuntimeException e) {
            writer.close();
            throw e;
        }
    }

    private static HikariConfig postgresConfig(String name, String url, Settings settings, boolean readOnly) {
        var config = new HikariConfig();
        config.setPoolName(name);
        config.setJdbcUrl(url);
        if (!settings.dbUser().isEmpty()) {
            config.setUsername(settings.dbUser());
        }
        if (!settings.dbPassword().isEmpty()) {
            config.setPassword(settings.dbPassword());
        }
        // A fixed-size pool (HikariCP's advice): connections are opened ahead, so a burst of requests
        // never waits for a new PostgreSQL backend to fork while its connect timeout runs.
        config.setMaximumPoolSize(settings.dbPoolSize());
        config.setMinimumIdle(settings.dbPoolSize());
        config.setConnectionTimeout(settings.dbConnectTimeout().toMillis());
        config.setValidationTimeout(Math.max(250, settings.dbConnectTimeout().toMillis() / 2));
        config.setReadOnly(readOnly);
        // A dead server must not hang a request forever: bound connects and every socket read.
        config.addDataSourceProperty("connectTimeout", String.valueOf(Math.max(1, settings.dbConnectTimeout().toSeconds())));
        config.addDataSourceProperty("socketTimeout", "30");
        config.addDataSourceProperty("tcpKeepAlive", "true");
        config.addDataSourceProperty("ApplicationName", "kurz");
        config.addDataSourceProperty("reWriteBatchedInserts", "true");
        return config;
    }

    private static HikariConfig sqliteConfig(String name, String url, int size, boolean readOnly) {
        var config = new HikariConfig();
        config.setPoolName(name);
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(size);
        // Writers queue for the one connection; past 10 s the node is overloaded: answer 503.
        config.setConnectionTimeout(10_000);
        // WAL lets readers run beside the single writer; synchronous=FULL makes every commit
        // durable before we acknowledge it (a 201 is never lost, even on power loss).
        config.addDataSourceProperty("journal_mode", "WAL");
        config.addDataSourceProperty("synchronous", "FULL");
        config.addDataSourceProperty("busy_timeout", "10000");
        config.addDataSourceProperty("foreign_keys", "true");
        // IMMEDIATE takes the write lock at BEGIN, so a transaction never fails half-way on upgrade.
        config.addDataSourceProperty("transaction_mode", "IMMEDIATE");
        if (readOnly) {
            config.addDataSourceProperty("open_mode", "1"); // SQLITE_OPEN_READONLY
            config.setReadOnly(true);
        }
        return config;
    }

    private void migrate() {
        Flyway.configure()
                .dataSource(writer)
                .locations("classpath:db/migration/" + dialect.name().toLowerCase(java.util.Locale.ROOT))
                .load()
                .migrate();
    }

    public Dialect dialect() {
        return dialect;
    }

    /** The pool for statements that change data. */
    public DataSource writer() {
        return writer;
    }

    /** The pool for reads (a replica in the scaled mode, later). */
    public DataSource reader() {
        return reader;
    }

    /**
     * The pool for reads that must see every write committed so far, on any node: on PostgreSQL
     * the primary (a replica may lag behind it). On SQLite the readers: they read the same file
     * as the writer, so they never lag, and they don't queue behind writes for its one connection.
     */
    public DataSource primaryReader() {
        return dialect == Dialect.SQLITE ? reader : writer;
    }

    /** Whether reads come from a separate replica (which may lag behind the primary). */
    public boolean hasReplica() {
        return reader != writer;
    }

    /**
     * Whether the database answers right now; used by {@code /health/ready}. On PostgreSQL that is
     * the primary; on SQLite a reader, which WAL mode never makes wait behind the writer.
     */
    public boolean isReachable() {
        try (Connection c = (dialect == Dialect.SQLITE ? reader : writer).getConnection()) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    /**
     * Pool usage for /metrics, through HikariCP's own Micrometer tracker: {@code hikaricp_connections_*}
     * by {@code pool} (kurz-write and kurz-read on SQLite; kurz-primary and kurz-replica on PostgreSQL).
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        var factory = new MicrometerMetricsTrackerFactory(registry);
        writer.setMetricsTrackerFactory(factory);
        if (hasReplica()) {
            reader.setMetricsTrackerFactory(factory);
        }
    }

    /** Human-readable location for the start-up log line, e.g. {@code sqlite /data/kurz.db}. */
    public String description() {
        return description;
    }

    @Override
    public void close() {
        if (hasReplica()) {
            reader.close();
        }
        writer.close();
    }
}
