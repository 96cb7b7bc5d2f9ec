package dev.kurz.redirect;

import dev.kurz.auth.PasswordHasher;
import dev.kurz.auth.RateLimits;
import dev.kurz.click.ClickRecorder;
import dev.kurz.click.Clicks;
import dev.kurz.click.Visit;
import dev.kurz.config.Settings;
import dev.kurz.db.Database;
import dev.kurz.http.Blocking;
import dev.kurz.link.CodeMinter;
import dev.kurz.link.LinkService;
import dev.kurz.link.NewLink;
import dev.kurz.link.SqlLinkStore;
import dev.kurz.link.UrlPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The redirect handler's in-memory path on a cache hit, without the HTTP objects: the cache key
 * read from the path, the L1 lookup, the visit read from the headers (user agent, referrer),
 * {@link RedirectHandler#decide} with the click counted. What a request costs kurz on top of
 * Vert.x and Netty. 10,000 links on a real SQLite file, all in L1, a different one each call.
 *
 * <p>Run with {@code bench/jmh} (add {@code -prof gc} for bytes allocated per redirect).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RedirectPathBenchmark {

    private static final int LINKS = 10_000;
    private static final String CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
            + "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    private Path dir;
    private Database db;
    private LinkCache cache;
    private Clicks wiredClicks;
    private ClickRecorder clicks;
    private RedirectHandler handler;
    private String[] paths;
    private final Clock clock = Clock.systemUTC();

    @State(Scope.Thread)
    public static class Cursor {
        int next;
    }

    @Setup(Level.Trial)
    public void start() throws Exception {
        dir = Files.createTempDirectory("kurz-jmh");
        Settings settings = Settings.from(Map.of("KURZ_DATA_DIR", dir.toString()));
        db = Database.open(settings);
        var store = new SqlLinkStore(db);
        var minter = new CodeMinter(store, "benchmark-key-benchmark-key-0123", 1_000);
        wiredClicks = Clicks.wire(settings, db, clock);
        clicks = wiredClicks.recorder();
        var blocking = new Blocking();
        cache = new LinkCache(store, clicks, L2Cache.NONE, blocking.executor(), settings);
        var links = new LinkService(store, minter, UrlPolicy.from(settings, clock), clicks, cache,
                new PasswordHasher(1), true, clock);
        handler = new RedirectHandler(cache, new RateLimits(settings, null, clock), settings.trustedProxies(), clicks,
                links, blocking, clock, settings.baseUrl(), settings.redirectMaxAge());
        paths = new String[LINKS];
        for (int i = 0; i < LINKS; i++) {
            String code = minter.next();
            store.insert(new NewLink(code, "https://example.com/articles/seed/" + i + "?utm_source=bench&utm_medium=jmh",
                    null, 0, null, clock.millis(), null, null, 302, null)).orElseThrow();
            paths[i] = "/" + code;
            cache.lookup(code).join();
        }
        // As on a running node: the flusher has seen this user agent, so it's classified already.
        clicks.record(1, clicks.visit(CHROME, null, null));
        wiredClicks.flushNow();
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        wiredClicks.close();
        db.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** One redirect's in-memory work; returns the status so nothing is optimised away. */
    @Benchmark
    @Threads(1)
    public int hit(Cursor cursor) {
        String path = paths[cursor.next++ % LINKS];
        CachedLink cached = cache.peek(CodeKeys.of(path, 1, path.length()));
        Visit visit = clicks.visit(CHROME, "https://news.ycombinator.com/item?id=1", null);
        return handler.decide(cached, visit, clock.millis());
    }

    /** The same from both cores at once: contention on the cache and the click counters. */
    @Benchmark
    @Threads(2)
    public int hitTwoThreads(Cursor cursor) {
        return hit(cursor);
    }
}
