package dev.kurz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.support.TestNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RestartTest {

    @TempDir
    Path dataDir;

    @Test
    void aNewNodeOnTheSameDataDirHasEveryLinkAndEveryCount() {
        List<String> codes = new ArrayList<>();
        String limited;
        try (var first = TestNode.start(dataDir, Map.of())) {
            for (int i = 0; i < 50; i++) {
                codes.add(first.create("""
                        {"url": "https://example.com/keep/%d"}""".formatted(i)));
            }
            limited = first.create("""
                    {"url": "https://example.com/limited", "maxClicks": 2, "alias": "limited"}""");
            for (int i = 0; i < 50; i++) {
                for (int c = 0; c <= i % 3; c++) {
                    assertThat(first.get("/" + codes.get(i)).status()).isEqualTo(302);
                }
            }
            first.get("/" + limited);
            first.get("/" + limited);
            // No explicit flush: a graceful stop must write the remaining clicks itself.
        }
        try (var second = TestNode.start(dataDir, Map.of())) {
            for (int i = 0; i < 50; i++) {
                var link = second.get("/api/v1/links/" + codes.get(i)).json();
                assertThat(link.path("url").asText()).isEqualTo("https://example.com/keep/" + i);
                assertThat(link.path("clicks").asLong()).as("clicks of link %d", i).isEqualTo(i % 3 + 1);
                assertThat(second.get("/" + codes.get(i)).header("Location")).isEqualTo("https://example.com/keep/" + i);
            }
            assertThat(second.get("/" + limited).status()).isEqualTo(410);
            // The code key is kept, so the new node keeps minting fresh, distinct codes.
            String next = second.create("""
                    {"url": "https://example.com/after-restart"}""");
            assertThat(codes).doesNotContain(next);
        }
    }
}
