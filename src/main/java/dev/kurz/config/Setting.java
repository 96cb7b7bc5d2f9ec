package dev.kurz.config;

import java.util.List;

/**
 * Every {@code KURZ_*} environment variable kurz reads, with its default and what it does.
 *
 * <p>This is the one place a setting is declared. {@link Settings#from} parses these into typed
 * values; README's settings table lists the same names (a test keeps the two in step).
 *
 * @param name         the environment variable
 * @param defaultValue the value used when the variable is unset or blank ({@code ""} for "none")
 * @param description  one line for the README table
 */
public record Setting(String name, String defaultValue, String description) {

    public static final Setting PORT = new Setting("KURZ_PORT", "8080",
            "HTTP port to listen on (0 picks a free port).");
    public static final Setting HOST = new Setting("KURZ_HOST", "0.0.0.0",
            "Address to bind the HTTP server to.");
    public static final Setting IO_TRANSPORT = new Setting("KURZ_IO_TRANSPORT", "auto",
            "Network I/O of the HTTP server and the Redis client: auto (io_uring where the kernel allows it, else epoll, else Java NIO), "
            + "io_uring, epoll or nio; one named that cannot load here stops the start.");
    public static final Setting BASE_URL = new Setting("KURZ_BASE_URL", "http://localhost:8080",
            "Public base URL of short links; links pointing back to it are refused (loops).");
    public static final Setting DATA_DIR = new Setting("KURZ_DATA_DIR", "./data",
            "Directory of the embedded SQLite database (kurz.db).");
    public static final Setting DB_POOL_SIZE = new Setting("KURZ_DB_POOL_SIZE", "8",
            "Connections per database pool (SQLite writes always use one connection).");
    public static final Setting DB_URL = new Setting("KURZ_DB_URL", "",
            "JDBC URL of a PostgreSQL primary (jdbc:postgresql://host:5432/kurz); unset = embedded SQLite in KURZ_DATA_DIR.");
    public static final Setting DB_USER = new Setting("KURZ_DB_USER", "",
            "PostgreSQL user (or put it in KURZ_DB_URL).");
    public static final Setting DB_PASSWORD = new Setting("KURZ_DB_PASSWORD", "",
            "PostgreSQL password.");
    public static final Setting DB_PASSWORD_FILE = new Setting("KURZ_DB_PASSWORD_FILE", "",
            "File holding the PostgreSQL password (for Docker/Kubernetes secrets); wins over KURZ_DB_PASSWORD.");
    public static final Setting DB_READ_URL = new Setting("KURZ_DB_READ_URL", "",
            "Optional JDBC URL of a read replica for redirect lookups; codes it lacks are looked up on the primary.");
    public static final Setting DB_CONNECT_TIMEOUT = new Setting("KURZ_DB_CONNECT_TIMEOUT", "1s",
            "How long a request waits for a database connection before answering 503.");
    public static final Setting REDIS_URL = new Setting("KURZ_REDIS_URL", "",
            "Optional Redis for the shared L2 cache and cross-node invalidation: redis://host:6379, rediss://..., "
            + "or a cluster as redis-cluster://h1:6379,h2:6379.");
    public static final Setting REDIS_TIMEOUT = new Setting("KURZ_REDIS_TIMEOUT", "100ms",
            "Redis command timeout; slower answers count as failures and trip the circuit breaker.");
    public static final Setting REDIS_PREFIX = new Setting("KURZ_REDIS_PREFIX", "kurz:",
            "Prefix of every Redis key and channel kurz uses, so instances can share a Redis.");
    public static final Setting CACHE_L2_TTL = new Setting("KURZ_CACHE_L2_TTL", "10m",
            "How long a link stays in the Redis L2 cache.");
    public static final Setting CLICK_FLUSH_MS = new Setting("KURZ_CLICK_FLUSH_MS", "1000",
            "How often counted clicks are written to the database (the click journal), in milliseconds; a crash "
            + "loses at most this much.");
    public static final Setting CLICK_FOLD_MS = new Setting("KURZ_CLICK_FOLD_MS", "10000",
            "How often the click journal is folded into the statistics roll-ups and link totals of other nodes, "
            + "in milliseconds: how far statistics may trail. Each active link's roll-up rows are written once "
            + "per fold.");
    public static final Setting CLICK_MAX_PENDING = new Setting("KURZ_CLICK_MAX_PENDING", "100000",
            "Most click counters held in memory while the database is unreachable (a few hundred bytes each); "
            + "beyond it new ones are dropped, counted and logged.");
    public static final Setting COUNTRY_HEADER = new Setting("KURZ_COUNTRY_HEADER", "",
            "Header in which a trusted proxy (KURZ_TRUSTED_PROXIES) passes the visitor's ISO country code, "
            + "e.g. CF-IPCountry; unset = no country statistics.");
    public static final Setting STATS_MAX_RANGE = new Setting("KURZ_STATS_MAX_RANGE", "400d",
            "Longest from-to range a statistics query may ask for.");
    public static final Setting CACHE_L1_SIZE = new Setting("KURZ_CACHE_L1_SIZE", "100000",
            "Maximum number of links (and unknown codes) held in the in-process cache.");
    public static final Setting CACHE_L1_TTL = new Setting("KURZ_CACHE_L1_TTL", "60s",
            "How long a cached link is trusted before it is read again.");
    public static final Setting CACHE_NEGATIVE_TTL = new Setting("KURZ_CACHE_NEGATIVE_TTL", "5s",
            "How long an unknown code is remembered as unknown, so scans don't reach the database.");
    public static final Setting REDIRECT_MAX_AGE = new Setting("KURZ_REDIRECT_MAX_AGE", "300s",
            "Cache-Control max-age sent with 301/308 redirects, so browsers pick up edits after this long.");
    public static final Setting MAX_BODY_BYTES = new Setting("KURZ_MAX_BODY_BYTES", "16384",
            "Largest accepted request body in bytes (larger bodies get 413).");
    public static final Setting MAX_URL_LENGTH = new Setting("KURZ_MAX_URL_LENGTH", "4096",
            "Longest accepted target URL in characters.");
    public static final Setting ALLOWED_SCHEMES = new Setting("KURZ_ALLOWED_SCHEMES", "http,https",
            "Comma-separated URL schemes a link may point to (only http and https are supported).");
    public static final Setting BLOCKLIST_FILE = new Setting("KURZ_BLOCKLIST_FILE", "",
            "Optional file of blocked domains, one per line (subdomains included); re-read when it changes.");
    public static final Setting CODE_KEY = new Setting("KURZ_CODE_KEY", "",
            "Secret that scrambles generated codes; by default a random key is created once and kept in the database.");
    public static final Setting ID_BLOCK_SIZE = new Setting("KURZ_ID_BLOCK_SIZE", "1000",
            "How many code ids a node reserves from the database at a time.");
    public static final Setting SHUTDOWN_GRACE = new Setting("KURZ_SHUTDOWN_GRACE", "10s",
            "How long a graceful shutdown waits for in-flight requests before closing connections.");

