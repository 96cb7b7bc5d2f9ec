package dev.kurz.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.kurz.config.Rate;
import dev.kurz.config.Settings;
import dev.kurz.http.Problem;
import dev.kurz.redis.Redis;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.github.bucket4j.redis.lettuce.RedisApi;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Per-client budgets (Bucket4j token buckets), so no single address or key can flood kurz:
 * link creations per IP (anonymous) and per user key, short-link requests per IP, unknown-code
 * answers per IP, and password attempts per IP. Each budget is configured by its own
 * {@code KURZ_RATE_*} setting and can be switched off.
 *
 * <p>Where the buckets live: with {@code KURZ_REDIS_URL} set, in Redis (Bucket4j's Lettuce
 * compare-and-swap backend), so all nodes share one budget per client; without it, in this node's
 * memory. Redis is never needed for an answer: while it is unavailable (circuit breaker open) or
 * when a call fails or takes longer than a few Redis timeouts, the node's in-memory bucket decides
 * instead. Clients then get at most one extra budget per node until Redis is back, which is the
 * price of not failing requests on a cache outage.
 *
 * <p>Cost on the redirect path: without Redis, an allowed request is one Caffeine lookup and one
 * lock-free bucket update, with no allocation besides the bucket of a new client. With Redis it is
 * one asynchronous round trip (a GET and a Lua CAS); nothing blocks the event loop.
 *
 * <p>Time comes from the node's {@link Clock}, so tests refill buckets by moving the clock.
 *
 * <p>Thread-safe.
 */
public final class RateLimits {

    /** The separate budgets. {@code key} names it in Redis keys and in {@code RateLimit-Policy}. */
    public enum Budget {
        CREATE_PER_IP("create", "link creations from this address"),
        CREATE_PER_KEY("create-key", "link creations with this API key"),
        REDIRECT("redirect", "short-link requests from this address"),
        NOT_FOUND("not-found", "requests for unknown short links from this address"),
        PASSWORD("password", "password attempts from this address");

        final String key;
        final String what;

        Budget(String key, String what) {
            this.key = key;
            this.what = what;
        }
    }

    /**
     * The outcome of spending one token.
     *
     * @param limit             the budget's size (its burst, and its requests per window)
     * @param remaining         tokens left after this request
     * @param resetSeconds      seconds until the budget is whole again
     * @param retryAfterSeconds for a refused request, seconds until one more is allowed
     */
    public record Verdict(Budget budget, boolean allowed, long limit, long windowSeconds, long remaining,
                          long resetSeconds, long retryAfterSeconds) {

        /** The IETF draft's {@code RateLimit-*} headers (draft-ietf-httpapi-ratelimit-headers). */
        public Map<String, String> headers() {
            return Map.of(
                    "RateLimit-Limit", Long.toString(limit),
                    "RateLimit-Remaining", Long.toString(remaining),
                    "RateLimit-Reset", Long.toString(resetSeconds),
                    "RateLimit-Policy", limit + ";w=" + windowSeconds + ";name=\"" + budget.key + "\"");
        }

        /** The 429 answer for a refused request. */
        public Problem problem() {
            return Problem.tooManyRequests("too many " + budget.what + "; retry in " + retryAfterSeconds + " s",
                    (int) Math.min(Integer.MAX_VALUE, retryAfterSeconds), headers());
        }
    }

    private static final int MAX_CLIENTS_PER_BUDGET = 200_000;

    private final Clock clock;
    private final TimeMeter time;
    private final Map<Budget, Limit> limits = new EnumMap<>(Budget.class);
    private final Redis redis;
    private final AsyncProxyManager<Object> shared;
    private final String redisPrefix;
    private final long sharedTimeoutMillis;

    /** One budget: its configuration, its in-memory buckets, and who used it up lately. */
    private final class Limit {
        final Budget budget;
        final Rate rate;
        final BucketConfiguration configuration;
        final Cache<String, Bucket> buckets;
        final Cache<String, Long> exhaustedUntil;
        final CompletableFuture<Verdict> allowed;
        // Kept, not written inline at the call: a lambda using fields is a new object per call.
        final java.util.function.Function<String, Bucket> newBucket;

        Limit(Budget budget, Rate rate) {
            this.budget = budget;
            this.rate = rate;
            this.configuration = rate.enabled() ? BucketConfiguration.builder()
                    .addLimit(Bandwidth.builder().capacity(rate.tokens()).refillGreedy(rate.tokens(), rate.period()).build())
                    .build() : null;
            // A bucket untouched for a whole period is full again: forgetting it loses nothing.
            this.buckets = Caffeine.newBuilder().maximumSize(MAX_CLIENTS_PER_BUDGET)
                    .expireAfterAccess(rate.period()).build();
            this.exhaustedUntil = Caffeine.newBuilder().maximumSize(MAX_CLIENTS_PER_BUDGET)
                    .expireAfterWrite(rate.period()).build();
            this.newBucket = s -> Bucket.builder().addLimit(configuration.getBandwidths()[0])
                    .withCustomTimePrecision(time).build();
            this.allowed = CompletableFuture.completedFuture(
                    new Verdict(budget, true, rate.tokens(), windowSeconds(), rate.tokens(), 0, 0));
        }

        long windowSeconds() {
            return Math.max(1, rate.period().toSeconds());
        }

        Bucket local(String subject) {
            return buckets.get(subject, newBucket);
        }

