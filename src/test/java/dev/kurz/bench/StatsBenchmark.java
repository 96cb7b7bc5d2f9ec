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
 * <p>Seeds an embedded PostgreSQL with the target link (8,760 hourly rows, 365 days of dimension
 * rows: 30 referrers, 10 browsers, 8 OS, 4 devices, 40 countries a day) among 100 other links with
 * as much history each (876,000 more hourly rows), so the indexes are not trivially small. Then
 * times the statistics API over HTTP on a real node, a warm-up first, and prints p50/p99.
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
            String code = node.create("""
                    {"url": "https://example.com/a-year-of-clicks"}""");
            long lastHour = node.clock.millis() / 3_600_000 - 1;
            long firstHour = lastHour - 8_760 + 1;
            long seedStart = System.nanoTime();
            try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
                seed(c, code, firstHour, lastHour);
            }
            System.out.printf("seeded in %.1f s%n", (System.nanoTime() - seedStart) / 1e9);

            String from = Instant.ofEpochMilli(firstHour * 3_600_000).toString();
            String to = Instant.ofEpochMilli((lastHour + 1) * 3_600_000).toString();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String base = node.base + "/api/v1/links/" + code + "/stats?from=" + from + "&to=" + to;

            System.out.println();
            System.out.println("| query | answer | p50 | p99 | mean | max |");
            System.out.println("|---|---|---|---|---|---|");
            time("a year by hour (8,760 points)", () -> get(http, base + "&interval=hour"));
            time("a year by day (365 points)", () -> get(http, base + "&interval=day"));
            time("last 7 days by hour (default tops)", () -> get(http, node.base + "/api/v1/links/" + code
                    + "/stats?interval=hour"));
            time("instance, a year by day", () -> get(http, node.base + "/api/v1/stats?from=" + from + "&to=" + to));
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        System.exit(0); // the embedded PostgreSQL's threads are not daemons
    }

    private static void seed(Connection c, String code, long firstHour, long lastHour) throws SQLException {
        long firstDay = firstHour / 24;
        long lastDay = lastHour / 24;
        try (var s = c.createStatement()) {
            s.execute("INSERT INTO links (code, url, created_at, updated_at) SELECT 'other' || g, "
                    + "'https://example.com/other/' || g, 0, 0 FROM generate_series(1, " + OTHER_LINKS + ") g");
            // Every link, the target included, gets one row per hour of the year.
            s.execute("INSERT INTO click_counts (link_id, hour, clicks, bots) SELECT l.id, h, 1 + (h * 7 + l.id) % 40, "
                    + "(h + l.id) % 3 FROM links l CROSS JOIN generate_series(" + firstHour + ", " + lastHour + ") h");
            String values = "SELECT 'referrer' AS dim, 'site' || i || '.example' AS value FROM generate_series(1, 30) i "
                    + "UNION ALL SELECT 'browser', 'Browser ' || i FROM generate_series(1, 10) i "
                    + "UNION ALL SELECT 'os', 'OS ' || i FROM generate_series(1, 8) i "
                    + "UNION ALL SELECT 'device', d FROM unnest(ARRAY['desktop', 'mobile', 'tablet', 'bot']) d "
                    + "UNION ALL SELECT 'country', chr(65 + i / 26) || chr(65 + i % 26) FROM generate_series(0, 39) i";
            s.execute("INSERT INTO click_dims (link_id, day, dim, value, clicks) SELECT l.id, d, v.dim, v.value, "
                    + "1 + (d * 13 + length(v.value) * 7 + l.id) % 500 FROM links l CROSS JOIN generate_series("
                    + firstDay + ", " + lastDay + ") d CROSS JOIN (" + values + ") v WHERE l.code = '" + code
                    + "' OR l.id % 10 = 0");
            s.execute("ANALYZE");
            try (var rs = s.executeQuery("SELECT (SELECT count(*) FROM click_counts c JOIN links l ON l.id = c.link_id "
                    + "WHERE l.code = '" + code + "'), (SELECT count(*) FROM click_counts), (SELECT count(*) FROM click_dims)")) {
                rs.next();
                System.out.printf("target link: %d hourly rows; all links: %d hourly rows, %d dimension rows%n",
                        rs.getLong(1), rs.getLong(2), rs.getLong(3));
            }
        }
    }

    private static int get(HttpClient http, String url) throws Exception {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + new String(r.body()));
        }
        return r.body().length;
    }

    private static void time(String name, Callable<Integer> query) throws Exception {
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
        System.out.printf("| %s | %,d bytes | %.1f ms | %.1f ms | %.1f ms | %.1f ms |%n", name, bytes,
                ms(nanos[RUNS / 2]), ms(nanos[(int) Math.ceil(RUNS * 0.99) - 1]), mean / 1e6, ms(nanos[RUNS - 1]));
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
