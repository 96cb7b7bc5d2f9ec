package dev.kurz.click;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.support.TestNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a stop costs (DESIGN.md section 6): a node killed without shutdown loses the clicks
 * counted since its last flush and nothing before (what it journaled reaches the roll-ups through
 * the next node's fold); a graceful stop loses none.
 */
class ClickDurabilityTest {

    private static final List<ClickTables.Agent> AGENTS = ClickTables.AGENTS;

    @TempDir
    Path dataDir;

    @Test
    void aKilledNodeLosesExactlyTheClicksSinceItsLastFlush() throws Exception {
        ClickTables.Expected flushed;
        try (var first = TestNode.start(dataDir, Map.of())) { // flushed by hand: each flushClicks is a tick
            List<String> codes = List.of(first.create("""
                    {"url": "https://example.com/a"}"""), first.create("""
                    {"url": "https://example.com/b"}"""));
            flushed = new ClickTables.Expected();
            for (int round = 0; round < 5; round++) {
                send(first, codes, 40, round * 40, flushed);
                first.flushClicks();
            }
            var inFlight = new ClickTables.Expected();
            send(first, codes, 25, 200, inFlight); // the interval in progress when the node dies
            assertThat(first.get("/api/v1/links/" + codes.getFirst()).json().path("clicks").asLong())
                    .isEqualTo(flushed.human.get(codes.getFirst()) + inFlight.human.get(codes.getFirst()));
            first.app.crash();
        }
        try (var second = TestNode.start(dataDir, Map.of())) {
            Map<String, long[]> totals = ClickTables.storedTotals(second);
            for (String code : flushed.human.keySet()) {
                assertThat(totals.get(code)[0]).as("links.clicks of %s", code).isEqualTo(flushed.human.get(code));
                assertThat(totals.get(code)[1]).isEqualTo(flushed.human.get(code));
                assertThat(totals.get(code)[2]).isEqualTo(flushed.bot.get(code));
            }
            assertThat(ClickTables.storedDims(second)).isEqualTo(flushed.dims);
        }
    }

    @Test
    void theTimerFlushesOnItsOwnSoAKillLosesOnlyTheLastInterval() throws Exception {
        Map<String, String> timed = Map.of("KURZ_CLICK_FLUSH_MS", "100", "KURZ_CLICK_FOLD_MS", "200");
        long humans;
        long sentAfter;
        long storedAtKill;
        try (var first = TestNode.start(dataDir, timed)) {
            List<String> codes = List.of(first.create("""
                    {"url": "https://example.com/timed"}"""));
            var before = new ClickTables.Expected();
            send(first, codes, 60, 0, before);
            humans = before.human.get(codes.getFirst());
            // No flushClicks: the timer must journal and fold them by itself.
            waitFor(() -> first.count("SELECT clicks FROM links") == humans, Duration.ofSeconds(20));
            var after = new ClickTables.Expected();
            send(first, codes, 30, 60, after);
            sentAfter = after.human.get(codes.getFirst());
            first.app.crash();
            storedAtKill = first.count("SELECT clicks FROM links");
            assertThat(first.count("SELECT sum(clicks) FROM click_days")).isEqualTo(storedAtKill);
        }
        // What the dead node journaled but never folded is folded by the next one, once stale.
        try (var second = TestNode.start(dataDir, timed)) {
            second.clock.advance(Duration.ofSeconds(1)); // test clocks stand still: make the rows stale
            waitFor(() -> second.count("SELECT count(*) FROM click_journal") == 0, Duration.ofSeconds(20));
            long stored = second.count("SELECT clicks FROM links");
            System.out.printf("killed node: %d human clicks stored (%d when it died), %d of the last %d lost%n",
                    stored, storedAtKill, humans + sentAfter - stored, sentAfter);
            assertThat(stored).isBetween(Math.max(humans, storedAtKill), humans + sentAfter);
            assertThat(second.count("SELECT sum(clicks) FROM click_days")).isEqualTo(stored);
        }
    }

    @Test
    void aGracefulStopLosesNoClickAndNoOrphanVisit() throws Exception {
        var expected = new ClickTables.Expected();
        List<String> codes;
        try (var first = TestNode.start(dataDir, Map.of())) {
            codes = List.of(first.create("""
                    {"url": "https://example.com/kept"}"""), first.create("""
                    {"url": "https://example.com/kept-too"}"""));
            send(first, codes, 70, 0, expected);
            first.get("/gone-missing");
            // No flushClicks: close() must write everything itself.
        }
        try (var second = TestNode.start(dataDir, Map.of())) {
            Map<String, long[]> totals = ClickTables.storedTotals(second);
            for (String code : codes) {
                assertThat(totals.get(code)).containsExactly(expected.human.get(code), expected.human.get(code),
                        expected.bot.get(code));
            }
            assertThat(ClickTables.storedDims(second)).isEqualTo(expected.dims);
            assertThat(second.count("SELECT sum(visits) FROM orphan_visits WHERE code = 'gone-missing'")).isEqualTo(1);
        }
    }

    /** Sends {@code n} clicks over the links with the load mix, numbered from {@code first}. */
    private static void send(TestNode node, List<String> codes, int n, int first, ClickTables.Expected expected) {
        for (int i = first; i < first + n; i++) {
            String code = codes.get(i % codes.size());
            ClickTables.Agent agent = AGENTS.get(i % AGENTS.size());
            String[] referrer = ClickTables.REFERRERS.get(i % ClickTables.REFERRERS.size());
            assertThat(node.get("/" + code, referrer[0] == null ? new String[] {"User-Agent", agent.header()}
                    : new String[] {"User-Agent", agent.header(), "Referer", referrer[0]}).status()).isEqualTo(302);
            expected.click(code, agent, referrer[1], null);
        }
    }

    private static void waitFor(BooleanSupplier condition, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not met within %s", limit).isLessThan(deadline);
            LockSupport.parkNanos(20_000_000);
        }
    }
}
