package dev.kurz.cluster;

import static dev.kurz.cluster.RedisFaultTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.support.Backends;
import dev.kurz.support.TestNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PostgreSQL going away: honest 503s for writes, cached redirects keep working, and recovery. */
class DatabaseFaultTest {

    @TempDir
    Path dir;

    @Test
    void aDatabaseOutageAnswers503ForWritesKeepsCachedRedirectsAndRecoversByItself() throws Exception {
        int port = Backends.freePort();
        Path pgData = dir.resolve("pg");
        EmbeddedPostgres pg = startPostgres(pgData, port);
        String url = Backends.freshDatabase(pg);
        try (var node = TestNode.start(dir.resolve("node"), Map.of("KURZ_DB_URL", url, "KURZ_DB_USER", "postgres",
                "KURZ_DB_CONNECT_TIMEOUT", "500ms"))) {
            List<String> acknowledged = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                acknowledged.add(node.create("{\"url\": \"https://example.com/acked/" + i + "\"}"));
            }
            for (String code : acknowledged) {
                assertThat(node.get("/" + code).status()).isEqualTo(302); // cached
            }

            pg.close();

            TestNode.Response refused = node.post("/api/v1/links", """
                    {"url": "https://example.com/while-down"}""");
            var problem = refused.problem(503);
            assertThat(problem.path("type").asText()).isEqualTo("urn:kurz:problem:unavailable");
            assertThat(refused.header("Retry-After")).isNotBlank();
            for (int i = 0; i < acknowledged.size(); i++) {
                TestNode.Response r = node.get("/" + acknowledged.get(i));
                assertThat(r.status()).isEqualTo(302);
                assertThat(r.header("Location")).isEqualTo("https://example.com/acked/" + i);
            }
            assertThat(node.get("/health/ready").status()).isEqualTo(503);
            assertThat(node.get("/health/live").status()).isEqualTo(200);
            assertThat(node.get("/health/serving").status()).isEqualTo(200); // balancers keep it in rotation
            node.get("/not-cached-code", "Accept", "application/json").problem(503);

            pg = startPostgres(pgData, port);

            waitFor(() -> node.get("/health/ready").status() == 200, Duration.ofSeconds(30));
            String after = node.create("""
                    {"url": "https://example.com/after-recovery"}""");
            assertThat(node.get("/" + after).header("Location")).isEqualTo("https://example.com/after-recovery");
            node.flushClicks();
            for (int i = 0; i < acknowledged.size(); i++) {
                var link = node.get("/api/v1/links/" + acknowledged.get(i)).json();
                assertThat(link.path("url").asText()).isEqualTo("https://example.com/acked/" + i);
                // 2 clicks each: one before the outage, one during it, counted in memory and flushed after.
                assertThat(link.path("clicks").asLong()).isEqualTo(2);
            }
            assertThat(node.count("SELECT count(*) FROM links")).isEqualTo(21);
        } finally {
            pg.close();
        }
    }

    private static EmbeddedPostgres startPostgres(Path data, int port) throws IOException {
        return EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).setPort(port).start();
    }
}
