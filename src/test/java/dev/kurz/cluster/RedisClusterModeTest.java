package dev.kurz.cluster;

import static dev.kurz.cluster.RedisFaultTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.support.Backends;
import dev.kurz.support.TestNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.embedded.RedisShardedCluster;

/** The L2 cache and invalidation channel on a real three-shard Redis Cluster. */
class RedisClusterModeTest {

    @TempDir
    Path dir;

    @Test
    void twoNodesShareL2AndInvalidationsOnARedisCluster() throws Exception {
        List<Integer> ports = List.of(Backends.freePort(), Backends.freePort(), Backends.freePort());
        RedisShardedCluster cluster = RedisShardedCluster.newRedisCluster()
                .serverPorts(ports) // before shard(): the builder assigns ports as shards are added
                .shard("a", 0).shard("b", 0).shard("c", 0)
                .initializationTimeout(Duration.ofSeconds(20))
                .build();
        cluster.start();
        List<Integer> listening = cluster.serverPorts();
        try {
            Backends.awaitRedisClusterReady(listening);
            var env = new HashMap<>(Backends.postgresSettings());
            env.put("KURZ_REDIS_URL", "redis-cluster://127.0.0.1:" + listening.get(0) + ",127.0.0.1:" + listening.get(1));
            try (var a = TestNode.start(dir.resolve("a"), env); var b = TestNode.start(dir.resolve("b"), env)) {
                waitFor(() -> a.app.redisAvailable() && b.app.redisAvailable(), Duration.ofSeconds(10));
                // Many codes, so keys land on every shard.
                for (int i = 0; i < 30; i++) {
                    String code = a.create("{\"url\": \"https://example.com/c/" + i + "\"}");
                    a.get("/" + code); // fills L2 from the database
                    Backends.awaitRedisKey(env.get("KURZ_REDIS_URL"), "kurz:l:" + code);
                    long hits = b.app.l2Hits();
                    assertThat(b.get("/" + code).header("Location")).isEqualTo("https://example.com/c/" + i);
                    assertThat(b.app.l2Hits()).as("L2 hit for %s", code).isEqualTo(hits + 1);

                    a.patch("/api/v1/links/" + code, "{\"url\": \"https://example.com/c/" + i + "/v2\"}");
                    String expected = "https://example.com/c/" + i + "/v2";
                    waitFor(() -> expected.equals(b.get("/" + code).header("Location")), Duration.ofSeconds(1));
                }
            }
        } finally {
            cluster.stop();
        }
    }
}
