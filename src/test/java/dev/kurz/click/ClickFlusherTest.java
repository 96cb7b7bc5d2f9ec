package dev.kurz.click;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kurz.config.Settings;
import dev.kurz.db.Database;
import dev.kurz.db.StoreException;
import dev.kurz.support.MutableClock;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The flusher against a real database whose store fails on command: retries journal a batch
 * exactly once, folds put each journaled batch into the roll-ups exactly once (also when a node
 * died and two others fold its rows at once), and the memory bound holds while the database is
 * away. SQLite here; a subclass runs the same on PostgreSQL.
 */
class ClickFlusherTest {

    static final String CHROME =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    private static final String GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock();
    Database db;
    ClickFlusher flusher;

    /** A store that fails the way a database does: before the transaction, or after its commit. */
    static final class FaultyStore implements ClickStore {
        final ClickStore real;
        final AtomicInteger failBefore = new AtomicInteger();
        final AtomicInteger failAfterCommit = new AtomicInteger();
        final AtomicInteger failFold = new AtomicInteger();
        /** Roll-up rows a fold may take on, if lower than the flusher asks (forces folds in several transactions). */
        final AtomicInteger maxRowsPerFold = new AtomicInteger(Integer.MAX_VALUE);
        final AtomicInteger foldTransactions = new AtomicInteger();
        final AtomicInteger applied = new AtomicInteger();
        final AtomicInteger foundInLedger = new AtomicInteger();

        FaultyStore(ClickStore real) {
            this.real = real;
        }

        @Override
        public boolean journal(ClickBatch batch) {
            if (failBefore.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new StoreException(new SQLTransientConnectionException("database unreachable"));
            }
            boolean fresh = real.journal(batch);
            (fresh ? applied : foundInLedger).incrementAndGet();
            if (failAfterCommit.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                // The COMMIT reached the database but its answer never came back.
                throw new StoreException(new SQLException("An I/O error occurred while sending to the backend", "08006"));
            }
            return fresh;
        }

        @Override
        public Folded fold(String node, long upToSeq, long staleBefore, int maxRows) {
            if (failFold.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new StoreException(new SQLTransientConnectionException("database unreachable"));
            }
            Folded folded = real.fold(node, upToSeq, staleBefore, Math.min(maxRows, maxRowsPerFold.get()));
            if (folded.batches() > 0) {
                foldTransactions.incrementAndGet();
            }
            return folded;
        }

        @Override public OptionalLong linkId(String code) { return real.linkId(code); }
        @Override public List<HourlyClicks> hourly(long l, long f, long t) { return real.hourly(l, f, t); }
        @Override public List<DimCount> topValues(long l, long f, long t, int n) { return real.topValues(l, f, t, n); }
        @Override public List<DayClicks> dailyTotals(long f, long t) { return real.dailyTotals(f, t); }
        @Override public List<LinkClicks> topLinks(long f, long t, int n) { return real.topLinks(f, t, n); }
        @Override public List<DayVisits> orphansPerDay(long f, long t) { return real.orphansPerDay(f, t); }
        @Override public List<CodeVisits> topOrphans(long f, long t, int n) { return real.topOrphans(f, t, n); }
        @Override public long linkCount() { return real.linkCount(); }
    }

    /** Settings that select the backend under test. */
    Map<String, String> backend() {
        return Map.of();
    }

    private Map<String, String> base;

    private static final Duration FOLD_EVERY = Duration.ofSeconds(10);

    ClickRecorder start(FaultyStore store, Map<String, String> env) {
        var recorder = new ClickRecorder(clock, Settings.from(base, env));
        flusher = flusher(recorder, store);
        return recorder;
    }

    /** A flusher whose timer never fires in a test: each flushNow or tick is one by hand. */
    private ClickFlusher flusher(ClickRecorder recorder, ClickStore store) {
        return ClickFlusher.start(recorder, store, clock, Duration.ofHours(1), FOLD_EVERY);
    }

