package dev.kurz.link;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kurz.auth.Role;
import dev.kurz.support.TestNode;
import dev.kurz.support.TestNode.Response;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code POST /api/v1/links/bulk} as a client sees it, on each backend. */
abstract class BulkSuite {

    @TempDir
    Path dataDir;

    TestNode node;

    abstract Map<String, String> backend();

    @BeforeEach
    void start() {
        node = TestNode.start(dataDir, backend());
    }

    @AfterEach
    void stop() {
        node.close();
    }

    @Test
    void thousandMixedItemsGetTheirOwnResultsInOrderAndTheValidOnesRedirect() {
        String key = node.key("bulk", Role.USER);
        node.send("POST", "/api/v1/links", "application/json", """
                {"url": "https://other.example/", "alias": "taken"}""", TestNode.bearer(key));
        Response before = node.send("POST", "/api/v1/links", "application/json", """
                {"url": "https://example.com/again"}""", TestNode.bearer(key));
        assertThat(before.status()).isEqualTo(201);

        var body = new StringBuilder("[");
        for (int i = 0; i < 1000; i++) {
            body.append(i == 0 ? "" : ",").append(switch (i % 10) {
                case 0 -> "{\"url\": \"not a url\"}";
                case 1 -> "{\"url\": \"https://example.com/x\", \"alias\": \"taken\"}";
                case 2 -> "{\"url\": \"https://example.com/again\"}";
                case 3 -> "{\"url\": \"https://example.com/r\", \"alias\": \"api\"}";
                case 4 -> "{\"url\": \"https://example.com/u\", \"expireAt\": \"2030-01-01T00:00:00Z\"}";
                case 5 -> "[1, 2]";
                default -> "{\"url\": \"https://example.com/ok/" + i + "\"" + (i % 2 == 0 ? ", \"alias\": \"bulk-" + i + "\"" : "")
                        + ", \"title\": \"Item " + i + "\"}";
            });
        }
        body.append(']');
        Response r = node.send("POST", "/api/v1/links/bulk", "application/json", body.toString(), TestNode.bearer(key));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode result = r.json();
        assertThat(result.path("created").asInt()).isEqualTo(400);
        assertThat(result.path("existing").asInt()).isEqualTo(100);
        assertThat(result.path("failed").asInt()).isEqualTo(500);
        JsonNode items = result.path("items");
        assertThat(items.size()).isEqualTo(1000);
        for (int i = 0; i < 1000; i++) {
            JsonNode item = items.get(i);
            assertThat(item.path("index").asInt()).isEqualTo(i);
            int expected = switch (i % 10) {
                case 0, 3, 4, 5 -> 400;
                case 1 -> 409;
                case 2 -> 200;
                default -> 201;
            };
            assertThat(item.path("status").asInt()).as("item %d: %s", i, item).isEqualTo(expected);
            if (expected >= 400) {
                assertThat(item.path("problem").path("type").asText()).startsWith("urn:kurz:problem:");
                assertThat(item.path("problem").path("status").asInt()).isEqualTo(expected);
                assertThat(item.path("problem").path("detail").asText()).isNotBlank();
            } else {
                String code = item.path("link").path("code").asText();
                if (expected == 200) {
                    assertThat(code).isEqualTo(before.json().path("code").asText());
                } else if (i % 2 == 0) {
                    assertThat(code).isEqualTo("bulk-" + i);
                }
                Response redirect = node.get("/" + code);
                assertThat(redirect.status()).as("item %d redirects", i).isEqualTo(302);
                assertThat(redirect.header("Location")).isEqualTo(i % 10 == 2 ? "https://example.com/again"
                        : "https://example.com/ok/" + i);
            }
        }
        assertThat(items.get(1).path("problem").path("type").asText()).isEqualTo("urn:kurz:problem:alias-taken");
        assertThat(items.get(4).path("problem").path("errors").get(0).path("field").asText()).isEqualTo("expireAt");
        assertThat(node.storedLinks()).isEqualTo(2 + 400);
    }

    @Test
    void moreThanAThousandItemsOrAnythingButAnArrayIsRefusedWhole() {
        var body = new StringBuilder("[");
        for (int i = 0; i < 1001; i++) {
            body.append(i == 0 ? "" : ",").append("{\"url\": \"https://example.com/").append(i).append("\"}");
        }
        body.append(']');
        Response tooMany = node.post("/api/v1/links/bulk", body.toString());
        assertThat(tooMany.problem(400).path("detail").asText()).contains("at most 1000");
        node.post("/api/v1/links/bulk", "{\"url\": \"https://example.com/\"}").problem(400);
        assertThat(node.storedLinks()).isZero();
    }

    @Test
    void aBodyOverTheBulkLimitIs413AndItemsPastTheRateLimitGet429() {
        node.close();
        var env = new HashMap<>(backend());
        env.put("KURZ_BULK_MAX_BYTES", "2048");
        env.put("KURZ_RATE_CREATE_PER_KEY", "3/1h");
        node = TestNode.start(dataDir, env);
        Response big = node.post("/api/v1/links/bulk", "[" + "{\"url\": \"https://example.com/\"},".repeat(100) + "{}]");
        assertThat(big.problem(413).path("detail").asText()).contains("2048").contains("KURZ_BULK_MAX_BYTES");

        String key = node.key("limited", Role.USER);
        Response r = node.send("POST", "/api/v1/links/bulk", "application/json", """
                [{"url": "https://example.com/1"}, {"url": "https://example.com/2"}, {"url": "https://example.com/3"},
                 {"url": "https://example.com/4"}, {"url": "https://example.com/5"}]""", TestNode.bearer(key));
        assertThat(r.status()).isEqualTo(200);
        var statuses = new java.util.ArrayList<Integer>();
        r.json().path("items").forEach(item -> statuses.add(item.path("status").asInt()));
        assertThat(statuses).containsExactly(201, 201, 201, 429, 429);
        assertThat(r.header("RateLimit-Remaining")).isEqualTo("0");
    }
}
