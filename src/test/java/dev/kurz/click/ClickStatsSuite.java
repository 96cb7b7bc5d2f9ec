package dev.kurz.click;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kurz.support.TestNode;
import dev.kurz.support.TestNode.Response;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Click statistics as a client sees them, against a real node: exact counts under load, the
 * stats API, bots, orphan visits, and no stored IP. Abstract so each storage backend runs it.
 */
abstract class ClickStatsSuite {

    private static final String CHROME = ClickTables.AGENTS.get(0).header();
    private static final String IPHONE = ClickTables.AGENTS.get(1).header();
    private static final String GOOGLEBOT = ClickTables.AGENTS.get(6).header();

    @TempDir
    Path dataDir;

    private final List<TestNode> nodes = new ArrayList<>();

    /** Settings that select the backend under test. */
    abstract Map<String, String> backend();

    /** A node on a fresh database of the backend; the loopback peer is a trusted proxy sending CF-IPCountry. */
    TestNode start(Map<String, String> extra) {
        var env = new HashMap<>(backend());
        env.put("KURZ_TRUSTED_PROXIES", "127.0.0.1");
        env.put("KURZ_COUNTRY_HEADER", "CF-IPCountry");
        env.putAll(extra);
        TestNode node = TestNode.start(dataDir.resolve("node" + nodes.size()), env);
        nodes.add(node);
        return node;
    }

    @AfterEach
    void stopNodes() {
        nodes.forEach(TestNode::close);
    }

    @Test
    void fiftyThousandRedirectsOfAHundredLinksCountEveryDimensionExactly() throws Exception {
        // Flushing every 100 ms and folding every 300 ms, so dozens of batches commit and fold
        // while the clicks pour in.
        TestNode node = start(Map.of("KURZ_CLICK_FLUSH_MS", "100", "KURZ_CLICK_FOLD_MS", "300"));
        List<String> codes = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            codes.add(node.create("{\"url\": \"https://example.com/load/" + i + "\"}"));
        }
        ClickTables.Expected expected = ClickTables.load(List.of(node), codes, 16, 50_000);
        // Every request the load sent was answered once, and nothing else reached the node.
        assertThat(redirectsServed(node)).as("redirects the node answered").isEqualTo(50_000);
        node.flushClicks();

        Map<String, long[]> totals = ClickTables.storedTotals(node);
        long human = 0;
        long bots = 0;
        for (String code : codes) {
            long[] t = totals.get(code);
            assertThat(t[0]).as("links.clicks of %s", code).isEqualTo(expected.human.get(code));
            assertThat(t[1]).as("sum of hourly human clicks of %s", code).isEqualTo(t[0]);
            assertThat(t[2]).as("sum of hourly bot clicks of %s", code).isEqualTo(expected.bot.get(code));
            human += t[1];
            bots += t[2];
        }
        assertThat(human + bots).isEqualTo(50_000);
        assertThat(ClickTables.storedDims(node)).isEqualTo(expected.dims);

