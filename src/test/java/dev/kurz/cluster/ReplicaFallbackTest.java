package dev.kurz.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.support.Backends;
import dev.kurz.support.TestNode;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads go to the replica, and a link the replica doesn't have yet (replication lag) is looked up
 * on the primary before a 404. The "replica" is a second database that receives no writes: the
 * extreme case of lag.
 */
class ReplicaFallbackTest {

    @TempDir
    Path dir;

    private String replica;

    /**
     * A node on a fresh primary whose reads go to a second, fresh database with the schema (as
     * replication would give it) and nothing else: {@link #replica}, for the test to fill.
     */
    private TestNode nodeWithReplica(java.util.function.Consumer<String> fillReplica) {
        var pg = Backends.postgres();
        String primary = Backends.freshDatabase(pg);
        replica = Backends.freshDatabase(pg);
        TestNode.start(dir.resolve("migrate"), Map.of("KURZ_DB_URL", replica, "KURZ_DB_USER", "postgres")).close();
        fillReplica.accept(replica);
        return TestNode.start(dir.resolve("node"), Map.of("KURZ_DB_URL", primary, "KURZ_DB_USER", "postgres",
                "KURZ_DB_READ_URL", replica));
    }

    @Test
    void redirectsReadTheReplicaAndFallBackToThePrimaryForLinksItLacks() {
        try (var node = nodeWithReplica(r -> Backends.execute(r, "INSERT INTO links (code, url, created_at, updated_at) "
                + "VALUES ('only-on-replica', 'https://example.com/replica', 0, 0)"))) {
            String fresh = node.create("""
                    {"url": "https://example.com/fresh"}""");
            assertThat(node.get("/" + fresh).header("Location")).isEqualTo("https://example.com/fresh");
            assertThat(node.get("/only-on-replica").header("Location")).isEqualTo("https://example.com/replica");
            assertThat(node.get("/on-neither").status()).isEqualTo(404);
            assertThat(node.count("SELECT count(*) FROM links")).isEqualTo(1); // the primary
        }
    }

    @Test
    void anEditIsNotUndoneByAReplicaThatStillHasTheOldRow() {
        try (var node = nodeWithReplica(r -> { })) {
            node.create("""
                    {"url": "https://example.com/old", "alias": "edited"}""");
            // The replica has caught up with the create, and then lags behind the edit.
            Backends.execute(replica, "INSERT INTO links (code, url, created_at, updated_at) "
                    + "VALUES ('edited', 'https://example.com/old', 0, 0)");
            assertThat(node.get("/edited").header("Location")).isEqualTo("https://example.com/old");

            node.patch("/api/v1/links/edited", """
                    {"url": "https://example.com/new"}""");
            assertThat(node.get("/edited").header("Location")).isEqualTo("https://example.com/new");
            assertThat(node.get("/api/v1/links/edited").json().path("url").asText()).isEqualTo("https://example.com/new");
            node.delete("/api/v1/links/edited");
            assertThat(node.get("/edited").status()).isEqualTo(404);
        }
    }
}