    public static final Setting DRAIN_DELAY = new Setting("KURZ_DRAIN_DELAY", "0s",
            "On shutdown, how long to keep serving while /health/serving says 503, so load balancers stop "
            + "sending traffic first (set it to the balancer's check interval x fall count, e.g. 3s).");
    public static final Setting TRUSTED_PROXIES = new Setting("KURZ_TRUSTED_PROXIES", "",
            "Comma-separated IPs/CIDRs of proxies (e.g. HAProxy) whose X-Forwarded-For is believed; others' is ignored.");
    public static final Setting ANONYMOUS_CREATE = new Setting("KURZ_ANONYMOUS_CREATE", "true",
            "Whether links may be created without an API key (true/false); anonymous links can't be edited or deleted.");
    public static final Setting RATE_CREATE = new Setting("KURZ_RATE_CREATE", "20/1m",
            "Anonymous link creations allowed per client IP, as count/period (e.g. 20/1m), or off.");
    public static final Setting RATE_CREATE_PER_KEY = new Setting("KURZ_RATE_CREATE_PER_KEY", "600/1m",
            "Link creations allowed per user API key (admin keys are not limited), as count/period, or off.");
    public static final Setting RATE_REDIRECT = new Setting("KURZ_RATE_REDIRECT", "1200/1m",
            "Short-link requests (redirects, previews, password forms) allowed per client IP, as count/period, or off.");
    public static final Setting RATE_NOT_FOUND = new Setting("KURZ_RATE_NOT_FOUND", "60/1m",
            "Unknown-code answers (404) allowed per client IP before its uncached lookups get 429, as count/period, or off.");
    public static final Setting RATE_PASSWORD = new Setting("KURZ_RATE_PASSWORD", "10/5m",
            "Password attempts on protected links allowed per client IP, as count/period, or off.");
    public static final Setting BULK_MAX_BYTES = new Setting("KURZ_BULK_MAX_BYTES", "8388608",
            "Largest accepted body of POST /api/v1/links/bulk in bytes (up to 1,000 links; larger bodies get 413).");
    public static final Setting IMPORT_MAX_BYTES = new Setting("KURZ_IMPORT_MAX_BYTES", "268435456",
            "Largest accepted import upload in bytes (larger uploads get 413); the file is kept in the database until its job ends.");
    public static final Setting SERVE_WORKER = new Setting("KURZ_SERVE_WORKER", "true",
            "Whether `kurz serve` also runs background jobs (imports, purges) like `kurz worker`; set false where separate workers run.");
    public static final Setting WORKER_THREADS = new Setting("KURZ_WORKER_THREADS", "2",
            "How many import jobs one worker process runs at the same time.");
    public static final Setting JOB_LEASE = new Setting("KURZ_JOB_LEASE", "30s",
            "How long a worker's claim on a job lasts without a heartbeat; a job of a worker that died is resumed elsewhere after this.");
    public static final Setting PURGE_AFTER = new Setting("KURZ_PURGE_AFTER", "off",
            "Links expired longer than this are deleted or archived by the purge job (e.g. 90d), or off.");
    public static final Setting PURGE_MODE = new Setting("KURZ_PURGE_MODE", "archive",
            "What the purge does with such links: archive (move them to archived_links) or delete.");
    public static final Setting STATS_RETENTION = new Setting("KURZ_STATS_RETENTION", "off",
            "Days of click statistics and orphan visits older than this are deleted by the purge job (e.g. 400d), or off; link totals stay.");
    public static final Setting PURGE_EVERY = new Setting("KURZ_PURGE_EVERY", "1h",
            "How often the purge runs; exactly one worker of the cluster runs it per period.");
    public static final Setting LOG_LEVEL = new Setting("KURZ_LOG_LEVEL", "INFO",
            "Log level: ERROR, WARN, INFO, DEBUG or TRACE (read by the logging configuration).");
    public static final Setting LOG_FORMAT = new Setting("KURZ_LOG_FORMAT", "text",
            "Log format: text (one line per event) or json (one JSON object per line, for log shippers).");
    public static final Setting METRICS_ALLOW = new Setting("KURZ_METRICS_ALLOW",
            "127.0.0.0/8,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7",
            "Client addresses (IPs/CIDRs) that may read /metrics, or off to turn the endpoint off; "
            + "the default is loopback and private networks, as HAProxy's internal ACL.");