        // The API says the same, and every link's live total (stored + unflushed) is exact too.
        for (String code : codes.subList(0, 3)) {
            JsonNode stats = node.get("/api/v1/links/" + code + "/stats?top=100").json();
            assertThat(stats.path("totals").path("human").asLong()).isEqualTo(expected.human.get(code));
            assertThat(stats.path("totals").path("bot").asLong()).isEqualTo(expected.bot.get(code));
            Map<String, Long> fromApi = new HashMap<>();
            stats.path("top").properties().forEach(list -> list.getValue().forEach(v -> fromApi.put(
                    code + "|" + dim(list.getKey()) + "|" + v.path("value").asText(), v.path("clicks").asLong())));
            Map<String, Long> expectedForLink = new HashMap<>();
            expected.dims.forEach((k, v) -> {
                if (k.startsWith(code + "|")) {
                    expectedForLink.put(k, v);
                }
            });
            assertThat(fromApi).isEqualTo(expectedForLink);
            assertThat(node.get("/api/v1/links/" + code).json().path("clicks").asLong())
                    .isEqualTo(expected.human.get(code));
        }
    }

    private static String dim(String list) {
        return switch (list) {
            case "referrers" -> "referrer";
            case "browsers" -> "browser";
            case "devices" -> "device";
            case "countries" -> "country";
            default -> list;
        };
    }

    @Test
    void linkStatsHaveTotalsAZeroFilledSeriesAndTopLists() {
        TestNode node = start(Map.of());
        // 01:00 UTC of the next day, so the buckets below don't depend on when the test runs.
        long dayMs = Duration.ofDays(1).toMillis();
        long day = node.clock.millis() / dayMs + 1;
        node.clock.advance(Duration.ofMillis(day * dayMs + Duration.ofHours(1).toMillis() - node.clock.millis()));
        String d0 = Instant.ofEpochMilli(day * dayMs).toString().substring(0, 10);
        String d1 = Instant.ofEpochMilli((day + 1) * dayMs).toString().substring(0, 10);
        String d2 = Instant.ofEpochMilli((day + 2) * dayMs).toString().substring(0, 10);

        String code = node.create("""
                {"url": "https://example.com/stats"}""");
        click(node, code, CHROME, "https://a.example/x", "DE");
        click(node, code, CHROME, "https://a.example/y", "de");
        click(node, code, GOOGLEBOT, null, null);
        node.clock.advance(Duration.ofHours(2));
        for (int i = 0; i < 3; i++) {
            click(node, code, IPHONE, "https://b.example/", null);
        }
        node.clock.advance(Duration.ofDays(1));
        click(node, code, CHROME, null, null);
        node.flushClicks();

        JsonNode byHour = node.get("/api/v1/links/" + code + "/stats?from=" + d0 + "T01:00:00Z&to=" + d0
                + "T05:00:00Z&interval=hour").json();
        assertThat(byHour.path("code").asText()).isEqualTo(code);
        assertThat(byHour.path("interval").asText()).isEqualTo("hour");
        assertThat(byHour.path("from").asText()).isEqualTo(d0 + "T01:00:00Z");
        assertThat(byHour.path("to").asText()).isEqualTo(d0 + "T05:00:00Z");
        assertThat(series(byHour)).containsExactly(
                d0 + "T01:00:00Z=2/1", d0 + "T02:00:00Z=0/0", d0 + "T03:00:00Z=3/0", d0 + "T04:00:00Z=0/0");
        assertThat(byHour.path("totals").path("human").asLong()).isEqualTo(5);
        assertThat(byHour.path("totals").path("bot").asLong()).isEqualTo(1);
        // Top lists count whole days: day 0 only.
        JsonNode top = byHour.path("top");
        assertThat(values(top.path("referrers"))).containsExactly("b.example=3", "a.example=2", "direct=1");
        assertThat(values(top.path("browsers"))).containsExactly("Mobile Safari=3", "Chrome=2", "Googlebot=1");
        assertThat(values(top.path("os"))).containsExactly("iOS=3", "Windows=2", "Other=1");
        assertThat(values(top.path("devices"))).containsExactly("mobile=3", "desktop=2", "bot=1");
        assertThat(values(top.path("countries"))).containsExactly("DE=2");

        // By day, from and to as dates; an empty day in the middle is there with zeros.
        JsonNode byDay = node.get("/api/v1/links/" + code + "/stats?from=" + d0 + "&to=" + d2 + "&interval=day")
                .json();
        assertThat(series(byDay)).containsExactly(d0 + "T00:00:00Z=5/1", d1 + "T00:00:00Z=1/0");
        assertThat(byDay.path("totals").path("human").asLong()).isEqualTo(6);
        assertThat(values(byDay.path("top").path("browsers"))).containsExactly("Chrome=3", "Mobile Safari=3",
                "Googlebot=1");
        JsonNode gap = node.get("/api/v1/links/" + code + "/stats?from=" + Instant.ofEpochMilli((day - 3) * dayMs)
                + "&to=" + d2 + "&interval=day").json();
        assertThat(series(gap)).hasSize(5).startsWith(
                Instant.ofEpochMilli((day - 3) * dayMs) + "=0/0").endsWith(d1 + "T00:00:00Z=1/0");

        // A range inside hours widens to whole hours; top=1 keeps the first of each list.
        JsonNode narrow = node.get("/api/v1/links/" + code + "/stats?from=" + d0 + "T01:20:00Z&to=" + d0
                + "T02:10:00Z&interval=hour&top=1").json();
        assertThat(series(narrow)).containsExactly(d0 + "T01:00:00Z=2/1", d0 + "T02:00:00Z=0/0");
        assertThat(values(narrow.path("top").path("referrers"))).containsExactly("b.example=3");

        // Defaults: the last 7 days up to now, by day.
        JsonNode recent = node.get("/api/v1/links/" + code + "/stats").json();
        assertThat(recent.path("interval").asText()).isEqualTo("day");
        assertThat(recent.path("series")).hasSize(8);
        assertThat(recent.path("totals").path("human").asLong()).isEqualTo(6);

        node.get("/api/v1/links/nope404/stats").problem(404);
        node.get("/api/v1/links/bad$code/stats").problem(404);
    }

    @Test
    void badStatsParametersAre400ProblemsNamingTheField() {
        TestNode node = start(Map.of("KURZ_STATS_MAX_RANGE", "31d"));
        String code = node.create("""
                {"url": "https://example.com/params"}""");
        String base = "/api/v1/links/" + code + "/stats";
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("?from=2026-01-02&to=2026-01-01", "from");
        cases.put("?from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from");
        cases.put("?interval=week", "interval");
        cases.put("?interval=HOUR", "interval");
        cases.put("?from=yesterday", "from");
        cases.put("?to=2026-13-01", "to");
        cases.put("?from=1969-12-31", "from");
        cases.put("?from=2026-01-01&to=2026-03-01", "to"); // over KURZ_STATS_MAX_RANGE
        cases.put("?top=0", "top");
        cases.put("?top=101", "top");
        cases.put("?top=ten", "top");
        for (var c : cases.entrySet()) {
            JsonNode p = node.get(base + c.getKey()).problem(400);
            assertThat(p.path("type").asText()).as(c.getKey()).isEqualTo("urn:kurz:problem:invalid-field");
            assertThat(p.path("errors").get(0).path("field").asText()).as(c.getKey()).isEqualTo(c.getValue());
        }
        JsonNode two = node.get(base + "?interval=week&from=soon").problem(400);
        assertThat(two.path("errors")).hasSize(2);
        node.get("/api/v1/stats?interval=hour", TestNode.bearer(node.adminKey())).problem(400);
        node.get("/api/v1/stats?from=2026-01-01&to=2026-12-31", TestNode.bearer(node.adminKey())).problem(400);
        // The edge of the allowed range is fine.
        assertThat(node.get(base + "?from=2026-01-01&to=2026-02-01").status()).isEqualTo(200);
        assertThat(node.get(base + "?from=2026-01-01T10:00:00%2B02:00&to=2026-01-02").status()).isEqualTo(200);
        Response post = node.post(base, "{}");
        post.problem(405);
        assertThat(post.header("Allow")).isEqualTo("GET");
    }

    @Test
    void botsAreCountedApartAndTakeNothingFromTheClickBudget() {
        TestNode node = start(Map.of());
        String code = node.create("""
                {"url": "https://example.com/limited", "maxClicks": 2}""");
        for (int i = 0; i < 3; i++) {
            assertThat(click(node, code, GOOGLEBOT, null, null)).isEqualTo(302);
        }
        assertThat(click(node, code, CHROME, null, null)).isEqualTo(302);
        assertThat(click(node, code, CHROME, null, null)).isEqualTo(302);
        assertThat(click(node, code, CHROME, null, null)).isEqualTo(410);
        assertThat(click(node, code, GOOGLEBOT, null, null)).as("no redirect past the limit, bot or not")
                .isEqualTo(410);
        assertThat(node.get("/api/v1/links/" + code).json().path("clicks").asLong()).isEqualTo(2);
        node.flushClicks();
        assertThat(node.get("/api/v1/links/" + code).json().path("clicks").asLong()).isEqualTo(2);
        JsonNode stats = node.get("/api/v1/links/" + code + "/stats").json();
        assertThat(stats.path("totals").path("human").asLong()).isEqualTo(2);
        assertThat(stats.path("totals").path("bot").asLong()).isEqualTo(3);
        assertThat(values(stats.path("top").path("devices"))).containsExactly("bot=3", "desktop=2");
    }

    @Test
    void instanceStatsCountOrphanVisitsAndRankLinks() {
        TestNode node = start(Map.of());
        String busy = node.create("""
                {"url": "https://example.com/busy"}""");
        String quiet = node.create("""
                {"url": "https://example.com/quiet"}""");
        String off = node.create("""
                {"url": "https://example.com/off"}""");
        node.patch("/api/v1/links/" + off, """
                {"disabled": true}""");
        for (int i = 0; i < 3; i++) {
            click(node, busy, CHROME, null, null);
            assertThat(node.get("/wp-login").status()).isEqualTo(404);
        }
        click(node, busy, GOOGLEBOT, null, null);
        click(node, quiet, CHROME, null, null);
        node.get("/old-campaign");
        node.head("/headed-only"); // HEAD is no visit
        node.get("/" + off); // disabled: a known link, not an orphan
        node.flushClicks();

        JsonNode stats = node.get("/api/v1/stats", TestNode.bearer(node.adminKey())).json();
        // Instance-wide figures are for admins only.
        node.get("/api/v1/stats").problem(401);
        node.get("/api/v1/stats", TestNode.bearer(node.key("someone", dev.kurz.auth.Role.USER))).problem(403);
        assertThat(stats.path("interval").asText()).isEqualTo("day");
        JsonNode totals = stats.path("totals");
        assertThat(totals.path("links").asLong()).isEqualTo(3);
        assertThat(totals.path("human").asLong()).isEqualTo(4);
        assertThat(totals.path("bot").asLong()).isEqualTo(1);
        assertThat(totals.path("orphanVisits").asLong()).isEqualTo(4);
        assertThat(stats.path("series")).hasSize(8);
        JsonNode today = stats.path("series").get(7);
        assertThat(today.path("human").asLong()).isEqualTo(4);
        assertThat(today.path("orphanVisits").asLong()).isEqualTo(4);
        List<String> top = new ArrayList<>();
        stats.path("topLinks").forEach(l -> top.add(l.path("code").asText() + "=" + l.path("human").asLong() + "/"
                + l.path("bot").asLong()));
        assertThat(top).containsExactly(busy + "=3/1", quiet + "=1/0");
        List<String> orphans = new ArrayList<>();
        stats.path("topOrphanCodes").forEach(o -> orphans.add(o.path("code").asText() + "=" + o.path("visits").asLong()));
        assertThat(orphans).containsExactly("wp-login=3", "old-campaign=1");
        JsonNode buffer = stats.path("node");
        assertThat(buffer.path("pendingCounters").asInt()).isZero();
        assertThat(buffer.path("droppedClicks").asLong()).isZero();
        assertThat(buffer.path("failedFlushes").asLong()).isZero();
    }

    @Test
    void aCountryIsBelievedOnlyFromATrustedProxy() {
        TestNode trusting = start(Map.of());
        TestNode wary = start(Map.of("KURZ_TRUSTED_PROXIES", "10.0.0.0/8"));
        for (TestNode node : List.of(trusting, wary)) {
            String code = node.create("""
                    {"url": "https://example.com/where"}""");
            click(node, code, CHROME, null, "CH");
            node.flushClicks();
        }
        assertThat(ClickTables.storedDims(trusting).keySet()).filteredOn(k -> k.contains("|country|"))
                .singleElement().asString().endsWith("|country|CH");
        assertThat(ClickTables.storedDims(wary).keySet()).filteredOn(k -> k.contains("|country|")).isEmpty();
    }

    @Test
    void noClientAddressIsStoredAnywhere() throws Exception {
        TestNode node = start(Map.of());
        String code = node.create("""
                {"url": "https://example.com/private"}""");
        for (int i = 0; i < 3; i++) {
            node.get("/" + code, "User-Agent", CHROME, "X-Forwarded-For", "203.0.113.77", "CF-IPCountry", "FR",
                    "Referer", "https://ref.example/");
            node.get("/unknown-" + i, "X-Forwarded-For", "203.0.113.77");
        }
        node.flushClicks();
        assertThat(ClickTables.rows(node, "SELECT count(*) FROM click_days").getFirst().getFirst().toString())
                .isNotEqualTo("0");
        int values = 0;
        try (Connection c = ClickTables.connect(node)) {
            boolean pg = node.env.containsKey("KURZ_DB_URL");
            try (ResultSet tables = c.getMetaData().getTables(null, pg ? "public" : null, "%", new String[] {"TABLE"})) {
                while (tables.next()) {
                    String table = tables.getString("TABLE_NAME");
                    try (var rs = c.createStatement().executeQuery("SELECT * FROM " + table)) {
                        int columns = rs.getMetaData().getColumnCount();
                        while (rs.next()) {
                            for (int i = 1; i <= columns; i++) {
                                String v = String.valueOf(rs.getObject(i));
                                values++;
                                assertThat(v).as("%s column %d", table, i)
                                        .doesNotContain("203.0.113.77").doesNotContain("127.0.0.1");
                            }
                        }
                    }
                }
            }
        }
        assertThat(values).isGreaterThan(20);
    }

    @Test
    void deletingALinkDeletesItsStatistics() {
        TestNode node = start(Map.of());
        String code = node.create("""
                {"url": "https://example.com/short-lived"}""");
        click(node, code, CHROME, "https://a.example/", "DE");
        node.flushClicks();
        assertThat(ClickTables.storedDims(node)).hasSize(5);
        assertThat(node.delete("/api/v1/links/" + code).status()).isEqualTo(204);
        assertThat(node.count("SELECT count(*) FROM click_days")).isZero();
        node.get("/api/v1/links/" + code + "/stats").problem(404);
    }

    @Test
    void clicksStillInMemoryWhenTheirLinkIsDeletedAreDropped() {
        TestNode node = start(Map.of());
        String gone = node.create("""
                {"url": "https://example.com/deleted-before-the-flush"}""");
        String kept = node.create("""
                {"url": "https://example.com/kept"}""");
        click(node, gone, CHROME, "https://a.example/", "DE");
        click(node, kept, CHROME, "https://a.example/", "DE");
        assertThat(node.delete("/api/v1/links/" + gone).status()).isEqualTo(204);
        node.flushClicks();
        assertThat(node.count("SELECT count(*) FROM click_days")).as("only the kept link's day").isEqualTo(1);
        assertThat(ClickTables.storedDims(node)).hasSize(5).allSatisfy((k, n) -> assertThat(k).startsWith(kept + "|"));
        assertThat(node.count("SELECT count(*) FROM click_days c LEFT JOIN links l ON l.id = c.link_id "
                + "WHERE l.id IS NULL")).isZero();
        assertThat(node.count("SELECT clicks FROM links")).isEqualTo(1);
    }

    private static int click(TestNode node, String code, String ua, String referer, String country) {
        var headers = new ArrayList<String>(List.of("User-Agent", ua));
        if (referer != null) {
            headers.addAll(List.of("Referer", referer));
        }
        if (country != null) {
            headers.addAll(List.of("CF-IPCountry", country));
        }
        return node.get("/" + code, headers.toArray(String[]::new)).status();
    }

    /** The series as "t=human/bot". */
    private static List<String> series(JsonNode stats) {
        List<String> out = new ArrayList<>();
        stats.path("series").forEach(p -> out.add(p.path("t").asText() + "=" + p.path("human").asLong() + "/"
                + p.path("bot").asLong()));
        return out;
    }

    /** A top list as "value=clicks". */
    private static List<String> values(JsonNode list) {
        List<String> out = new ArrayList<>();
        list.forEach(v -> out.add(v.path("value").asText() + "=" + v.path("clicks").asLong()));
        return out;
    }

    /** {@code GET /{code}} answered with a 3xx so far, from the node's own metrics. */
    static long redirectsServed(TestNode node) {
        return node.get("/metrics").body().lines()
                .filter(l -> l.startsWith("kurz_http_requests_seconds_count{") && l.contains("route=\"/{code}\"")
                        && l.contains("method=\"GET\"") && l.contains("status=\"3xx\""))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }
}
