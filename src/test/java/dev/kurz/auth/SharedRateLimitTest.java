package dev.kurz.auth;

import static dev.kurz.support.TestNode.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.support.Backends;
import dev.kurz.support.TestNode;
import dev.kurz.support.TestNode.Response;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Budgets in Redis are shared by every node; without a reachable Redis each node keeps its own. */
class SharedRateLimitTest {

    @TempDir
    Path dir;

    // A generous Redis timeout: this test is about sharing, and a first call on a busy 2-core
    // machine can take longer than the default 100 ms, which would (correctly) fall back to the
    // node's own buckets. Falling back is withRedisUnreachableEachNodeStillLimitsOnItsOwn's topic.
    private static final Map<String, String> LIMITS = Map.of(
            "KURZ_REDIS_TIMEOUT", "2s",
            "KURZ_RATE_CREATE", "4/1m",
            "KURZ_RATE_REDIRECT", "6/1m",
            "KURZ_RATE_NOT_FOUND", "4/1m");

    @Test
    void twoNodesSharingRedisShareEachBudget() {
        var env = new HashMap<>(Backends.postgresRedisSettings());
        env.putAll(LIMITS);
        try (TestNode a = TestNode.start(dir.resolve("a"), env); TestNode b = TestNode.start(dir.resolve("b"), env)) {
            assertThat(a.app.redisAvailable()).isTrue();
            // Creates: 4 in all, alternating nodes.
            for (int i = 0; i < 4; i++) {
                TestNode n = i % 2 == 0 ? a : b;
                assertThat(n.post("/api/v1/links", "{\"url\": \"https://example.com/s/" + i + "\"}").status())
                        .as("create %d", i).isEqualTo(201);
            }
            a.post("/api/v1/links", "{\"url\": \"https://example.com/s/5\"}").problem(429);
            Response fromB = b.post("/api/v1/links", "{\"url\": \"https://example.com/s/6\"}");
            fromB.problem(429);
            assertThat(fromB.header("RateLimit-Limit")).isEqualTo("4");
            assertThat(a.storedLinks()).isEqualTo(4);

            // Redirects: 6 in all (admins' creates spend no budget).
            Response made = a.send("POST", "/api/v1/links", "application/json",
                    "{\"url\": \"https://example.com/shared\"}", bearer(a.adminKey()));
            String code = made.json().path("code").asText();
            for (int i = 0; i < 6; i++) {
                assertThat((i % 2 == 0 ? a : b).get("/" + code).status()).as("redirect %d", i).isEqualTo(302);
            }
            assertThat(a.get("/" + code).status()).isEqualTo(429);
            assertThat(b.get("/" + code).status()).isEqualTo(429);
        }
    }

    @Test
    void unknownCodeBudgetsAreSharedAndATakedownReachesEveryNode() {
        var env = new HashMap<>(Backends.postgresRedisSettings());
        env.put("KURZ_RATE_NOT_FOUND", "4/1m");
        env.put("KURZ_REDIS_TIMEOUT", "2s");
        try (TestNode a = TestNode.start(dir.resolve("a"), env); TestNode b = TestNode.start(dir.resolve("b"), env)) {
            String code = a.create("{\"url\": \"https://example.com/abuse\"}");
            assertThat(b.get("/" + code).status()).isEqualTo(302); // cached on b now
            assertThat(a.patch("/api/v1/links/" + code, "{\"disabled\": true}").status()).isEqualTo(200);
            long deadline = System.nanoTime() + 1_000_000_000L;
            int status;
            do {
                status = b.get("/" + code).status();
                if (status != 302) {
                    break;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
            } while (System.nanoTime() < deadline);
            assertThat(status).as("b stops redirecting a taken-down link within 1 s").isEqualTo(404);

            // That was one 404 of this address's 4; three more, on either node, use them up.
            for (int i = 0; i < 3; i++) {
                assertThat((i % 2 == 0 ? a : b).get("/nope" + i).status()).isEqualTo(404);
            }
            assertThat(a.get("/nope10").status()).isEqualTo(429);
            assertThat(b.get("/nope11").status()).isEqualTo(429);
        }
    }

    @Test
    void withRedisUnreachableEachNodeStillLimitsOnItsOwn() {
        var env = new HashMap<>(LIMITS);
        env.put("KURZ_REDIS_URL", "redis://127.0.0.1:" + Backends.freePort()); // nothing listens there
        try (TestNode a = TestNode.start(dir.resolve("a"), env)) {
            assertThat(a.app.redisAvailable()).isFalse();
            for (int i = 0; i < 4; i++) {
                assertThat(a.post("/api/v1/links", "{\"url\": \"https://example.com/l/" + i + "\"}").status())
                        .isEqualTo(201);
            }
            a.post("/api/v1/links", "{\"url\": \"https://example.com/l/9\"}").problem(429);
        }
    }
}