    /** All settings, in the order README lists them. */
    public static final List<Setting> ALL = List.of(PORT, HOST, IO_TRANSPORT, BASE_URL, DATA_DIR, DB_URL, DB_USER, DB_PASSWORD,
            DB_PASSWORD_FILE, DB_READ_URL, DB_POOL_SIZE, DB_CONNECT_TIMEOUT, REDIS_URL, REDIS_TIMEOUT, REDIS_PREFIX,
            CLICK_FLUSH_MS, CLICK_FOLD_MS, CLICK_MAX_PENDING, COUNTRY_HEADER, STATS_MAX_RANGE,
            CACHE_L1_SIZE, CACHE_L1_TTL, CACHE_NEGATIVE_TTL, CACHE_L2_TTL, REDIRECT_MAX_AGE,
            MAX_BODY_BYTES, MAX_URL_LENGTH, ALLOWED_SCHEMES, BLOCKLIST_FILE, CODE_KEY, ID_BLOCK_SIZE,
            SHUTDOWN_GRACE, DRAIN_DELAY, TRUSTED_PROXIES, ANONYMOUS_CREATE, RATE_CREATE, RATE_CREATE_PER_KEY,
            RATE_REDIRECT, RATE_NOT_FOUND, RATE_PASSWORD, BULK_MAX_BYTES, IMPORT_MAX_BYTES, SERVE_WORKER,
            WORKER_THREADS, JOB_LEASE, PURGE_AFTER, PURGE_MODE, STATS_RETENTION, PURGE_EVERY, LOG_LEVEL,
            LOG_FORMAT, METRICS_ALLOW);
}
