package dev.kurz.link;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.support.TestNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConcurrentCreateTest {

    @TempDir
    Path dataDir;

    @Test
    void eightThreadsCreatingTwoThousandLinksEachGetDistinctCodesThatAllRedirect() throws Exception {
        // Small id blocks, so blocks run out and are reserved again while creates race.
        try (var node = TestNode.start(dataDir, Map.of("KURZ_ID_BLOCK_SIZE", "100"))) {
            Map<String, String> targetByCode = new ConcurrentHashMap<>();
            int threads = 8;
            int perThread = 2_000;
            try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    done.add(pool.submit(() -> {
                        HttpClient http = client();
                        for (int i = 0; i < perThread; i++) {
                            String url = "https://example.com/t" + thread + "/" + i;
                            var post = HttpRequest.newBuilder(URI.create(node.base + "/api/v1/links"))
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"url\": \"" + url + "\"}"))
                                    .timeout(Duration.ofSeconds(30)).build();
                            HttpResponse<String> r = http.send(post, HttpResponse.BodyHandlers.ofString());
                            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
                            String code = TestNode.JSON.readTree(r.body()).path("code").asText();
                            assertThat(targetByCode.putIfAbsent(code, url)).as("duplicate code %s", code).isNull();
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            }
            assertThat(targetByCode).hasSize(threads * perThread);
            assertThat(node.storedLinks()).isEqualTo(threads * perThread);
            assertThat(Set.copyOf(targetByCode.values())).hasSize(threads * perThread);

            HttpClient http = client();
            for (var e : targetByCode.entrySet()) {
                var get = HttpRequest.newBuilder(URI.create(node.base + "/" + e.getKey())).build();
                HttpResponse<Void> r = http.send(get, HttpResponse.BodyHandlers.discarding());
                assertThat(r.statusCode()).isEqualTo(302);
                assertThat(r.headers().firstValue("Location")).contains(e.getValue());
            }
        }
    }

    private static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }
}
