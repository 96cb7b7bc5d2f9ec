package dev.kurz.click;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.config.Settings;
import dev.kurz.db.Database;
import dev.kurz.support.Backends;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * V7 turns the statistics of an existing database (a row per link and hour in click_counts, a
 * row per link, day and dimension value in click_dims) into click_days rows, on a real SQLite file
 * and a real PostgreSQL: every figure the statistics showed before, they show after.
 */
class ClickDaysMigrationTest {

    @TempDir
    Path dir;

    private static final long DAY = 20_400; // epoch days
    private static final long HOUR = DAY * 24;

    /** A node's settings on a fresh SQLite file or a fresh PostgreSQL database. */
    private Map<String, String> settings(String backend) {
        var vars = new HashMap<String, String>(Map.of("KURZ_BASE_URL", "http://kurz.test", "KURZ_DATA_DIR", dir.toString()));
        if (backend.equals("postgresql")) {
            vars.putAll(Backends.postgresSettings());
        }
        return vars;
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void theStatisticsOfV6ReadTheSameFromClickDays(String backend) throws SQLException {
        var vars = settings(backend);
        String url = vars.getOrDefault("KURZ_DB_URL", "jdbc:sqlite:" + dir.resolve("kurz.db"));
        String user = vars.getOrDefault("KURZ_DB_USER", "");
        Flyway.configure().dataSource(url, user, "").locations("classpath:db/migration/" + backend)
                .target("6").load().migrate();
        try (var c = DriverManager.getConnection(url, user, ""); var s = c.createStatement()) {
            s.execute("INSERT INTO links (code, url, created_at, updated_at, clicks) VALUES "
                    + "('a', 'https://example.com/a', 0, 0, 8), ('b', 'https://example.com/b', 0, 0, 1)");
            // Link 1: two hours on one day (one with bots), one hour the next day; link 2: values
            // only (its hours were purged at an hour's granularity, the day's values not yet).
            s.execute("INSERT INTO click_counts (link_id, hour, clicks, bots) VALUES "
                    + "(1, " + (HOUR + 3) + ", 4, 0), (1, " + (HOUR + 23) + ", 2, 5), (1, " + (HOUR + 24) + ", 2, 0)");
            s.execute("INSERT INTO click_dims (link_id, day, dim, value, clicks) VALUES "
                    + "(1, " + DAY + ", 'referrer', 'direct', 7), (1, " + DAY + ", 'referrer', 'x.example', 4), "
                    + "(1, " + DAY + ", 'device', 'bot', 5), (1, " + DAY + ", 'browser', 'Grüne \"Suite\"', 6), "
                    + "(1, " + (DAY + 1) + ", 'referrer', 'direct', 2), (2, " + DAY + ", 'country', 'CH', 1)");
        }

        try (var db = Database.open(Settings.from(vars))) { // migrates to the latest version
            var store = new SqlClickStore(db);
            assertThat(store.hourly(1, HOUR, HOUR + 48)).containsExactly(
                    new HourlyClicks(1, HOUR + 3, 4, 0), new HourlyClicks(1, HOUR + 23, 2, 5),
                    new HourlyClicks(1, HOUR + 24, 2, 0));
            assertThat(store.hourly(1, HOUR + 4, HOUR + 24)).as("a range inside the day")
                    .containsExactly(new HourlyClicks(1, HOUR + 23, 2, 5));
            assertThat(store.topValues(1, DAY, DAY + 2, 10)).containsExactly(
                    new ClickStore.DimCount(Dimension.REFERRER, "direct", 9),
                    new ClickStore.DimCount(Dimension.REFERRER, "x.example", 4),
                    new ClickStore.DimCount(Dimension.BROWSER, "Grüne \"Suite\"", 6),
                    new ClickStore.DimCount(Dimension.DEVICE, "bot", 5));
            assertThat(store.topValues(2, DAY, DAY + 1, 10))
                    .containsExactly(new ClickStore.DimCount(Dimension.COUNTRY, "CH", 1));
            assertThat(store.hourly(2, HOUR, HOUR + 24)).isEmpty();
            assertThat(store.dailyTotals(DAY, DAY + 2)).containsExactly(
                    new ClickStore.DayClicks(DAY, 6, 5), new ClickStore.DayClicks(DAY + 1, 2, 0));
            assertThat(store.topLinks(DAY, DAY + 2, 10)).containsExactly(
                    new ClickStore.LinkClicks("a", 8, 5), new ClickStore.LinkClicks("b", 0, 0));
        }
        try (var c = DriverManager.getConnection(url, user, "");
                var rs = c.getMetaData().getTables(null, null, "click_%", null)) {
            var tables = new java.util.ArrayList<String>();
            while (rs.next()) {
                tables.add(rs.getString("TABLE_NAME").toLowerCase(java.util.Locale.ROOT));
            }
            assertThat(tables).as("the old tables are gone").doesNotContain("click_counts", "click_dims");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aFoldAddsToTheDayRowsAMigrationWrote(String backend) {
        try (var db = Database.open(Settings.from(settings(backend)))) {
            var store = new SqlClickStore(db);
            try (var c = db.writer().getConnection(); var s = c.createStatement()) {
                s.execute("INSERT INTO links (code, url, created_at, updated_at) VALUES ('a', 'https://example.com/a', 0, 0)");
                s.execute("INSERT INTO click_days (link_id, day, clicks, bots, hours, dims) VALUES (1, " + DAY
                        + ", 3, 0, '{ \"5\" : [3, 0] }', '{ \"referrer\" : { \"direct\" : 3 } }')"); // PostgreSQL's spacing
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            var batch = new ClickBatch("n", 1, 0, List.of(new HourlyClicks(1, HOUR + 5, 2, 1)),
                    List.of(new DimClicks(1, DAY, Dimension.REFERRER, "direct", 2),
                            new DimClicks(1, DAY, Dimension.REFERRER, "y.example", 1)),
                    List.of(), Map.of(1L, 2L));
            assertThat(store.journal(batch)).isTrue();
            assertThat(store.fold("n", 1, 0, 1_000).batches()).isEqualTo(1);
            assertThat(store.hourly(1, HOUR, HOUR + 24)).containsExactly(new HourlyClicks(1, HOUR + 5, 5, 1));
            assertThat(store.topValues(1, DAY, DAY + 1, 10)).containsExactly(
                    new ClickStore.DimCount(Dimension.REFERRER, "direct", 5),
                    new ClickStore.DimCount(Dimension.REFERRER, "y.example", 1));
            assertThat(store.dailyTotals(DAY, DAY + 1)).containsExactly(new ClickStore.DayClicks(DAY, 5, 1));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aDayRowSomebodyEditedIsLeftAloneAndDoesNotStopTheFold(String backend) throws SQLException {
        try (var db = Database.open(Settings.from(settings(backend)))) {
            var store = new SqlClickStore(db);
            try (var c = db.writer().getConnection(); var s = c.createStatement()) {
                s.execute("INSERT INTO links (code, url, created_at, updated_at) VALUES "
                        + "('a', 'https://example.com/a', 0, 0), ('b', 'https://example.com/b', 0, 0)");
                s.execute("INSERT INTO click_days (link_id, day, clicks, bots, hours, dims) VALUES (2, " + DAY
                        + ", 3, 0, 'three clicks at noon', '{}')");
            }
            var batch = new ClickBatch("n", 1, 0,
                    List.of(new HourlyClicks(1, HOUR + 5, 2, 0), new HourlyClicks(2, HOUR + 12, 4, 0)),
                    List.of(new DimClicks(1, DAY, Dimension.OS, "iOS", 2), new DimClicks(2, DAY, Dimension.OS, "iOS", 4)),
                    List.of(), Map.of(1L, 2L, 2L, 4L));
            assertThat(store.journal(batch)).isTrue();
            assertThat(store.fold("n", 1, 0, 1_000).batches()).as("folded all the same").isEqualTo(1);
            assertThat(store.hourly(1, HOUR, HOUR + 24)).containsExactly(new HourlyClicks(1, HOUR + 5, 2, 0));
            try (var c = db.reader().getConnection(); var s = c.createStatement();
                    var rs = s.executeQuery("SELECT l.clicks, d.clicks, d.hours FROM links l JOIN click_days d "
                            + "ON d.link_id = l.id WHERE l.id = 2")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong(1)).as("the link's total counts them").isEqualTo(4);
                assertThat(rs.getLong(2)).isEqualTo(3);
                assertThat(rs.getString(3)).as("the edited row is left as it is").isEqualTo("three clicks at noon");
            }
        }
    }
}
