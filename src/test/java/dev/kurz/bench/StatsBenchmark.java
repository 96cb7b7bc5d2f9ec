package dev.kurz.bench;

import dev.kurz.support.Backends;
import dev.kurz.support.TestNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * How long a stats query takes for a link with one year of hourly rows, on PostgreSQL (issue 4:
 * "under 50 ms"). Run with {@code bench/stats}; the figures go to docs/BENCHMARKS.md.
 *
 * <p>Two links with a year of history each (8,760 hourly rows, and 365 days of dimension rows: 30
 * referrers, 10 browsers, 8 OS, 4 devices, 40 countries a day):
 * <ul>
 *   <li>{@code solo}: its rows written in one go, so they sit together on disk (the case);</li>
 *   <li>{@code busy}: its rows written hour by hour among 100 other links with as much history, as
 *       the flusher writes them on a busy instance, so each hour of it is on another page (the
 *       realistic worst case for PostgreSQL's heap: 885,000 hourly rows in all).</li>
 * </ul>
 * Then times the statistics API over HTTP on a real node, a warm-up first, and prints p50/p99.
 * Not a test: nothing here asserts a duration.
 */
public final class StatsBenchmark {

    private static final int WARMUP = 50;
    private static final int RUNS = 200;
    private static final int OTHER_LINKS = 100;

    public static void main(String[] args) throws Exception {
        String url = Backends.freshDatabase(Backends.postgres());
        Path dir = Files.createTempDirectory("kurz-bench");
        try (TestNode node = TestNode.start(dir, Map.of("KURZ_DB_URL", url, "KURZ_DB_USER", "postgres"))) {
            String solo = node.create("""
                    {"url": "https://example.com/solo", "alias": "solo"}""");
            String busy = node.create("""
                    {"url": "https://example.com/busy", "alias": "busy"}""");
            long lastHour = node.clock.millis() / 3_600_000 - 1;
            long firstHour = lastHour - 8_760 + 1;
            long seedStart = System.nanoTime();
            try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
                seed(c, solo, busy, firstHour, lastHour);
            }
            System.out.printf("seeded in %.1f s%n", (System.nanoTime() - seedStart) / 1e9);

            String from = Instant.ofEpochMilli(firstHour * 3_600_000).toString();
            String to = Instant.ofEpochMilli((lastHour + 1) * 3_600_000).toString();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            bearer = "Bearer " + node.adminKey(); // the instance statistics are an admin's
            System.out.println();
            System.out.println("| link | query | answer | p50 | p99 | mean | max |");
            System.out.println("|---|---|---|---|---|---|---|");
            for (String code : new String[] {solo, busy}) {
                String year = node.base + "/api/v1/links/" + code + "/stats?from=" + from + "&to=" + to;
                time(code, "a year by hour (8,760 points)", () -> get(http, year + "&interval=hour"));
                time(code, "a year by day (365 points)", () -> get(http, year + "&interval=day"));
                time(code, "the last 7 days by hour", () -> get(http, node.base + "/api/v1/links/" + code
                        + "/stats?interval=hour"));
            }
            time("all", "instance, a year by day", () -> get(http, node.base + "/api/v1/stats?from=" + from
                    + "&to=" + to));
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        System.exit(0); // the embedded PostgreSQL's threads are not daemons
    }

    private static void seed(Connection c, String solo, String busy, long firstHour, long lastHour)
            throws SQLException, java.io.IOException {
        long firstDay = firstHour / 24;
        long lastDay = lastHour / 24;
        String values = "SELECT 'referrer' AS dim, 'site' || i || '.example' AS value FROM generate_series(1, 30) i "
                + "UNION ALL SELECT 'browser', 'Browser ' || i FROM generate_series(1, 10) i "
                + "UNION ALL SELECT 'os', 'OS ' || i FROM generate_series(1, 8) i "
                + "UNION ALL SELECT 'device', d FROM unnest(ARRAY['desktop', 'mobile', 'tablet', 'bot']) d "
                + "UNION ALL SELECT 'country', chr(65 + i / 26) || chr(65 + i % 26) FROM generate_series(0, 39) i";
        try (var s = c.createStatement()) {
            // Seeded in the shape of the tables before V7 (a row per hour, a row per dimension
            // value), then turned into click_days rows by V7's own query.
            s.execute("CREATE TEMP TABLE click_counts (link_id BIGINT, hour BIGINT, clicks BIGINT, bots BIGINT)");
            s.execute("CREATE TEMP TABLE click_dims (link_id BIGINT, day BIGINT, dim TEXT, value TEXT, clicks BIGINT)");
            // solo: all its rows in one statement, so they are stored side by side.
            s.execute("INSERT INTO click_counts (link_id, hour, clicks, bots) SELECT l.id, h, 1 + (h * 7) % 40, h % 3 "
                    + "FROM links l CROSS JOIN generate_series(" + firstHour + ", " + lastHour + ") h "
                    + "WHERE l.code = '" + solo + "' ORDER BY h");
            s.execute("INSERT INTO click_dims (link_id, day, dim, value, clicks) SELECT l.id, d, v.dim, v.value, "
                    + "1 + (d * 13 + length(v.value) * 7) % 500 FROM links l CROSS JOIN generate_series(" + firstDay
                    + ", " + lastDay + ") d CROSS JOIN (" + values + ") v WHERE l.code = '" + solo + "' ORDER BY d");
            s.execute("INSERT INTO links (code, url, created_at, updated_at) SELECT 'other' || g, "
                    + "'https://example.com/other/' || g, 0, 0 FROM generate_series(1, " + OTHER_LINKS + ") g");
            // busy and the others: hour by hour, every link's row of an hour next to the others'.
            s.execute("INSERT INTO click_counts (link_id, hour, clicks, bots) SELECT l.id, h, 1 + (h * 7 + l.id) % 40, "
                    + "(h + l.id) % 3 FROM generate_series(" + firstHour + ", " + lastHour + ") h CROSS JOIN links l "
                    + "WHERE l.code <> '" + solo + "' ORDER BY h, l.id");
            s.execute("INSERT INTO click_dims (link_id, day, dim, value, clicks) SELECT l.id, d, v.dim, v.value, "
                    + "1 + (d * 13 + length(v.value) * 7 + l.id) % 500 FROM generate_series(" + firstDay + ", "
                    + lastDay + ") d CROSS JOIN links l CROSS JOIN (" + values + ") v WHERE l.code = '" + busy
                    + "' OR (l.code <> '" + solo + "' AND l.id % 10 = 0) ORDER BY d, l.id");
            try (var rs = s.executeQuery("SELECT (SELECT count(*) FROM click_counts), (SELECT count(*) FROM click_dims)")) {
                rs.next();
                System.out.printf("all links: %d hours and %d dimension values%n", rs.getLong(1), rs.getLong(2));
            }
            // solo's days side by side; everyone else's day by day, as folds write them.
            s.execute("CREATE TEMP TABLE seed AS " + v7Select());
            s.execute("INSERT INTO click_days SELECT s.* FROM seed s JOIN links l ON l.id = s.link_id "
                    + "WHERE l.code = '" + solo + "' ORDER BY s.day");
            s.execute("INSERT INTO click_days SELECT s.* FROM seed s JOIN links l ON l.id = s.link_id "
                    + "WHERE l.code <> '" + solo + "' ORDER BY s.day, s.link_id");
            s.execute("VACUUM ANALYZE");
            try (var rs = s.executeQuery("SELECT l.code, count(*), sum(length(d.hours) + length(d.dims)) FROM click_days d "
                    + "JOIN links l ON l.id = d.link_id WHERE l.code IN ('" + solo + "', '" + busy + "') "
                    + "GROUP BY l.code ORDER BY l.code")) {
                while (rs.next()) {
                    System.out.printf("%s: %d day rows, %d bytes of JSON%n", rs.getString(1), rs.getLong(2), rs.getLong(3));
                }
            }
            try (var rs = s.executeQuery("SELECT count(*) FROM click_days")) {
                rs.next();
                System.out.printf("all links: %d day rows%n", rs.getLong(1));
            }
        }
    }

    /** The query of the V7 migration that turns the old roll-up rows into click_days rows. */
    private static String v7Select() throws java.io.IOException {
        try (var in = StatsBenchmark.class.getResourceAsStream("/db/migration/postgresql/V7__click_days.sql")) {
            String sql = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            int start = sql.indexOf("SELECT k.link_id");
            return sql.substring(start, sql.indexOf(';', start));
        }
    }

    private static String bearer;

    private static int get(HttpClient http, String url) throws Exception {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                        .header("Authorization", bearer).build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + new String(r.body()));
        }
        return r.body().length;
    }

    private static void time(String link, String name, Callable<Integer> query) throws Exception {
        int bytes = 0;
        for (int i = 0; i < WARMUP; i++) {
            bytes = query.call();
        }
        long[] nanos = new long[RUNS];
        for (int i = 0; i < RUNS; i++) {
            long start = System.nanoTime();
            query.call();
            nanos[i] = System.nanoTime() - start;
        }
        Arrays.sort(nanos);
        double mean = Arrays.stream(nanos).average().orElse(0);
        System.out.printf("| %s | %s | %,d bytes | %.1f ms | %.1f ms | %.1f ms | %.1f ms |%n", link, name, bytes,
                ms(nanos[RUNS / 2]), ms(nanos[(int) Math.ceil(RUNS * 0.99) - 1]), mean / 1e6, ms(nanos[RUNS - 1]));
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