    FaultyStore store() {
        var env = new java.util.HashMap<>(backend());
        env.put("KURZ_DATA_DIR", dir.toString());
        base = Map.copyOf(env);
        db = Database.open(Settings.from(base));
        for (int i = 1; i <= 3; i++) {
            sql("INSERT INTO links (code, url, created_at, updated_at) VALUES ('link" + i + "', 'https://example.com/"
                    + i + "', 0, 0)");
        }
        return new FaultyStore(new SqlClickStore(db));
    }

    @AfterEach
    void stop() {
        if (flusher != null) {
            flusher.abandon();
        }
        if (db != null) {
            db.close();
        }
    }

    @Test
    void aBatchWhoseCommitAnswerWasLostIsRetriedButNotAppliedTwice() {
        FaultyStore store = store();
        ClickRecorder recorder = start(store, Map.of());
        click(recorder, 1, 5, CHROME, "a.example");
        click(recorder, 2, 3, GOOGLEBOT, "direct");

        store.failAfterCommit.set(1);
        assertThatThrownBy(flusher::flushNow).isInstanceOf(StoreException.class);
        assertThat(recorder.unflushed.get(1L)).as("not acknowledged, so still counted in memory").isEqualTo(5);
        click(recorder, 1, 2, CHROME, "b.example"); // arrives while the batch waits for its retry

        flusher.flushNow();
        assertThat(store.foundInLedger.get()).as("the retry found its batch committed").isEqualTo(1);
        assertThat(store.applied.get()).as("the first batch once, the later clicks once").isEqualTo(2);
        assertThat(recorder.unflushed.get(1L)).isZero();
        assertThat(count("SELECT clicks FROM links WHERE code = 'link1'")).isEqualTo(7);
        assertThat(count("SELECT sum(clicks) FROM click_days WHERE link_id = 1")).isEqualTo(7);
        assertThat(count("SELECT sum(bots) FROM click_days WHERE link_id = 2")).isEqualTo(3);
        assertThat(count("SELECT clicks FROM links WHERE code = 'link2'")).as("bots are not link clicks").isZero();
        assertThat(dimClicks("WHERE link_id = 1", Dimension.REFERRER, null)).isEqualTo(7);
        assertThat(dimClicks("WHERE link_id = 2", Dimension.DEVICE, "bot"))
                .isEqualTo(3);
        assertThat(count("SELECT count(*) FROM click_batches")).as("one ledger row per node").isEqualTo(1);
    }

