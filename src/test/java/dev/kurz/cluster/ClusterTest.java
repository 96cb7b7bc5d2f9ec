package dev.kurz.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.support.Backends;
import dev.kurz.support.TestNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three nodes on one PostgreSQL and one Redis, as behind a load balancer. */
class ClusterTest {

    /** How fast an edit must reach every node (DESIGN.md section 7). */
    private static final Duration BOUND = Duration.ofSeconds(1);

    @TempDir
    Path dir;

    private final List<TestNode> nodes = new ArrayList<>();

    @BeforeEach
    void startThreeNodes() {
        Map<String, String> shared = Backends.postgresRedisSettings();
        for (int i = 0; i < 3; i++) {
            var env = new java.util.HashMap<>(shared);
            env.put("KURZ_ID_BLOCK_SIZE", "50"); // blocks run out often while nodes mint at once
            nodes.add(TestNode.start(dir.resolve("node" + i), env));
        }
    }

    @AfterEach
    void stopNodes() {
        nodes.forEach(TestNode::close);
    }

    @Test
    void eightThreadsCreatingAcrossThreeNodesNeverGetTheSameCode() throws Exception {
        Map<String, String> targetByCode = new ConcurrentHashMap<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 300; i++) {
                        TestNode node = nodes.get((thread + i) % 3);
                        String url = "https://example.com/t" + thread + "/" + i;
                        String code = node.create("{\"url\": \"" + url + "\"}");
                        assertThat(targetByCode.putIfAbsent(code, url)).as("duplicate code %s", code).isNull();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        assertThat(targetByCode).hasSize(2_400);
        assertThat(nodes.getFirst().storedLinks()).isEqualTo(2_400);
        // Every node resolves every link.
        int i = 0;
        for (var e : targetByCode.entrySet()) {
            if (i++ % 10 == 0) {
                for (TestNode node : nodes) {
                    assertThat(node.get("/" + e.getKey()).header("Location")).isEqualTo(e.getValue());
                }
            }
        }
    }

    @Test
    void anEditOnOneNodeReachesTheOthersWithinOneSecond() {
        TestNode a = nodes.get(0);
        String code = a.create("""
                {"url": "https://example.com/v1"}""");
        for (TestNode node : nodes) {
            assertThat(node.get("/" + code).header("Location")).isEqualTo("https://example.com/v1"); // now in every L1
        }

        long start = System.nanoTime();
        assertThat(a.patch("/api/v1/links/" + code, """
                {"url": "https://example.com/v2"}""").status()).isEqualTo(200);
        for (TestNode other : nodes.subList(1, 3)) {
            Duration took = waitUntil(other, code, r -> "https://example.com/v2".equals(r.header("Location")), start);
            assertThat(took).as("edit visible on node %s", other.base).isLessThan(BOUND);
        }

        start = System.nanoTime();
        assertThat(a.delete("/api/v1/links/" + code).status()).isEqualTo(204);
        for (TestNode node : nodes) {
            Duration took = waitUntil(node, code, r -> r.status() == 404, start);
            assertThat(took).as("delete visible on node %s", node.base).isLessThan(BOUND);
        }
    }

    @Test
    void aNewLinkRedirectsOnANodeThatHadCachedItsCodeAsUnknown() {
        TestNode b = nodes.get(1);
        assertThat(b.get("/just-made").status()).isEqualTo(404); // B now caches "unknown"
        nodes.get(0).create("""
                {"url": "https://example.com/new", "alias": "just-made"}""");
        Duration took = waitUntil(b, "just-made", r -> r.status() == 302, System.nanoTime());
        assertThat(took).isLessThan(BOUND);
    }

    @Test
    void aBulkOfNewLinksReachesANodeThatHadCachedTheirCodesAsUnknownInAFewMessages() {
        TestNode b = nodes.get(1);
        List<String> codes = java.util.stream.IntStream.range(0, 50).mapToObj(i -> "bulk-new-" + i).toList();
        codes.forEach(code -> assertThat(b.get("/" + code).status()).isEqualTo(404)); // B caches them as unknown
        long publishes = redisPublishCalls();
        String body = codes.stream().map(code -> "{\"url\": \"https://example.com/" + code + "\", \"alias\": \"" + code + "\"}")
                .collect(java.util.stream.Collectors.joining(",", "[", "]"));
        TestNode a = nodes.get(0);
        var created = a.send("POST", "/api/v1/links/bulk", "application/json", body, TestNode.bearer(a.adminKey()));
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        assertThat(created.json().path("created").asInt()).isEqualTo(50);
        long start = System.nanoTime();
        for (String code : codes) {
            assertThat(waitUntil(b, code, r -> r.status() == 302, start)).isLessThan(BOUND);
        }
        // One announcement per create would be 50 PUBLISHes; they are gathered into one message
        // every few milliseconds instead (the nodes of other tests may publish too, hence the slack).
        assertThat(redisPublishCalls() - publishes).isBetween(1L, 10L);
    }

    /** PUBLISH commands the shared Redis has run so far (INFO commandstats). */
    private static long redisPublishCalls() {
        var client = io.lettuce.core.RedisClient.create(io.lettuce.core.RedisURI.create("127.0.0.1", Backends.redisPort()));
        try (var c = client.connect()) {
            var m = java.util.regex.Pattern.compile("cmdstat_publish:calls=(\\d+)").matcher(c.sync().info("commandstats"));
            return m.find() ? Long.parseLong(m.group(1)) : 0;
        } finally {
            client.shutdown();
        }
    }

    @Test
    void aNodeWithAnEmptyCacheIsServedFromRedis() {
        String code = nodes.get(0).create("""
                {"url": "https://example.com/shared"}""");
        assertThat(nodes.get(0).get("/" + code).status()).isEqualTo(302); // loads from the DB, fills L2
        Backends.awaitRedisKey(nodes.get(0).env.get("KURZ_REDIS_URL"), nodes.get(0).env.get("KURZ_REDIS_PREFIX") + "l:" + code);
        long before = nodes.get(2).app.l2Hits();
        assertThat(nodes.get(2).get("/" + code).header("Location")).isEqualTo("https://example.com/shared");
        assertThat(nodes.get(2).app.l2Hits()).isEqualTo(before + 1);
    }

    @Test
    void aClickLimitCountsClicksFromEveryNode() {
        String code = nodes.get(0).create("""
                {"url": "https://example.com/limited", "maxClicks": 4}""");
        assertThat(nodes.get(0).get("/" + code).status()).isEqualTo(302);
        assertThat(nodes.get(0).get("/" + code).status()).isEqualTo(302);
        assertThat(nodes.get(1).get("/" + code).status()).isEqualTo(302);
        assertThat(nodes.get(1).get("/" + code).status()).isEqualTo(302);
        nodes.forEach(TestNode::flushClicks);
        // Node C never saw a click itself: the four it must refuse on came from A and B.
        assertThat(nodes.get(2).get("/" + code).status()).isEqualTo(410);
        assertThat(nodes.get(2).get("/api/v1/links/" + code).json().path("clicks").asLong()).isEqualTo(4);
    }

    /** Polls {@code node} every 5 ms until {@code done}, failing after 5 s; returns the time since {@code start}. */
    private static Duration waitUntil(TestNode node, String code, Predicate<TestNode.Response> done, long start) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!done.test(node.get("/" + code))) {
            assertThat(System.nanoTime()).as("node %s never saw the change", node.base).isLessThan(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        System.out.printf("change to %s visible on %s after %d ms%n", code, node.base, took.toMillis());
        return took;
    }
}
