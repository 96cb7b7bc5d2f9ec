package dev.kurz.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.support.Backends;
import dev.kurz.support.TestNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.embedded.RedisServer;

/** Redis going away must cost speed at most, never a failed redirect or a failed write. */
class RedisFaultTest {

    @TempDir
    Path dir;

    @Test
    void redirectsAndWritesKeepWorkingWhileRedisIsDownAndRedisIsUsedAgainWhenBack() throws Exception {
        int port = Backends.freePort();
        RedisServer redis = Backends.startRedis(port);
        var env = new HashMap<>(Backends.postgresSettings());
        env.put("KURZ_REDIS_URL", "redis://127.0.0.1:" + port);
        try (var a = TestNode.start(dir.resolve("a"), env); var b = TestNode.start(dir.resolve("b"), env)) {
            // 300 links, of which A has read only the first 20 before the outage: the rest are L1
            // misses on A during the outage, so its L2 lookups meet a dead Redis.
            List<String> codes = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                codes.add(a.create("{\"url\": \"https://example.com/r/" + i + "\"}"));
            }
            for (int i = 0; i < 20; i++) {
                a.get("/" + codes.get(i));
            }
            // Redis works: B, which never saw a link, is served from L2 once A has read it.
            Backends.awaitRedisKey(env.get("KURZ_REDIS_URL"), "kurz:l:" + codes.getFirst());
            long hits = b.app.l2Hits();
            b.get("/" + codes.getFirst());
            assertThat(b.app.l2Hits()).isGreaterThan(hits);

            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger redirects = new AtomicInteger();
            AtomicInteger failures = new AtomicInteger();
            Thread load = Thread.ofPlatform().start(() -> {
                int i = 0;
                while (running.get()) {
                    int n = i++ % codes.size();
                    TestNode.Response r = a.get("/" + codes.get(n));
                    if (r.status() == 302 && ("https://example.com/r/" + n).equals(r.header("Location"))) {
                        redirects.incrementAndGet();
                    } else {
                        failures.incrementAndGet();
                    }
                }
            });

            int beforeOutage = redirects.get();
            waitFor(() -> redirects.get() > beforeOutage + 50, Duration.ofSeconds(10));
            Backends.stopQuietly(redis);
            // While Redis is down: redirects keep flowing, creates and edits work, new links resolve.
            String during = a.create("""
                    {"url": "https://example.com/during-outage"}""");
            assertThat(a.get("/" + during).header("Location")).isEqualTo("https://example.com/during-outage");
            assertThat(b.get("/" + during).header("Location")).isEqualTo("https://example.com/during-outage");
            assertThat(a.patch("/api/v1/links/" + codes.get(3), """
                    {"title": "edited while Redis was down"}""").status()).isEqualTo(200);
            int before = redirects.get();
            waitFor(() -> redirects.get() > before + 600, Duration.ofSeconds(30)); // > 300: every cold code
            assertThat(a.app.redisAvailable()).isFalse();

            redis = Backends.startRedis(port);
            waitFor(() -> a.app.redisAvailable() && b.app.redisAvailable(), Duration.ofSeconds(20));
            // L2 is used again: a link A loads into L2 is served to B from it.
            String after = a.create("""
                    {"url": "https://example.com/after-outage"}""");
            a.get("/" + after);
            Backends.awaitRedisKey(env.get("KURZ_REDIS_URL"), "kurz:l:" + after);
            long hitsBefore = b.app.l2Hits();
            assertThat(b.get("/" + after).header("Location")).isEqualTo("https://example.com/after-outage");
            assertThat(b.app.l2Hits()).isGreaterThan(hitsBefore);

            running.set(false);
            load.join();
            System.out.printf("redirects during the Redis fault test: %d, failed: %d%n", redirects.get(), failures.get());
            assertThat(failures.get()).isZero();
            assertThat(redirects.get()).isGreaterThan(500);
        } finally {
            Backends.stopQuietly(redis);
        }
    }

    static void waitFor(BooleanSupplier condition, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not met within %s", limit).isLessThan(deadline);
            LockSupport.parkNanos(20_000_000);
        }
    }
}
