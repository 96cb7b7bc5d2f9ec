package dev.kurz.click;

import dev.kurz.config.Settings;
import dev.kurz.db.Database;
import dev.kurz.link.NewLink;
import dev.kurz.link.SqlLinkStore;
import dev.kurz.support.Backends;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The click writes {@code redirect-hot} makes: every second 10,000 links clicked since the last
 * flush, each by the same kind of visit, so a batch holds 10,000 hourly rows, 40,000 dimension
 * rows and 10,000 link totals, on a real SQLite file or a real PostgreSQL (the test suite's
 * embedded server). What clicks cost the node, apart from the noise of a whole-node benchmark.
 * <ul>
 *   <li>{@code flush}: a second's batch journaled and folded at once (as with
 *       {@code KURZ_CLICK_FOLD_MS} equal to the flush interval, and as every second before the
 *       journal);</li>
 *   <li>{@code tenSeconds}: ten seconds with the defaults: ten batches journaled, then one fold
 *       that writes each roll-up row once. Divide by ten for the cost per second.</li>
 * </ul>
 *
 * <p>Run with {@code bench/jmh ClickFlush}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(1)
public class ClickFlushBenchmark {

    private static final int LINKS = 10_000;
    private static final String CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
            + "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    @Param({"sqlite", "postgresql"})
    public String backend;

    private Path dir;
    private Database db;
    private ClickFlusher flusher;
    private ClickRecorder recorder;
    private long[] ids;
    private Visit visit;

    @Setup
    public void start() throws Exception {
        dir = Files.createTempDirectory("kurz-jmh");
        Map<String, String> env = new HashMap<>(backend.equals("sqlite") ? Map.of() : Backends.postgresSettings());
        env.put("KURZ_DATA_DIR", dir.toString());
        Settings settings = Settings.from(env);
        Clock clock = Clock.systemUTC();
        db = Database.open(settings);
        var store = new SqlLinkStore(db);
        ids = new long[LINKS];
        for (int i = 0; i < LINKS; i++) {
            ids[i] = store.insert(new NewLink("f" + i, "https://example.com/articles/seed/" + i, null, 0, null,
                    clock.millis(), null, null, 302, null)).orElseThrow().id();
        }
        recorder = new ClickRecorder(clock, settings);
        flusher = ClickFlusher.start(recorder, new SqlClickStore(db), clock, Duration.ofHours(1),
                Duration.ofHours(1)); // only the benchmark's calls flush
        visit = recorder.visit(CHROME, "https://news.ycombinator.com/item?id=1", null);
    }

    @TearDown
    public void stop() throws Exception {
        flusher.close();
        db.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** A click on every link, then the flush that journals and folds them (the clicks cost about 1% of it). */
    @Benchmark
    public long flush() {
        clickEveryLink();
        flusher.flushNow();
        return recorder.pending();
    }

    /** Ten times a click on every link and a journaled flush, then one fold. */
    @Benchmark
    public long tenSeconds() {
        for (int second = 0; second < 10; second++) {
            clickEveryLink();
            flusher.tick();
        }
        flusher.flushNow();
        return recorder.pending();
    }

    private void clickEveryLink() {
        for (long id : ids) {
            recorder.record(id, visit);
        }
    }
}
