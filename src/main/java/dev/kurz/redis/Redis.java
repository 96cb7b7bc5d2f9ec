package dev.kurz.redis;

import dev.failsafe.CircuitBreaker;
import io.lettuce.core.AbstractRedisClient;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.async.RedisStringAsyncCommands;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.api.async.BaseRedisAsyncCommands;
import io.lettuce.core.api.async.RedisKeyAsyncCommands;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.util.function.Supplier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kurz's connection to Redis, standalone or cluster. Redis only ever speeds kurz up; it is never
 * needed for a correct answer, so this class makes it cheap to do without:
 * <ul>
 *   <li>every command has a tight timeout ({@code KURZ_REDIS_TIMEOUT}) and fails at once while
 *       disconnected, instead of queueing;</li>
 *   <li>a circuit breaker opens after repeated failures, and while it is open commands fail
 *       without touching the network; it probes again after a second and closes on success;</li>
 *   <li>if Redis is unreachable at start, the node starts anyway and keeps trying to connect.</li>
 * </ul>
 * State changes are logged once each, never per request. Callers treat any failed command as a
 * cache miss (reads) or a skipped notification (writes).
 *
 * <p>Thread-safe.
 */
public final class Redis implements AutoCloseable, MeterBinder {

    private static final Logger log = LoggerFactory.getLogger(Redis.class);

    /** The async command views kurz uses; for a cluster they route by key. */
    public record Commands(RedisStringAsyncCommands<String, String> strings, BaseRedisAsyncCommands<String, String> base) {}

    /** Views with binary values (rate-limit bucket state); for a cluster they route by key. */
    public record BinaryCommands(RedisScriptingAsyncCommands<String, byte[]> scripting,
                                 RedisStringAsyncCommands<String, byte[]> strings,
                                 RedisKeyAsyncCommands<String, byte[]> keys) {}

    private static final RedisCodec<String, byte[]> BINARY = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private final String description;
    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final boolean cluster;
    private final CircuitBreaker<Object> breaker;
    private final ScheduledExecutorService reconnector;
    private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    private final List<Runnable> recoveryListeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> tickListeners = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicBoolean degraded = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile Commands commands;
    private volatile BinaryCommands binaryCommands;
    private volatile StatefulConnection<String, String> connection;
    private volatile StatefulConnection<String, byte[]> binaryConnection;
    private volatile StatefulRedisPubSubConnection<String, String> pubSub;

    private record Subscription(String channel, Consumer<String> onMessage) {}

