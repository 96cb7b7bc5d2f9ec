package dev.kurz.config;

import dev.kurz.http.TrustedProxies;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The node's configuration, parsed once at start from {@code KURZ_*} variables (see {@link Setting}).
 *
 * <p>A bad value stops the start: {@link #from} throws {@link IllegalArgumentException} with a
 * message that names the variable and the value it got.
 */
public record Settings(
        int port,
        String host,
        String ioTransport,
        URI baseUrl,
        Path dataDir,
        Optional<String> dbUrl,
        String dbUser,
        String dbPassword,
        Optional<String> dbReadUrl,
        int dbPoolSize,
        Duration dbConnectTimeout,
        Optional<String> redisUrl,
        Duration redisTimeout,
        String redisPrefix,
        Duration cacheL2Ttl,
        Duration clickFlushInterval,
        Duration clickFoldInterval,
        int clickMaxPending,
        Optional<String> countryHeader,
        Duration statsMaxRange,
        int cacheL1Size,
        Duration cacheL1Ttl,
        Duration cacheNegativeTtl,
        Duration redirectMaxAge,
        int maxBodyBytes,
        int maxUrlLength,
        Set<String> allowedSchemes,
        Optional<Path> blocklistFile,
        Optional<String> codeKey,
        int idBlockSize,
        Duration shutdownGrace,
        Duration drainDelay,
        TrustedProxies trustedProxies,
        boolean anonymousCreate,
        Rate rateCreate,
        Rate rateCreatePerKey,
        Rate rateRedirect,
        Rate rateNotFound,
        Rate ratePassword,
        int bulkMaxBytes,
        long importMaxBytes,
        boolean serveWorker,
        int workerThreads,
        Duration jobLease,
        Optional<Duration> purgeAfter,
        PurgeMode purgeMode,
        Optional<Duration> statsRetention,
        Duration purgeEvery,
        Optional<TrustedProxies> metricsAllow) {

    /** What the purge job does with links expired longer than {@code KURZ_PURGE_AFTER}. */
    public enum PurgeMode { ARCHIVE, DELETE }

    public Settings {
        allowedSchemes = Set.copyOf(allowedSchemes);
        if (dbReadUrl.isPresent() && dbUrl.isEmpty()) {
            throw new IllegalArgumentException("KURZ_DB_READ_URL needs KURZ_DB_URL (a replica of which primary?)");
        }
    }

    /** Whether the node runs on PostgreSQL rather than the embedded SQLite file. */
    public boolean usesPostgres() {
        return dbUrl.isPresent();
    }

    /** The settings with the password hidden, for logs and error messages. */
    @Override
    public String toString() {
        return "Settings[port=" + port + ", baseUrl=" + baseUrl + ", db=" + dbUrl.orElse("sqlite " + dataDir)
                + ", redis=" + redisUrl.map(u -> u.replaceAll("//[^@/]*@", "//***@")).orElse("none") + "]";
    }

    /** Parses the process environment. */
    public static Settings fromEnvironment() {
        return from(System.getenv());
    }

    /** Parses the given variables; unset ones take their {@link Setting#defaultValue()}. */
    public static Settings from(Map<String, String> env) {
        var p = new Parser(env);
        p.oneOf(Setting.LOG_LEVEL, Set.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE"));
        p.oneOf(Setting.LOG_FORMAT, Set.of("text", "json")); // read by logback.xml; checked here
        return new Settings(
                p.integer(Setting.PORT, 0, 65_535),
                p.text(Setting.HOST),
                p.oneOf(Setting.IO_TRANSPORT, Set.of("auto", "io_uring", "epoll", "nio")),
                p.baseUrl(Setting.BASE_URL),
                Path.of(p.text(Setting.DATA_DIR)).normalize(),
                p.jdbcUrl(Setting.DB_URL),
                p.text(Setting.DB_USER),
                p.secret(Setting.DB_PASSWORD, Setting.DB_PASSWORD_FILE),
                p.jdbcUrl(Setting.DB_READ_URL),
                p.integer(Setting.DB_POOL_SIZE, 1, 256),
                p.duration(Setting.DB_CONNECT_TIMEOUT, Duration.ofMillis(250), Duration.ofMinutes(1)),
                p.redisUrl(Setting.REDIS_URL),
                p.duration(Setting.REDIS_TIMEOUT, Duration.ofMillis(1), Duration.ofMinutes(1)),
                p.text(Setting.REDIS_PREFIX),
                p.duration(Setting.CACHE_L2_TTL, Duration.ofSeconds(1), Duration.ofDays(30)),
                Duration.ofMillis(p.integer(Setting.CLICK_FLUSH_MS, 10, 3_600_000)),
                Duration.ofMillis(p.integer(Setting.CLICK_FOLD_MS, 10, 3_600_000)),
                p.integer(Setting.CLICK_MAX_PENDING, 1, 100_000_000),
                p.headerName(Setting.COUNTRY_HEADER),
                p.duration(Setting.STATS_MAX_RANGE, Duration.ofDays(1), Duration.ofDays(3_660)),
                p.integer(Setting.CACHE_L1_SIZE, 0, 100_000_000),
                p.duration(Setting.CACHE_L1_TTL, Duration.ofMillis(1), Duration.ofDays(1)),
                p.duration(Setting.CACHE_NEGATIVE_TTL, Duration.ZERO, Duration.ofHours(1)),
                p.duration(Setting.REDIRECT_MAX_AGE, Duration.ZERO, Duration.ofDays(365)),
                p.integer(Setting.MAX_BODY_BYTES, 1024, 16 * 1024 * 1024),
                p.integer(Setting.MAX_URL_LENGTH, 16, 65_536),
                p.schemes(Setting.ALLOWED_SCHEMES),
                p.optional(Setting.BLOCKLIST_FILE).map(Path::of),
                p.optional(Setting.CODE_KEY),
                p.integer(Setting.ID_BLOCK_SIZE, 1, 1_000_000),
                p.duration(Setting.SHUTDOWN_GRACE, Duration.ZERO, Duration.ofMinutes(10)),
                p.duration(Setting.DRAIN_DELAY, Duration.ZERO, Duration.ofMinutes(5)),
                p.trustedProxies(Setting.TRUSTED_PROXIES),
                p.bool(Setting.ANONYMOUS_CREATE),
                p.rate(Setting.RATE_CREATE),
                p.rate(Setting.RATE_CREATE_PER_KEY),
                p.rate(Setting.RATE_REDIRECT),
                p.rate(Setting.RATE_NOT_FOUND),
                p.rate(Setting.RATE_PASSWORD),
                p.integer(Setting.BULK_MAX_BYTES, 1024, 256 * 1024 * 1024),
                p.longInteger(Setting.IMPORT_MAX_BYTES, 1024, 1L << 40),
                p.bool(Setting.SERVE_WORKER),
                p.integer(Setting.WORKER_THREADS, 1, 64),
                p.duration(Setting.JOB_LEASE, Duration.ofSeconds(1), Duration.ofHours(1)),
                p.durationOrOff(Setting.PURGE_AFTER, Duration.ZERO, Duration.ofDays(36_600)),
                PurgeMode.valueOf(p.oneOf(Setting.PURGE_MODE, Set.of("archive", "delete")).toUpperCase(Locale.ROOT)),
                p.durationOrOff(Setting.STATS_RETENTION, Duration.ofDays(1), Duration.ofDays(36_600)),
                p.duration(Setting.PURGE_EVERY, Duration.ofSeconds(1), Duration.ofDays(7)),
                p.text(Setting.METRICS_ALLOW).equalsIgnoreCase("off") ? Optional.empty()
                        : Optional.of(p.trustedProxies(Setting.METRICS_ALLOW)));
    }

    /** The same settings with some variables replaced; handy for tests and subcommands. */
    public static Settings from(Map<String, String> env, Map<String, String> overrides) {
        var merged = new HashMap<>(env);
        merged.putAll(overrides);
        return from(merged);
    }

    private record Parser(Map<String, String> env) {
        private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");
        private static final Pattern RATE = Pattern.compile("(\\d{1,9})/(\\d{1,9}(?:ms|s|m|h|d))");

        String text(Setting s) {
            String v = env.get(s.name());
            return v == null || v.isBlank() ? s.defaultValue() : v.trim();
        }

        Optional<String> optional(Setting s) {
            String v = text(s);
            return v.isEmpty() ? Optional.empty() : Optional.of(v);
        }

        int integer(Setting s, int min, int max) {
            String v = text(s);
            try {
                int n = Integer.parseInt(v);
                if (n < min || n > max) {
                    throw bad(s, v, "a whole number from " + min + " to " + max);
                }
                return n;
            } catch (NumberFormatException e) {
                throw bad(s, v, "a whole number from " + min + " to " + max);
            }
        }

        long longInteger(Setting s, long min, long max) {
            String v = text(s);
            try {
                long n = Long.parseLong(v);
                if (n < min || n > max) {
                    throw bad(s, v, "a whole number from " + min + " to " + max);
                }
                return n;
            } catch (NumberFormatException e) {
                throw bad(s, v, "a whole number from " + min + " to " + max);
            }
        }

        /** A duration, or empty for {@code off}. */
        Optional<Duration> durationOrOff(Setting s, Duration min, Duration max) {
            String v = text(s).toLowerCase(Locale.ROOT);
            return v.equals("off") ? Optional.empty() : Optional.of(duration(s, v, min, max));
        }

        Duration duration(Setting s, Duration min, Duration max) {
            return duration(s, text(s).toLowerCase(Locale.ROOT), min, max);
        }

        private static Duration duration(Setting s, String v, Duration min, Duration max) {
            Matcher m = DURATION.matcher(v);
            if (!m.matches()) {
                throw bad(s, v, "a duration such as 500ms, 10s, 5m, 1h or 1d");
            }
            long n = Long.parseLong(m.group(1));
            Duration d = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
            if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
                throw bad(s, v, "a duration from " + min + " to " + max);
            }
            return d;
        }

        boolean bool(Setting s) {
            String v = text(s).toLowerCase(Locale.ROOT);
            return switch (v) {
                case "true" -> true;
                case "false" -> false;
                default -> throw bad(s, v, "true or false");
            };
        }

        Rate rate(Setting s) {
            String v = text(s).toLowerCase(Locale.ROOT);
            if (v.equals("off")) {
                return Rate.OFF;
            }
            Matcher m = RATE.matcher(v);
            long tokens = m.matches() ? Long.parseLong(m.group(1)) : 0;
            if (tokens < 1) {
                throw bad(s, v, "count/period such as 20/1m or 600/1h (count at least 1), or off");
            }
            Duration period = duration(s, m.group(2), Duration.ofMillis(1), Duration.ofDays(1));
            return new Rate(tokens, period);
        }

        URI baseUrl(Setting s) {
            String v = text(s);
            try {
                URI uri = new URI(v.endsWith("/") ? v.substring(0, v.length() - 1) : v);
                String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
                if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                        || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                    throw bad(s, v, "an absolute http(s) URL without query, e.g. https://s.example.com");
                }
                return uri;
            } catch (URISyntaxException e) {
                throw bad(s, v, "an absolute http(s) URL, e.g. https://s.example.com");
            }
        }

        String oneOf(Setting s, Set<String> allowed) {
            String v = text(s);
            if (!allowed.contains(v)) {
                throw bad(s, v, "one of " + String.join(", ", allowed.stream().sorted().toList()));
            }
            return v;
        }

        TrustedProxies trustedProxies(Setting s) {
            try {
                return TrustedProxies.parse(text(s));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(s.name() + " must be comma-separated IPs or CIDR ranges: "
                        + e.getMessage());
            }
        }

        Optional<String> headerName(Setting s) {
            Optional<String> v = optional(s);
            if (v.isPresent() && !v.get().matches("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}")) {
                throw bad(s, v.get(), "an HTTP header name such as CF-IPCountry");
            }
            return v;
        }

        Optional<String> jdbcUrl(Setting s) {
            Optional<String> v = optional(s);
            if (v.isPresent() && !v.get().startsWith("jdbc:postgresql:")) {
                throw bad(s, v.get(), "a PostgreSQL JDBC URL such as jdbc:postgresql://db:5432/kurz");
            }
            return v;
        }

        Optional<String> redisUrl(Setting s) {
            Optional<String> v = optional(s);
            if (v.isPresent() && !v.get().matches("(?i)(redis|rediss|redis-cluster|rediss-cluster)://.+")) {
                throw bad(s, v.get().replaceAll("//[^@/]*@", "//***@"),
                        "redis://host:6379, rediss://host:6380 or redis-cluster://h1:6379,h2:6379");
            }
            return v;
        }

        /** A secret from {@code fileSetting}'s file if set, else from {@code valueSetting}. */
        String secret(Setting valueSetting, Setting fileSetting) {
            Optional<String> file = optional(fileSetting);
            if (file.isEmpty()) {
                return text(valueSetting);
            }
            try {
                return java.nio.file.Files.readString(Path.of(file.get())).strip();
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException(fileSetting.name() + " must name a readable file, got '"
                        + file.get() + "' (" + e.getMessage() + ")");
            }
        }

        Set<String> schemes(Setting s) {
            var out = new LinkedHashSet<String>();
            for (String part : text(s).split(",")) {
                String scheme = part.trim().toLowerCase(Locale.ROOT);
                if (!scheme.equals("http") && !scheme.equals("https")) {
                    throw bad(s, text(s), "a comma-separated subset of http,https");
                }
                out.add(scheme);
            }
            return out;
        }

        private static IllegalArgumentException bad(Setting s, String value, String expected) {
            return new IllegalArgumentException(
                    s.name() + " must be " + expected + ", got '" + value + "'");
        }
    }
}
