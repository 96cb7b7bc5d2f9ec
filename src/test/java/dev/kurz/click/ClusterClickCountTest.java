package dev.kurz.click;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kurz.support.Backends;
import dev.kurz.support.TestNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three nodes on one PostgreSQL, each counting and flushing its share: the sums are exact. */
class ClusterClickCountTest {

    @TempDir
    Path dir;

    @Test
    void countsFromThreeNodesAddUpExactly() throws Exception {
        Map<String, String> shared = new HashMap<>(Backends.postgresSettings());
        shared.put("KURZ_CLICK_FLUSH_MS", "50"); // the three flushers overlap in the database
        shared.put("KURZ_CLICK_FOLD_MS", "150"); // and so do their folds
        shared.put("KURZ_TRUSTED_PROXIES", "127.0.0.1");
        shared.put("KURZ_COUNTRY_HEADER", "CF-IPCountry");
        List<TestNode> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                nodes.add(TestNode.start(dir.resolve("node" + i), shared));
            }
            List<String> codes = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                codes.add(nodes.get(i % 3).create("{\"url\": \"https://example.com/cluster/" + i + "\"}"));
            }
            ClickTables.Expected expected = ClickTables.load(nodes, codes, 6, 12_000);
            nodes.forEach(TestNode::flushClicks);

            TestNode any = nodes.getFirst();
            Map<String, long[]> totals = ClickTables.storedTotals(any);
            long all = 0;
            for (String code : codes) {
                assertThat(totals.get(code)).as("links.clicks, hourly humans, hourly bots of %s", code)
                        .containsExactly(expected.human.get(code), expected.human.get(code), expected.bot.get(code));
                all += totals.get(code)[1] + totals.get(code)[2];
            }
            assertThat(all).isEqualTo(12_000);
            assertThat(ClickTables.storedDims(any)).isEqualTo(expected.dims);
            assertThat(any.count("SELECT count(*) FROM click_batches")).as("one ledger row per node").isEqualTo(3);
            for (TestNode node : nodes) {
                assertThat(node.get("/metrics").body()).as("no flush failed (a deadlock would be retried, unseen)")
                        .contains("kurz_click_flush_failures_total 0.0");
                JsonNode stats = node.get("/api/v1/links/" + codes.getFirst() + "/stats").json();
                assertThat(stats.path("totals").path("human").asLong()).isEqualTo(expected.human.get(codes.getFirst()));
                assertThat(stats.path("totals").path("bot").asLong()).isEqualTo(expected.bot.get(codes.getFirst()));
            }
        } finally {
            nodes.forEach(TestNode::close);
        }
    }
}
