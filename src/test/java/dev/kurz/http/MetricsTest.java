package dev.kurz.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kurz.config.Settings;
import dev.kurz.support.TestNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} as Prometheus scrapes it: the exposition passes Prometheus' own parser and
 * linter ({@code promtool check metrics}), and the families kurz promises exist and move with
 * the traffic that should move them.
 */
class MetricsTest {

    @TempDir
    static Path dir;
    static TestNode node;

    @BeforeAll
    static void start() {
        // Trusting the test client as a proxy lets one test play an outside client (X-Forwarded-For).
        node = TestNode.start(dir, Map.of("KURZ_TRUSTED_PROXIES", "127.0.0.1"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void redirectsMoveTheirRouteTimerAndTheCacheCounters() {
        String code = node.create("""
                {"url": "https://example.com/metrics"}""");
        Map<String, Double> before = samples(scrape());
        node.get("/" + code); // evicted by the create: an L1 miss, loaded
        node.get("/" + code); // an L1 hit
        node.get("/nosuchcode7"); // unknown: a miss, then remembered
        node.get("/nosuchcode7"); // a hit on the remembered unknown code
        node.get("/no/such/path");
        Map<String, Double> after = samples(scrape());

        assertThat(delta(before, after, "kurz_cache_requests_total{level=\"l1\",result=\"hit\"}")).isEqualTo(2);
        assertThat(delta(before, after, "kurz_cache_requests_total{level=\"l1\",result=\"miss\"}")).isEqualTo(2);
        assertThat(delta(before, after, "kurz_cache_negative_hits_total")).isEqualTo(1);
        assertThat(delta(before, after, "kurz_http_requests_seconds_count{method=\"GET\",route=\"/{code}\",status=\"3xx\"}"))
                .isEqualTo(2);
        assertThat(delta(before, after, "kurz_http_requests_seconds_count{method=\"GET\",route=\"/{code}\",status=\"4xx\"}"))
                .isEqualTo(2);
        assertThat(delta(before, after, "kurz_http_requests_seconds_count{method=\"GET\",route=\"unmatched\",status=\"4xx\"}"))
                .isEqualTo(1);
        assertThat(after).containsKey("kurz_http_requests_seconds_count{method=\"POST\",route=\"/api/v1/links\",status=\"2xx\"}");
        assertThat(after).containsKey(
                "kurz_http_requests_seconds_bucket{method=\"GET\",route=\"/{code}\",status=\"3xx\",le=\"0.005\"}");
        // Raw paths never become labels: no series names the code.
        assertThat(after.keySet()).noneMatch(k -> k.contains(code) || k.contains("nosuchcode7"));
    }

    @Test
    void flushesPoolsAndTheJvmAreMeasured() {
        node.get("/" + node.create("""
                {"url": "https://example.com/flushed"}"""));
        Map<String, Double> before = samples(scrape());
        node.flushClicks();
        Map<String, Double> after = samples(scrape());
        assertThat(delta(before, after, "kurz_click_flush_batches_total")).isEqualTo(1);
        assertThat(after).containsKeys("kurz_click_flush_failures_total", "kurz_click_flush_lag_seconds",
                "kurz_click_pending", "kurz_click_dropped_total", "kurz_cache_entries",
                "hikaricp_connections_active{pool=\"kurz-write\"}", "hikaricp_connections_max{pool=\"kurz-read\"}",
                "jvm_threads_live_threads", "process_uptime_seconds");
        assertThat(after.keySet()).anyMatch(k -> k.startsWith("jvm_memory_used_bytes{"));
    }

    @Test
    void theExpositionPassesPromtool() throws Exception {
        Path promtool = promtool();
        assumeTrue(promtool != null, "promtool not found: run scripts/promtool (CI does) to check the format");
        node.get("/" + node.create("""
                {"url": "https://example.com/promtool"}"""));
        Path file = dir.resolve("metrics.txt");
        Files.writeString(file, scrape());
        Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectInput(file.toFile())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as("promtool check metrics").isEmpty();
        assertThat(p.exitValue()).isZero();
    }

    @Test
    void onlyAllowedAddressesMayReadMetrics() {
        TestNode.Response outside = node.get("/metrics", "X-Forwarded-For", "203.0.113.9", "Accept", "application/json");
        assertThat(outside.problem(403).path("type").asText()).isEqualTo("urn:kurz:problem:forbidden");
        assertThat(node.get("/metrics", "X-Forwarded-For", "10.1.2.3").status()).isEqualTo(200);
        assertThat(Settings.from(Map.of("KURZ_METRICS_ALLOW", "off")).metricsAllow()).isEmpty();
        assertThatThrownBy(() -> Settings.from(Map.of("KURZ_METRICS_ALLOW", "everyone")))
                .hasMessageContaining("KURZ_METRICS_ALLOW");
        assertThatThrownBy(() -> Settings.from(Map.of("KURZ_LOG_FORMAT", "xml"))).hasMessageContaining("KURZ_LOG_FORMAT");
    }

    private static String scrape() {
        TestNode.Response r = node.get("/metrics");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("text/plain; version=0.0.4");
        return r.body();
    }

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{.*\\})?) (\\S+)$");

    /** Series (name with its labels, as written) to value; just enough to read what tests assert. */
    private static Map<String, Double> samples(String exposition) {
        var out = new HashMap<String, Double>();
        for (String line : exposition.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!line.startsWith("#") && m.matches()) {
                out.put(m.group(1), Double.parseDouble(m.group(2)));
            }
        }
        return out;
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String series) {
        assertThat(after).as("series %s", series).containsKey(series);
        return after.get(series) - before.getOrDefault(series, 0.0);
    }

    /** promtool from KURZ_PROMTOOL, the PATH, or where scripts/promtool unpacks it; null if none. */
    private static Path promtool() throws IOException {
        String configured = System.getenv("KURZ_PROMTOOL");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        for (String entry : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(entry, "promtool");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        Path cached = Path.of(System.getProperty("user.home"), ".cache/kurz-tools/prometheus/usr/bin/promtool");
        return Files.isExecutable(cached) ? cached : null;
    }
}
