package dev.kurz.redirect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.support.TestNode;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NegativeCacheTest {

    @TempDir
    Path dataDir;

    @Test
    void anUnknownCodeIsAnsweredFromMemoryUntilTheNegativeEntryExpires() throws Exception {
        try (var node = TestNode.start(dataDir, Map.of("KURZ_CACHE_NEGATIVE_TTL", "1h"))) {
            assertThat(node.get("/scanned1").status()).isEqualTo(404);
            // Put a link behind kurz's back, straight into the database file: a node that asked the
            // database again would now find it. The cached "unknown" answer must still be served.
            try (var c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("kurz.db"))) {
                c.createStatement().executeUpdate("INSERT INTO links (code, url, created_at, updated_at) "
                        + "VALUES ('scanned1', 'https://example.com/behind-the-back', 0, 0)");
            }
            for (int i = 0; i < 100; i++) {
                assertThat(node.get("/scanned1").status()).isEqualTo(404);
            }
        }
        try (var node = TestNode.start(dataDir, Map.of("KURZ_CACHE_NEGATIVE_TTL", "0s"))) {
            assertThat(node.get("/scanned1").status()).isEqualTo(302); // no negative caching: read through
        }
    }

    @Test
    void theCacheIsBoundedUnderAScanOfRandomCodes() {
        try (var node = TestNode.start(dataDir, Map.of("KURZ_CACHE_L1_SIZE", "500"))) {
            String hot = node.create("""
                    {"url": "https://example.com/hot"}""");
            for (int i = 0; i < 3_000; i++) {
                assertThat(node.get("/scan" + i).status()).isEqualTo(404);
                if (i % 10 == 0) {
                    assertThat(node.get("/" + hot).status()).isEqualTo(302);
                }
            }
            node.app.cleanUpCache();
            assertThat(node.app.cachedEntries()).isLessThanOrEqualTo(500);
        }
    }
}