        Verdict verdict(ConsumptionProbe probe) {
            Verdict v = new Verdict(budget, probe.isConsumed(), rate.tokens(), windowSeconds(), probe.getRemainingTokens(),
                    seconds(probe.getNanosToWaitForReset()),
                    probe.isConsumed() ? 0 : Math.max(1, seconds(probe.getNanosToWaitForRefill())));
            return v;
        }

        Verdict consumeLocally(String subject, boolean quiet) {
            Bucket bucket = local(subject);
            if (quiet) {
                if (bucket.tryConsume(1)) {
                    return allowed.getNow(null);
                }
            }
            return remember(subject, verdict(bucket.tryConsumeAndReturnRemaining(1)));
        }

        Verdict remember(String subject, Verdict v) {
            if (!v.allowed()) {
                exhaustedUntil.put(subject, clock.millis() + v.retryAfterSeconds() * 1000);
            }
            return v;
        }
    }

    public RateLimits(Settings settings, Redis redis, Clock clock) {
        this.clock = clock;
        this.time = new TimeMeter() {
            @Override
            public long currentTimeNanos() {
                return TimeUnit.MILLISECONDS.toNanos(clock.millis());
            }

            @Override
            public boolean isWallClockBased() {
                return true;
            }
        };
        limits.put(Budget.CREATE_PER_IP, new Limit(Budget.CREATE_PER_IP, settings.rateCreate()));
        limits.put(Budget.CREATE_PER_KEY, new Limit(Budget.CREATE_PER_KEY, settings.rateCreatePerKey()));
        limits.put(Budget.REDIRECT, new Limit(Budget.REDIRECT, settings.rateRedirect()));
        limits.put(Budget.NOT_FOUND, new Limit(Budget.NOT_FOUND, settings.rateNotFound()));
        limits.put(Budget.PASSWORD, new Limit(Budget.PASSWORD, settings.ratePassword()));
        this.redis = redis;
        this.redisPrefix = settings.redisPrefix() + "rl:";
        // Lettuce times out each command; this bounds a whole CAS (a read, a script, perhaps a retry).
        this.sharedTimeoutMillis = 3 * settings.redisTimeout().toMillis() + 50;
        this.shared = redis == null ? null : new Bucket4jLettuce.LettuceBasedProxyManagerBuilder<>(redisApi(redis))
                .clientClock(time)
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(10)))
                .build()
                .asAsync();
    }

    /** Whether {@code budget} limits anything. */
    public boolean enabled(Budget budget) {
        return limits.get(budget).rate.enabled();
    }

    /**
     * Spends one token of {@code subject}'s (an IP or a key id) {@code budget}. The future never
     * fails; it is already complete when no Redis round trip was needed. With {@code quiet}, an
     * allowed request gets a shared verdict without remaining counts (for paths that send no
     * {@code RateLimit-*} headers on success).
     */
    public CompletableFuture<Verdict> consume(Budget budget, String subject, boolean quiet) {
        Limit limit = limits.get(budget);
        if (!limit.rate.enabled()) {
            return limit.allowed;
        }
        if (shared == null) {
            Verdict v = limit.consumeLocally(subject, quiet);
            return v.allowed() && quiet ? limit.allowed : CompletableFuture.completedFuture(v);
        }
        String key = redisPrefix + budget.key + ":" + subject;
        return redis.guard(() -> shared.builder().build(key, limit.configuration).tryConsumeAndReturnRemaining(1))
                .orTimeout(sharedTimeoutMillis, TimeUnit.MILLISECONDS)
                .thenApply(probe -> limit.remember(subject, limit.verdict(probe)))
                .exceptionally(failure -> limit.consumeLocally(subject, quiet));
    }

    /**
     * The refusal {@code subject} got from {@code budget} lately, if its wait is not over: lets a
     * caller refuse work (like a database lookup) without spending or asking anything. Null if the
     * subject may go on. Local and allocation-free when there is nothing to refuse.
     */
    public Problem refusedLately(Budget budget, String subject) {
        Limit limit = limits.get(budget);
        if (!limit.rate.enabled()) {
            return null;
        }
        Long until = limit.exhaustedUntil.getIfPresent(subject);
        long now = clock.millis();
        if (until == null || until <= now) {
            return null;
        }
        long wait = Math.max(1, (until - now + 999) / 1000);
        return new Verdict(budget, false, limit.rate.tokens(), limit.windowSeconds(), 0, wait, wait).problem();
    }

    private static long seconds(long nanos) {
        return (nanos + 999_999_999L) / 1_000_000_000L;
    }

    /**
     * Bucket4j's view of Redis: our binary connection, whose liveness {@link Redis#guard} checks.
     * Typed on Object because Bucket4j passes keys as a generic {@code Object[]}, which a
     * {@code RedisApi<String>} would fail to cast to {@code String[]}.
     */
    private static RedisApi<Object> redisApi(Redis redis) {
        return new RedisApi<>() {
            @Override
            public <V> RedisFuture<V> eval(String script, ScriptOutputType type, Object[] keys, byte[][] args) {
                return redis.binary().scripting().eval(script, type, Arrays.copyOf(keys, keys.length, String[].class), args);
            }

            @Override
            public RedisFuture<byte[]> get(Object key) {
                return redis.binary().strings().get((String) key);
            }

            @Override
            public RedisFuture<?> delete(Object key) {
                return redis.binary().keys().del((String) key);
            }
        };
    }
}