    @Test
    void aBatchThatFailedBeforeCommittingIsRetriedUntilItLands() {
        FaultyStore store = store();
        ClickRecorder recorder = start(store, Map.of());
        click(recorder, 3, 4, CHROME, "a.example");
        recorder.recordOrphan("nope");

        store.failBefore.set(3);
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(flusher::flushNow).isInstanceOf(StoreException.class);
            click(recorder, 3, 1, CHROME, "a.example");
        }
        flusher.flushNow();
        assertThat(count("SELECT clicks FROM links WHERE code = 'link3'")).isEqualTo(7);
        assertThat(dimClicks("WHERE link_id = 3", Dimension.BROWSER, "Chrome"))
                .isEqualTo(7);
        assertThat(count("SELECT visits FROM orphan_visits WHERE code = 'nope'")).isEqualTo(1);
        assertThat(recorder.pending()).isZero();
    }

    @Test
    void whileTheDatabaseIsAwayMemoryIsBoundedAndOverflowIsCountedNotLost() {
        FaultyStore store = store();
        ClickRecorder recorder = start(store, Map.of("KURZ_CLICK_MAX_PENDING", "20"));
        store.failBefore.set(Integer.MAX_VALUE);

        click(recorder, 1, 1, CHROME, "r0.example");
        assertThatThrownBy(flusher::flushNow).isInstanceOf(StoreException.class); // its batch is held for retry
        int held = recorder.pending();
        assertThat(held).isPositive();

        for (int i = 0; i < 100; i++) {
            click(recorder, 1, 1, CHROME, "r" + i + ".example"); // 100 distinct counters wanted
        }
        assertThat(recorder.pending()).isEqualTo(20);
        long dropped = recorder.dropped();
        assertThat(dropped).isEqualTo(100 - (20 - held));
        // A click that fits an existing counter still counts.
        click(recorder, 1, 50, CHROME, "r0.example");
        assertThat(recorder.dropped()).isEqualTo(dropped);

        store.failBefore.set(0);
        flusher.flushNow();
        long kept = 1 + 100 - dropped + 50;
        assertThat(count("SELECT clicks FROM links WHERE code = 'link1'")).isEqualTo(kept);
        assertThat(dimClicks("WHERE link_id = 1", Dimension.REFERRER, null)).isEqualTo(kept);
        assertThat(recorder.pending()).isZero();
        click(recorder, 1, 1, CHROME, "fresh.example");
        assertThat(recorder.dropped()).as("room again once flushed").isEqualTo(dropped);
    }

    @Test
    void aScanOfUnknownCodesCannotCrowdOutRealClicks() {
        FaultyStore store = store();
        ClickRecorder recorder = start(store, Map.of("KURZ_CLICK_MAX_PENDING", "100"));
        for (int i = 0; i < 1_000; i++) {
            recorder.recordOrphan("random" + i);
        }
        assertThat(recorder.pending()).isEqualTo(10);
        assertThat(recorder.dropped()).isEqualTo(990);
        for (int i = 0; i < 90; i++) {
            click(recorder, 1, 1, CHROME, "r" + i + ".example");
        }
        assertThat(recorder.dropped()).as("real clicks still have their room").isEqualTo(990);
        flusher.flushNow();
        assertThat(count("SELECT sum(visits) FROM orphan_visits")).isEqualTo(10);
        assertThat(count("SELECT clicks FROM links WHERE code = 'link1'")).isEqualTo(90);
    }

    @Test
    void aTickMakesClicksDurableInTheJournalAndTheFoldPutsThemInTheRollUps() {
        FaultyStore store = store();
        ClickRecorder recorder = start(store, Map.of());
        click(recorder, 1, 5, CHROME, "a.example");
        recorder.recordOrphan("nope");

        flusher.tick();
        assertThat(count("SELECT count(*) FROM click_journal")).as("one row per flush").isEqualTo(1);
        assertThat(recorder.pending()).as("nothing left in memory but the link totals").isZero();
        assertThat(count("SELECT clicks FROM links WHERE code = 'link1'")).isZero();
        assertThat(count("SELECT count(*) FROM click_days")).isZero();
        assertThat(recorder.unflushed.get(1L)).as("the total a reader sees stays exact").isEqualTo(5);

        click(recorder, 1, 2, GOOGLEBOT, "direct");
        flusher.tick();
        assertThat(count("SELECT count(*) FROM click_journal")).isEqualTo(2);

        flusher.flushNow(); // what the fold timer runs
        assertThat(count("SELECT count(*) FROM click_journal")).isZero();
        assertThat(count("SELECT clicks FROM links WHERE code = 'link1'")).isEqualTo(5);
        assertThat(count("SELECT sum(clicks) FROM click_days WHERE link_id = 1")).isEqualTo(5);
        assertThat(count("SELECT sum(bots) FROM click_days WHERE link_id = 1")).isEqualTo(2);
        assertThat(dimClicks("WHERE link_id = 1", Dimension.BROWSER, null)).isEqualTo(7);
        assertThat(count("SELECT visits FROM orphan_visits WHERE code = 'nope'")).isEqualTo(1);
        assertThat(recorder.unflushed.get(1L)).isZero();
        assertThat(flusher.folds()).isEqualTo(1);
    }

    @Test
    void aBigFoldGoesInSeveralTransactionsAndCountsEveryBatchOnce() {
        FaultyStore store = store();
        ClickRecorder recorder = start(store, Map.of());
        store.maxRowsPerFold.set(1); // every batch has more roll-up rows than that: one per transaction
        click(recorder, 1, 5, CHROME, "a.example");
        flusher.tick();
        click(recorder, 2, 3, CHROME, "a.example");
        flusher.tick();
        click(recorder, 1, 2, GOOGLEBOT, "direct");
        recorder.recordOrphan("nope");

        flusher.flushNow(); // journals the third batch, then folds the three
        assertThat(store.foldTransactions.get()).isEqualTo(3);
        assertThat(count("SELECT count(*) FROM click_journal")).isZero();
        assertThat(count("SELECT clicks FROM links WHERE code = 'link1'")).isEqualTo(5);
        assertThat(count("SELECT bots FROM click_days WHERE link_id = 1")).isEqualTo(2);
        assertThat(count("SELECT clicks FROM links WHERE code = 'link2'")).isEqualTo(3);
        assertThat(dimClicks("", Dimension.REFERRER, null)).isEqualTo(10);
        assertThat(count("SELECT visits FROM orphan_visits WHERE code = 'nope'")).isEqualTo(1);
        assertThat(recorder.unflushed.get(1L)).isZero();
        assertThat(recorder.unflushed.get(2L)).isZero();
    }

    @Test
    void aFoldTakesRowsOnlyUpToItsLimitAndSaysWhatIsLeft() {
        FaultyStore store = store();
        ClickRecorder recorder = start(store, Map.of());
        for (int i = 0; i < 3; i++) {
            click(recorder, 1, 1, CHROME, "a.example"); // five roll-up rows a batch, the same five each time
            flusher.tick();
        }
        click(recorder, 2, 1, CHROME, "a.example"); // five more
        flusher.tick();
        String node = flusherNode();

        ClickStore.Folded first = store.real.fold(node, 4, 0, 5);
        assertThat(first).as("the same five rows thrice, then past the limit with the fourth batch")
                .isEqualTo(new ClickStore.Folded(4, 4, false));
        assertThat(count("SELECT clicks FROM links WHERE code = 'link1'")).isEqualTo(3);

        click(recorder, 3, 1, CHROME, "a.example");
        flusher.tick();
        click(recorder, 1, 1, CHROME, "b.example");
        flusher.tick();
        assertThat(store.real.fold(node, 6, 0, 1)).isEqualTo(new ClickStore.Folded(1, 5, true));
        assertThat(store.real.fold(node, 5, 0, 1)).as("only up to the seq asked for")
                .isEqualTo(new ClickStore.Folded(0, 0, false));
        assertThat(store.real.fold(node, 6, 0, 1)).isEqualTo(new ClickStore.Folded(1, 6, false));
    }

    /** The flusher's node name, from its journal rows. */
    private String flusherNode() {
        try (Connection c = connect(); var rs = c.createStatement().executeQuery("SELECT min(node) FROM click_journal")) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aFoldThatFailsChangesNothingAndIsTriedAgainAtTheNextTick() {
        FaultyStore store = store();
        ClickRecorder recorder = start(store, Map.of());
        click(recorder, 2, 4, CHROME, "a.example");

        store.failFold.set(1);
        assertThatThrownBy(flusher::flushNow).isInstanceOf(StoreException.class);
        assertThat(count("SELECT count(*) FROM click_journal")).as("journaled all the same").isEqualTo(1);
        assertThat(count("SELECT clicks FROM links WHERE code = 'link2'")).isZero();
        assertThat(recorder.unflushed.get(2L)).isEqualTo(4);

        flusher.tick(); // a flush tick, not a fold tick: but the failed fold is owed
        assertThat(count("SELECT clicks FROM links WHERE code = 'link2'")).isEqualTo(4);
        assertThat(count("SELECT count(*) FROM click_journal")).isZero();
        assertThat(recorder.unflushed.get(2L)).isZero();
    }

    @Test
    void aDeadNodesJournalIsFoldedByAnotherOnceStaleAndOnlyOnceWhenTwoFoldAtOnce() throws Exception {
        FaultyStore store = store();
        ClickRecorder dead = start(store, Map.of());
        for (int i = 0; i < 20; i++) {
            click(dead, 1 + i % 3, 1 + i, CHROME, "r" + i % 4 + ".example");
            dead.recordOrphan("gone" + i % 5);
            flusher.tick();
        }
        flusher.abandon(); // killed: 20 journaled batches, never folded
        assertThat(count("SELECT count(*) FROM click_journal")).isEqualTo(20);

        var survivors = List.of(flusher(new ClickRecorder(clock, Settings.from(base)), store),
                flusher(new ClickRecorder(clock, Settings.from(base)), store));
        try {
            survivors.getFirst().flushNow();
            assertThat(count("SELECT count(*) FROM click_journal")).as("young rows may be a live node's").isEqualTo(20);

            clock.advance(Duration.ofSeconds(30).plusMillis(1)); // older than three fold intervals
            var folds = survivors.stream().map(f -> CompletableFuture.runAsync(f::flushNow)).toList();
            for (var fold : folds) {
                fold.get(60, TimeUnit.SECONDS);
            }
        } finally {
            survivors.forEach(ClickFlusher::abandon);
        }
        assertThat(count("SELECT count(*) FROM click_journal")).isZero();
        long total = 0;
        for (int i = 0; i < 20; i++) {
            total += 1 + i;
        }
        assertThat(count("SELECT sum(clicks) FROM links")).isEqualTo(total);
        assertThat(count("SELECT sum(clicks) FROM click_days")).isEqualTo(total);
        assertThat(dimClicks("", Dimension.REFERRER, null)).isEqualTo(total);
        assertThat(count("SELECT count(*) FROM click_days")).as("one row per link and day").isEqualTo(3);
        assertThat(dimValues(Dimension.REFERRER)).as("one entry per link and value").isEqualTo(3 * 4);
        assertThat(count("SELECT sum(visits) FROM orphan_visits")).isEqualTo(20);
    }

    void click(ClickRecorder recorder, long linkId, int n, String ua, String referrer) {
        Visit visit = new Visit(UserAgents.isBot(ua), ua, referrer, null);
        for (int i = 0; i < n; i++) {
            recorder.record(linkId, visit);
        }
    }

    private Connection connect() throws SQLException {
        String pg = base.get("KURZ_DB_URL");
        return pg != null ? DriverManager.getConnection(pg, base.get("KURZ_DB_USER"), "")
                : DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("kurz.db"));
    }

    void sql(String statement) {
        try (Connection c = connect()) {
            c.createStatement().execute(statement);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Clicks with {@code value} of {@code dim} (any value if null) in the click_days rows {@code where} picks. */
    long dimClicks(String where, Dimension dim, String value) {
        long sum = 0;
        for (LinkDay day : days(where)) {
            for (var e : day.values(dim).entrySet()) {
                if (value == null || value.equals(e.getKey())) {
                    sum += e.getValue()[0];
                }
            }
        }
        return sum;
    }

    /** Entries of {@code dim} over all click_days rows: one per link, day and value. */
    long dimValues(Dimension dim) {
        return days("").stream().mapToLong(d -> d.values(dim).size()).sum();
    }

    private List<LinkDay> days(String where) {
        try (Connection c = connect(); var rs = c.createStatement().executeQuery("SELECT hours, dims FROM click_days " + where)) {
            var out = new ArrayList<LinkDay>();
            while (rs.next()) {
                out.add(LinkDay.parse(rs.getString(1), rs.getString(2)));
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    long count(String query) {
        try (Connection c = connect(); var rs = c.createStatement().executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
