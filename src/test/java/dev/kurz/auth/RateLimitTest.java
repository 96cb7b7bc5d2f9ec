package dev.kurz.auth;

import static dev.kurz.support.TestNode.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.support.TestNode;
import dev.kurz.support.TestNode.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each budget on one node (in-memory buckets): the request after the budget is spent gets 429
 * with {@code Retry-After} and {@code RateLimit-*}, and moving the node's clock refills it.
 */
class RateLimitTest {

    private static final String LINKS = "/api/v1/links";

    @TempDir
    Path dataDir;

    TestNode node;

    @BeforeEach
    void start() {
        node = TestNode.start(dataDir, Map.of(
                "KURZ_RATE_CREATE", "3/1m",
                "KURZ_RATE_CREATE_PER_KEY", "2/1m",
                "KURZ_RATE_REDIRECT", "20/1m",
                "KURZ_RATE_NOT_FOUND", "3/1m",
                "KURZ_TRUSTED_PROXIES", "127.0.0.1"));
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private Response createFrom(String ip, int i) {
        return node.send("POST", LINKS, "application/json", "{\"url\": \"https://example.com/c/" + i + "\"}",
                "X-Forwarded-For", ip);
    }

    @Test
    void anonymousCreatesArePerAddressWithHeaders() {
        for (int i = 0; i < 3; i++) {
            Response ok = createFrom("203.0.113.5", i);
            assertThat(ok.status()).isEqualTo(201);
            assertThat(ok.header("RateLimit-Limit")).isEqualTo("3");
            assertThat(ok.header("RateLimit-Remaining")).isEqualTo(Integer.toString(2 - i));
            assertThat(ok.header("RateLimit-Policy")).isEqualTo("3;w=60;name=\"create\"");
        }
        Response limited = createFrom("203.0.113.5", 3);
        limited.problem(429);
        assertThat(limited.json().path("type").asText()).isEqualTo("urn:kurz:problem:rate-limited");
        assertThat(limited.header("Retry-After")).isEqualTo("20"); // one token per 20 s
        assertThat(limited.header("RateLimit-Remaining")).isEqualTo("0");
        assertThat(Long.parseLong(limited.header("RateLimit-Reset"))).isBetween(50L, 60L);
        assertThat(node.storedLinks()).isEqualTo(3);

        // Another address has its own budget; the spent one refills with time.
        assertThat(createFrom("203.0.113.6", 10).status()).isEqualTo(201);
        node.clock.advance(Duration.ofSeconds(20));
        assertThat(createFrom("203.0.113.5", 11).status()).isEqualTo(201);
        createFrom("203.0.113.5", 12).problem(429);
    }

    @Test
    void aForgedForwardedForFromAnUntrustedPeerDoesNotEscapeTheBudget(@TempDir Path other) {
        try (TestNode direct = TestNode.start(other, Map.of("KURZ_RATE_CREATE", "2/1m"))) {
            for (int i = 0; i < 2; i++) {
                assertThat(direct.send("POST", LINKS, "application/json", "{\"url\": \"https://example.com/f/" + i + "\"}",
                        "X-Forwarded-For", "198.51.100." + i).status()).isEqualTo(201);
            }
            direct.send("POST", LINKS, "application/json", "{\"url\": \"https://example.com/f/9\"}",
                    "X-Forwarded-For", "198.51.100.9").problem(429);
        }
    }

    @Test
    void userKeysHaveTheirOwnBudgetAndAdminsNone() {
        String user = node.key("busy", Role.USER);
        for (int i = 0; i < 2; i++) {
            assertThat(node.send("POST", LINKS, "application/json", "{\"url\": \"https://example.com/k/" + i + "\"}",
                    bearer(user)).status()).isEqualTo(201);
        }
        Response limited = node.send("POST", LINKS, "application/json", "{\"url\": \"https://example.com/k/2\"}",
                bearer(user));
        limited.problem(429);
        assertThat(limited.header("RateLimit-Policy")).contains("name=\"create-key\"");
        assertThat(limited.header("Retry-After")).isEqualTo("30");
        for (int i = 0; i < 10; i++) {
            assertThat(node.send("POST", LINKS, "application/json", "{\"url\": \"https://example.com/admin/" + i + "\"}",
                    bearer(node.adminKey())).status()).isEqualTo(201);
        }
    }

    @Test
    void redirectsArePerAddress() {
        String code = node.create("{\"url\": \"https://example.com/popular\"}");
        for (int i = 0; i < 20; i++) {
            assertThat(node.get("/" + code, "X-Forwarded-For", "192.0.2.1").status()).isEqualTo(302);
        }
        Response limited = node.get("/" + code, "X-Forwarded-For", "192.0.2.1", "Accept", "application/json");
        limited.problem(429);
        assertThat(limited.header("Location")).isNull();
        assertThat(limited.header("Retry-After")).isEqualTo("3");
        assertThat(limited.header("RateLimit-Limit")).isEqualTo("20");
        // Browsers get a page, with the same headers.
        Response page = node.get("/" + code, "X-Forwarded-For", "192.0.2.1");
        assertThat(page.status()).isEqualTo(429);
        assertThat(page.header("Content-Type")).startsWith("text/html");
        assertThat(page.header("Retry-After")).isNotNull();
        assertThat(node.get("/" + code, "X-Forwarded-For", "192.0.2.2").status()).isEqualTo(302);
        node.clock.advance(Duration.ofSeconds(3));
        assertThat(node.get("/" + code, "X-Forwarded-For", "192.0.2.1").status()).isEqualTo(302);
    }

    @Test
    void scanningUnknownCodesIsThrottledBeforeItReachesTheDatabase() {
        String code = node.create("{\"url\": \"https://example.com/known\"}");
        String scanner = "192.0.2.66";
        assertThat(node.get("/" + code, "X-Forwarded-For", scanner).status()).isEqualTo(302); // now cached
        for (int i = 0; i < 3; i++) {
            assertThat(node.get("/scan" + i, "X-Forwarded-For", scanner).status()).isEqualTo(404);
        }
        Response limited = node.get("/scan3", "X-Forwarded-For", scanner, "Accept", "application/json");
        limited.problem(429);
        assertThat(limited.header("RateLimit-Policy")).contains("name=\"not-found\"");
        long cachedBefore = node.app.cachedEntries();
        // While throttled, uncached codes are refused without a lookup (nothing new gets cached)...
        for (int i = 10; i < 15; i++) {
            assertThat(node.get("/scan" + i, "X-Forwarded-For", scanner).status()).isEqualTo(429);
        }
        assertThat(node.app.cachedEntries()).isEqualTo(cachedBefore);
        // ...previews too, but the links it already reached still work, and others aren't affected.
        assertThat(node.get("/scan20+", "X-Forwarded-For", scanner).status()).isEqualTo(429);
        assertThat(node.get("/" + code, "X-Forwarded-For", scanner).status()).isEqualTo(302);
        assertThat(node.get("/scan3", "X-Forwarded-For", "192.0.2.67").status()).isEqualTo(404);

        node.clock.advance(Duration.ofMinutes(1));
        assertThat(node.get("/scan30", "X-Forwarded-For", scanner).status()).isEqualTo(404);
    }
}
