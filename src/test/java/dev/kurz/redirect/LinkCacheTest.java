package dev.kurz.redirect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.click.ClickRecorder;
import dev.kurz.config.Settings;
import dev.kurz.db.Database;
import dev.kurz.link.NewLink;
import dev.kurz.link.SqlLinkStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The L1 cache's loads in flight, on a real SQLite file. Loads run on an executor the test
 * drives by hand, so it can act while a load is pending.
 */
class LinkCacheTest {

    @TempDir
    Path dir;
    Database db;
    SqlLinkStore store;
    ClickRecorder recorder;
    LinkCache cache;
    final ArrayDeque<Runnable> loads = new ArrayDeque<>();

    @BeforeEach
    void open() {
        Settings settings = Settings.from(Map.of("KURZ_DATA_DIR", dir.toString()));
        db = Database.open(settings);
        store = new SqlLinkStore(db);
        recorder = new ClickRecorder(Clock.systemUTC(), settings);
        cache = new LinkCache(store, recorder, L2Cache.NONE, loads::add, settings);
        store.insert(new NewLink("abc1234", "https://example.com/a", null, 0, null, 1, null, null, 302, null)).orElseThrow();
    }

    @AfterEach
    void close() {
        db.close(); // closing twice is harmless
    }

    @Test
    void concurrentMissesShareOneLoadAndItsResultIsCached() {
        CompletableFuture<CachedLink> first = cache.lookup("abc1234");
        CompletableFuture<CachedLink> second = cache.lookup("abc1234");
        assertThat(second).isSameAs(first);
        assertThat(loads).hasSize(1);
        assertThat(cache.peek(CodeKeys.of("abc1234"))).isNull();

        loads.poll().run();

        assertThat(first.join().url()).isEqualTo("https://example.com/a");
        assertThat(cache.peek(CodeKeys.of("abc1234"))).isSameAs(first.join());
    }

    @Test
    void aLoadThatAChangeOvertookIsAnsweredButNeverCached() {
        CompletableFuture<CachedLink> pending = cache.lookup("abc1234");
        cache.changed("abc1234"); // a write committed while the load was in flight

        CompletableFuture<CachedLink> next = cache.lookup("abc1234");
        assertThat(next).as("a new load, not the overtaken one").isNotSameAs(pending);
        loads.poll().run();

        assertThat(pending.join().exists()).isTrue(); // its requests still get an answer
        assertThat(cache.peek(CodeKeys.of("abc1234"))).as("the overtaken load is not published").isNull();
        loads.poll().run();
        assertThat(cache.peek(CodeKeys.of("abc1234"))).isSameAs(next.join());
    }

    @Test
    void aFailedLoadIsForgottenSoTheNextMissTriesAgain() {
        CompletableFuture<CachedLink> failing = cache.lookup("abc1234");
        db.close(); // the database goes away under the load
        loads.poll().run();
        assertThat(failing).isCompletedExceptionally();
        assertThat(cache.peek(CodeKeys.of("abc1234"))).isNull();

        CompletableFuture<CachedLink> retry = cache.lookup("abc1234");
        assertThat(retry).isNotSameAs(failing);
        assertThat(loads).as("a new load was started").hasSize(1);
    }

    @Test
    void aClickTakenOnAnEntryAfterItsSuccessorReadTheCountStillCounts() {
        long id = store.insert(new NewLink("lim1234", "https://example.com/l", null, 0, null, 1, null, 2L, 302, null))
                .orElseThrow().id();
        CompletableFuture<CachedLink> first = cache.lookup("lim1234");
        loads.poll().run();
        CachedLink held = first.join(); // a request got this entry just before it expired

        cache.evict("lim1234"); // it expires (or is evicted) and the next request loads it again
        CompletableFuture<CachedLink> second = cache.lookup("lim1234");
        loads.poll().run(); // reads 0 clicks: the request has not taken its click yet

        assertThat(held.tryClick()).isTrue(); // now it does, on the entry it holds
        recorder.record(id, recorder.visit("Mozilla/5.0", null, null));

        CachedLink successor = second.join();
        assertThat(successor).isNotSameAs(held);
        assertThat(successor.tryClick()).isTrue();
        assertThat(successor.tryClick()).as("the limit of 2 is used up").isFalse();
        assertThat(held.exhausted()).isTrue();
    }
}
