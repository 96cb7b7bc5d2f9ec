package dev.kurz.click;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Reads what the click roll-ups really hold, straight from a node's database. */
final class ClickTables {

    /** The user agents, referrers and countries the load tests mix, with what they count as. */
    record Agent(String header, String browser, String os, String device) {
        boolean bot() {
            return device.equals("bot");
        }
    }

    static final List<Agent> AGENTS = List.of(
            new Agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                    "Chrome", "Windows", "desktop"),
            new Agent("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                    "Mobile Safari", "iOS", "mobile"),
            new Agent("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                    "Mobile Safari", "iOS", "tablet"),
            new Agent("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
                    "Chrome Mobile", "Android", "mobile"),
            new Agent("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                    "Firefox", "Ubuntu", "desktop"),
            new Agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
                    "Safari", "Mac OS X", "desktop"),
            new Agent("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                    "Googlebot", "Other", "bot"),
            new Agent("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
                    "Slackbot-LinkExpanding", "Other", "bot"));

    /** Referer headers (null: none) and the host each counts as. */
    static final List<String[]> REFERRERS = List.of(
            new String[] {null, "direct"},
            new String[] {"https://news.ycombinator.com/item?id=1", "news.ycombinator.com"},
            new String[] {"https://t.co/abc", "t.co"},
            new String[] {"https://WWW.Google.com/", "www.google.com"},
            new String[] {"android-app://com.google.android.gm/", "com.google.android.gm"});

    /** CF-IPCountry headers (null: none) and the country each counts as (null: none). */
    static final List<String[]> COUNTRIES = List.of(
            new String[] {null, null},
            new String[] {"DE", "DE"},
            new String[] {"us", "US"},
            new String[] {"JP", "JP"});

    private ClickTables() {}

    /** Expected counts of a load: per link code, human and bot totals, and (code|dim|value) counts. */
    static final class Expected {
        final Map<String, Long> human = new HashMap<>();
        final Map<String, Long> bot = new HashMap<>();
        final Map<String, Long> dims = new HashMap<>();

        synchronized void click(String code, Agent agent, String referrer, String country) {
            (agent.bot() ? bot : human).merge(code, 1L, Long::sum);
            dims.merge(code + "|referrer|" + referrer, 1L, Long::sum);
            dims.merge(code + "|browser|" + agent.browser(), 1L, Long::sum);
            dims.merge(code + "|os|" + agent.os(), 1L, Long::sum);
            dims.merge(code + "|device|" + agent.device(), 1L, Long::sum);
            if (country != null) {
                dims.merge(code + "|country|" + country, 1L, Long::sum);
            }
        }
    }

    /**
     * Sends {@code total} redirects from {@code threads} threads, request i to link i % codes and
     * node i % nodes, with a user agent, referrer and country that vary at other strides (so every
     * link sees every mix, and threads hit the same counters at once). Returns what should count.
     */
    static Expected load(List<TestNode> nodes, List<String> codes, int threads, int total) throws Exception {
        var expected = new Expected();
        int perThread = total / threads;
        assertThat(perThread * threads).isEqualTo(total);
        // Vert.x's client, not the JDK's: the JDK client sends a GET again, silently, when the
        // connection it was sent on closes before the answer arrives, and the node then counts a
        // click this test did not send (seen twice in full-suite runs: the node answered 50,002
        // redirects). This one fails the request instead, so such a close shows as what it is.
        Vertx vertx = Vertx.vertx();
        HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(threads));
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            var done = new ArrayList<Future<?>>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int j = 0; j < perThread; j++) {
                        int i = thread * perThread + j;
                        String code = codes.get(i % codes.size());
                        Agent agent = AGENTS.get((i / 7) % AGENTS.size());
                        String[] referrer = REFERRERS.get((i / 3) % REFERRERS.size());
                        String[] country = COUNTRIES.get((i / 11) % COUNTRIES.size());
                        var request = new RequestOptions().setAbsoluteURI(nodes.get(i % nodes.size()).base + "/" + code)
                                .putHeader("User-Agent", agent.header());
                        if (referrer[0] != null) {
                            request.putHeader("Referer", referrer[0]);
                        }
                        if (country[0] != null) {
                            request.putHeader("CF-IPCountry", country[0]);
                        }
                        int status = client.request(request)
                                .compose(HttpClientRequest::send)
                                .compose(response -> response.end().map(ended -> response.statusCode()))
                                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
                        assertThat(status).as("request %d", i).isEqualTo(302);
                        expected.click(code, agent, referrer[1], country[1]);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        return expected;
    }

    /** Every row of {@code sql}, each column as an Object. */
    static List<List<Object>> rows(TestNode node, String sql) {
        try (Connection c = connect(node); var rs = c.createStatement().executeQuery(sql)) {
            var out = new ArrayList<List<Object>>();
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                var row = new ArrayList<Object>(columns);
                for (int i = 1; i <= columns; i++) {
                    row.add(rs.getObject(i));
                }
                out.add(row);
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** (code|dim|value) to clicks, summed over days, as stored. */
    static Map<String, Long> storedDims(TestNode node) {
        Map<String, Long> out = new HashMap<>();
        for (List<Object> r : rows(node, "SELECT l.code, d.dims FROM click_days d JOIN links l ON l.id = d.link_id")) {
            LinkDay day = LinkDay.parse("{}", (String) r.get(1));
            for (Dimension dim : Dimension.values()) {
                day.values(dim).forEach((value, n) -> out.merge(r.get(0) + "|" + dim.column() + "|" + value, n[0], Long::sum));
            }
        }
        return out;
    }

    /**
     * code to {links.clicks, human clicks, bot clicks} as stored, the last two summed from the
     * hours of the link's day rows (whose own totals must agree with them).
     */
    static Map<String, long[]> storedTotals(TestNode node) {
        Map<String, long[]> out = new HashMap<>();
        for (List<Object> r : rows(node, "SELECT l.code, l.clicks, d.clicks, d.bots, d.hours "
                + "FROM links l LEFT JOIN click_days d ON d.link_id = l.id")) {
            long[] t = out.computeIfAbsent((String) r.get(0), c -> new long[] {((Number) r.get(1)).longValue(), 0, 0});
            if (r.get(4) != null) {
                LinkDay day = LinkDay.parse((String) r.get(4), "{}");
                assertThat(new long[] {day.clicks(), day.bots()}).as("totals of a day row of " + r.get(0))
                        .containsExactly(((Number) r.get(2)).longValue(), ((Number) r.get(3)).longValue());
                t[1] += day.clicks();
                t[2] += day.bots();
            }
        }
        return out;
    }

    static Connection connect(TestNode node) throws SQLException {
        String pg = node.env.get("KURZ_DB_URL");
        return pg != null ? DriverManager.getConnection(pg, node.env.get("KURZ_DB_USER"), "")
                : DriverManager.getConnection("jdbc:sqlite:" + node.dataDir.resolve("kurz.db"));
    }
}
