package dev.kurz.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kurz.auth.Role;
import dev.kurz.support.Backends;
import dev.kurz.support.TestNode;
import dev.kurz.support.TestNode.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export, upload and job status through the HTTP API of real nodes: a SQLite instance exported and
 * imported into a fresh PostgreSQL one keeps every link, code and target.
 */
class ExportImportTest {

    @TempDir
    Path dirA;

    @TempDir
    Path dirB;

    @Test
    void exportThenImportIntoAFreshInstanceKeepsTheSameLinksCodesAndTargets() {
        try (TestNode a = TestNode.start(dirA, Map.of())) {
            String adminA = a.adminKey();
            for (int i = 0; i < 25; i++) {
                a.create("{\"url\": \"https://example.com/gen/" + i + "\"}");
            }
            a.create("""
                    {"url": "https://example.com/full?q=1&r=a,b", "alias": "full-1", "title": "Comma, \\"quote\\" and\\u00e9",
                     "expiresAt": "2031-02-03T04:05:06Z", "maxClicks": 12, "redirectStatus": 301}""");
            a.create("""
                    {"url": "https://example.com/secret", "alias": "secret", "password": "hunter22"}""");
            Response csv = a.get("/api/v1/links/export?format=csv", TestNode.bearer(adminA));
            assertThat(csv.status()).isEqualTo(200);
            assertThat(csv.header("Content-Type")).startsWith("text/csv");
            assertThat(csv.body().lines().count()).isEqualTo(1 + 27);
            Response jsonl = a.get("/api/v1/links/export?format=jsonl", TestNode.bearer(adminA));
            assertThat(jsonl.body().lines().count()).isEqualTo(27);

            var env = new HashMap<>(Backends.postgresSettings());
            env.put("KURZ_SERVE_WORKER", "true");
            try (TestNode b = TestNode.start(dirB, env)) {
                String adminB = b.adminKey();
                JsonNode job = importAndWait(b, adminB, "kurz-csv", csv.body());
                assertThat(job.path("state").asText()).isEqualTo("done");
                assertThat(job.path("imported").asLong()).isEqualTo(26);
                assertThat(job.path("failed").asLong()).isEqualTo(1);
                assertThat(job.path("progress").path("percent").asInt()).isEqualTo(100);
                assertThat(job.path("errors").get(0).path("message").asText()).contains("password");

                Response again = b.get("/api/v1/links/export?format=csv", TestNode.bearer(adminB));
                assertThat(again.body().lines().sorted().toList())
                        .isEqualTo(csv.body().lines().filter(l -> !l.startsWith("secret,")).sorted().toList());
                assertThat(b.get("/full-1").status()).isEqualTo(301);
                assertThat(b.get("/full-1").header("Location")).isEqualTo("https://example.com/full?q=1&r=a,b");
                String generated = csv.body().lines().skip(1).findFirst().orElseThrow().split(",")[0];
                assertThat(b.get("/" + generated).header("Location")).startsWith("https://example.com/gen/");

                JsonNode repeat = importAndWait(b, adminB, "kurz-jsonl", jsonl.body());
                assertThat(repeat.path("state").asText()).isEqualTo("done");
                assertThat(repeat.path("imported").asLong()).isZero();
                assertThat(repeat.path("existing").asLong()).as("the same links again: nothing new").isEqualTo(26);
                assertThat(b.storedLinks()).isEqualTo(26);
            }
        }
    }

    @Test
    void theJobApiNeedsAKeyShowsOnlyYourOwnJobsAndRefusesOversizedUploads() {
        try (TestNode node = TestNode.start(dirA, Map.of("KURZ_IMPORT_MAX_BYTES", "4096"))) {
            String alice = node.key("alice", Role.USER);
            String bob = node.key("bob", Role.USER);
            node.send("POST", "/api/v1/imports?format=csv", "text/csv", "url\nhttps://example.com/\n").problem(401);
            assertThat(node.send("POST", "/api/v1/imports?format=kutt", "text/csv", "url\n", TestNode.bearer(alice))
                    .problem(400).path("detail").asText()).contains("kurz-csv").contains("Kutt");
            Response big = node.send("POST", "/api/v1/imports?format=csv", "text/csv",
                    "url\n" + "https://example.com/long/path\n".repeat(200), TestNode.bearer(alice));
            assertThat(big.problem(413).path("detail").asText()).contains("KURZ_IMPORT_MAX_BYTES");
            assertThat(node.count("SELECT count(*) FROM jobs")).as("the refused upload left nothing").isZero();
            assertThat(node.count("SELECT count(*) FROM job_inputs")).isZero();

            Response accepted = node.send("POST", "/api/v1/imports?format=csv", "text/csv",
                    "url,alias\nhttps://example.com/a,alice-1\n", TestNode.bearer(alice));
            assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
            String location = accepted.header("Location");
            assertThat(location).matches("/api/v1/jobs/[0-9]+");
            assertThat(accepted.json().path("state").asText()).isEqualTo("queued");
            assertThat(node.get(location, TestNode.bearer(alice)).json().path("format").asText()).isEqualTo("csv");
            node.get(location, TestNode.bearer(bob)).problem(403);
            node.get(location).problem(401);
            node.get("/api/v1/jobs/999999", TestNode.bearer(alice)).problem(404);
            assertThat(node.get("/api/v1/jobs", TestNode.bearer(alice)).json().path("items").size()).isEqualTo(1);
            assertThat(node.get("/api/v1/jobs", TestNode.bearer(bob)).json().path("items").size()).isZero();
            assertThat(node.get("/api/v1/jobs", TestNode.bearer(node.adminKey())).json().path("items").size()).isEqualTo(1);

            node.send("POST", "/api/v1/links", "application/json", "{\"url\": \"https://example.com/bob\"}", TestNode.bearer(bob));
            node.create("{\"url\": \"https://example.com/anonymous\"}");
            List<String> bobs = node.get("/api/v1/links/export?format=jsonl", TestNode.bearer(bob)).body().lines().toList();
            assertThat(bobs).hasSize(1).first().asString().contains("https://example.com/bob");
            node.get("/api/v1/links/export").problem(401);
            node.get("/api/v1/links/export?format=xml", TestNode.bearer(bob)).problem(400);
        }
    }

    private static JsonNode importAndWait(TestNode node, String key, String format, String body) {
        Response accepted = node.send("POST", "/api/v1/imports?format=" + format, "application/octet-stream", body,
                TestNode.bearer(key));
        assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
        String location = accepted.header("Location");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            JsonNode job = node.get(location, TestNode.bearer(key)).json();
            if (job.path("state").asText().equals("done") || job.path("state").asText().equals("failed")) {
                return job;
            }
            assertThat(System.nanoTime()).as("job %s finished in time", location).isLessThan(deadline);
            LockSupport.parkNanos(50_000_000);
        }
    }
}