    private Redis(String url, Duration timeout) {
        List<RedisURI> uris = parse(url);
        this.cluster = url.toLowerCase(Locale.ROOT).matches("rediss?-cluster://.*") || uris.size() > 1;
        this.description = (cluster ? "redis cluster " : "redis ") + String.join(",",
                uris.stream().map(u -> u.getHost() + ":" + u.getPort()).toList());
        this.resources = ClientResources.builder()
                // Come back within seconds of Redis returning, not Lettuce's default 30 s.
                .reconnectDelay(Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
                .build();
        var socket = SocketOptions.builder().connectTimeout(Duration.ofSeconds(2)).build();
        if (cluster) {
            var c = RedisClusterClient.create(resources, uris);
            c.setOptions(ClusterClientOptions.builder()
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(timeout))
                    .socketOptions(socket)
                    .build());
            this.client = c;
        } else {
            var c = RedisClient.create(resources, uris.getFirst());
            c.setOptions(ClientOptions.builder()
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(timeout))
                    .socketOptions(socket)
                    .build());
            this.client = c;
        }
        this.breaker = CircuitBreaker.builder()
                .withFailureThreshold(5, 10)
                .withDelay(Duration.ofSeconds(1))
                .withSuccessThreshold(2)
                // Failsafe reports every half-open -> open transition too; log the outage once.
                .onOpen(e -> {
                    if (degraded.compareAndSet(false, true)) {
                        log.warn("{} is failing; skipping it (serving from memory and the database) until it recovers",
                                description);
                    }
                })
                .onClose(e -> {
                    if (degraded.compareAndSet(true, false)) {
                        log.info("{} is back; using it again", description);
                    }
                    recoveryListeners.forEach(Runnable::run);
                })
                .build();
        this.reconnector = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kurz-redis-connect");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Connects to {@code url}; if Redis can't be reached now, returns anyway and keeps trying in
     * the background. Lettuce runs on the HTTP server's transport ({@code ioTransport}: io_uring,
     * epoll or nio): left alone it takes epoll over io_uring, and on io_uring the L2 look-ups of
     * redirect-cold cost a sixth less CPU (docs/BENCHMARKS.md). Lettuce reads the choice from
     * system properties when its classes first load, so it holds for the whole process.
     */
    public static Redis connect(String url, Duration timeout, String ioTransport) {
        System.setProperty("io.lettuce.core.iouring", String.valueOf(ioTransport.equals("io_uring")));
        System.setProperty("io.lettuce.core.epoll", String.valueOf(ioTransport.equals("epoll")));
        var redis = new Redis(url, timeout);
        // While the breaker is not closed, probe once a second, so a returning Redis is noticed
        // (and missed invalidations replayed) even if no request happens to need it.
        redis.reconnector.scheduleWithFixedDelay(redis::probe, 1, 1, TimeUnit.SECONDS);
        if (!redis.tryConnect()) {
            log.warn("{} is unreachable at start; running without it and retrying every second", redis.description);
        }
        return redis;
    }

    private void probe() {
        try {
            if (commands == null) {
                if (tryConnect()) {
                    recoveryListeners.forEach(Runnable::run);
                }
            } else if (!breaker.isClosed()) {
                call(c -> c.base().ping());
            }
            tickListeners.forEach(Runnable::run);
        } catch (RuntimeException e) {
            log.debug("redis probe failed: {}", e.getMessage()); // keep the schedule alive
        }
    }

    private synchronized boolean tryConnect() {
        if (commands != null) {
            return true;
        }
        try {
            if (client instanceof RedisClusterClient c) {
                var conn = c.connect();
                connection = conn; // assigned at once, so a failure below closes it (no leak)
                var async = conn.async();
                var binary = c.connect(BINARY);
                binaryConnection = binary;
                var binaryAsync = binary.async();
                pubSub = c.connectPubSub();
                binaryCommands = new BinaryCommands(binaryAsync, binaryAsync, binaryAsync);
                commands = new Commands(async, async);
            } else {
                var c = (RedisClient) client;
                var conn = c.connect();
                connection = conn; // assigned at once, so a failure below closes it (no leak)
                var async = conn.async();
                var binary = c.connect(BINARY);
                binaryConnection = binary;
                var binaryAsync = binary.async();
                pubSub = c.connectPubSub();
                binaryCommands = new BinaryCommands(binaryAsync, binaryAsync, binaryAsync);
                commands = new Commands(async, async);
            }
            pubSub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    for (Subscription s : subscriptions) {
                        if (s.channel().equals(channel)) {
                            s.onMessage().accept(message);
                        }
                    }
                }
            });
            for (Subscription s : subscriptions) {
                pubSub.async().subscribe(s.channel());
            }
            log.info("connected to {}", description);
            return true;
        } catch (RuntimeException e) {
            log.debug("cannot connect to {}: {}", description, e.getMessage());
            // Half-connected: don't leak what was opened; the next try opens everything anew.
            if (connection != null) {
                connection.close();
                connection = null;
            }
            if (binaryConnection != null) {
                binaryConnection.close();
                binaryConnection = null;
            }
            return false;
        }
    }

    /**
     * Runs one command through the circuit breaker. The future fails at once if Redis is not
     * connected or the breaker is open, and within the timeout otherwise.
     */
    public <T> CompletableFuture<T> call(Function<Commands, RedisFuture<T>> command) {
        Commands c = commands;
        if (c == null || !breaker.tryAcquirePermit()) {
            return CompletableFuture.failedFuture(new IllegalStateException(description + " is not available"));
        }
        CompletableFuture<T> result;
        try {
            result = command.apply(c).toCompletableFuture();
        } catch (RuntimeException e) {
            breaker.recordException(e);
            return CompletableFuture.failedFuture(e);
        }
        return result.whenComplete((value, failure) -> {
            if (failure == null) {
                breaker.recordSuccess();
            } else {
                breaker.recordException(failure);
            }
        });
    }

    /**
     * The binary-valued commands, or null while not connected. Calls made on them directly bypass
     * the circuit breaker: wrap them in {@link #guard}.
     */
    public BinaryCommands binary() {
        return binaryCommands;
    }

    /**
     * Runs an operation made of Redis commands (e.g. a library's compare-and-swap) through the
     * circuit breaker, like {@link #call}: fails at once while Redis is unavailable, and its
     * outcome counts towards opening or closing the breaker.
     */
    public <T> CompletableFuture<T> guard(Supplier<CompletableFuture<T>> operation) {
        if (commands == null || binaryCommands == null || !breaker.tryAcquirePermit()) {
            return CompletableFuture.failedFuture(new IllegalStateException(description + " is not available"));
        }
        CompletableFuture<T> result;
        try {
            result = operation.get();
        } catch (RuntimeException e) {
            breaker.recordException(e);
            return CompletableFuture.failedFuture(e);
        }
        return result.whenComplete((value, failure) -> {
            if (failure == null) {
                breaker.recordSuccess();
            } else {
                breaker.recordException(failure);
            }
        });
    }

    /** Delivers every message on {@code channel} to {@code onMessage}, across reconnects. */
    public void subscribe(String channel, Consumer<String> onMessage) {
        subscriptions.add(new Subscription(channel, onMessage));
        var ps = pubSub;
        if (ps != null) {
            ps.async().subscribe(channel);
        }
    }

    /** Runs {@code task} once, {@code millis} from now, on Redis's background thread (must not block long). */
    public void after(long millis, Runnable task) {
        reconnector.schedule(task, millis, TimeUnit.MILLISECONDS);
    }

    /** Runs {@code task} once a second on Redis's background thread (must not block long). */
    public void everySecond(Runnable task) {
        tickListeners.add(task);
    }

    /** Runs {@code listener} whenever Redis becomes usable again after an outage. */
    public void onRecovery(Runnable listener) {
        recoveryListeners.add(listener);
    }

    /** Whether commands are being sent to Redis right now (connected and the breaker closed). */
    public boolean isAvailable() {
        return commands != null && breaker.isClosed() && connection != null && connection.isOpen();
    }

    public String description() {
        return description;
    }

    /**
     * {@code kurz_redis_circuit_state{state}}: 1 for the circuit breaker's current state (closed =
     * Redis in use, open = skipped, half_open = probing), 0 for the others; and
     * {@code kurz_redis_connected}.
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        for (CircuitBreaker.State state : CircuitBreaker.State.values()) {
            Gauge.builder("kurz.redis.circuit.state", breaker, b -> b.getState() == state ? 1 : 0)
                    .description("Redis circuit breaker state (1 = current)")
                    .tag("state", state.name().toLowerCase(Locale.ROOT))
                    .register(registry);
        }
        Gauge.builder("kurz.redis.connected", this, r -> r.commands != null && r.connection != null
                        && r.connection.isOpen() ? 1 : 0)
                .description("Whether this node holds an open Redis connection").register(registry);
    }

    @Override
    public void close() {
        reconnector.shutdownNow();
        try {
            if (pubSub != null) {
                pubSub.close();
            }
            if (connection != null) {
                connection.close();
            }
            if (binaryConnection != null) {
                binaryConnection.close();
            }
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        } finally {
            resources.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }

    /** {@code redis://h:p}, {@code rediss://...}, {@code redis-cluster://h1:p1,h2:p2}, or a comma list. */
    static List<RedisURI> parse(String url) {
        String lower = url.toLowerCase(Locale.ROOT);
        String scheme = lower.startsWith("rediss") ? "rediss://" : "redis://";
        String rest = url.substring(url.indexOf("://") + 3);
        var uris = new ArrayList<RedisURI>();
        for (String part : rest.split(",")) {
            String p = part.trim();
            if (p.contains("://")) {
                p = p.substring(p.indexOf("://") + 3);
            }
            if (!p.isEmpty()) {
                uris.add(RedisURI.create(scheme + p));
            }
        }
        if (uris.isEmpty()) {
            throw new IllegalArgumentException("KURZ_REDIS_URL names no Redis host");
        }
        return uris;
    }
}
