package dev.kurz.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kurz.config.Settings;
import dev.kurz.db.Database;
import dev.kurz.db.Jdbc;
import dev.kurz.db.StoreException;
import dev.kurz.support.Backends;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * New links are inserted in batches (one multi-row statement per group commit): on a real SQLite
 * file and a real PostgreSQL, each row of a batch gets the answer it would get alone.
 */
class SqlLinkStoreInsertTest {

    @TempDir
    Path dir;

    private Database open(String backend) {
        var vars = new HashMap<String, String>();
        vars.put("KURZ_BASE_URL", "http://kurz.test");
        vars.put("KURZ_DATA_DIR", dir.toString());
        if (backend.equals("postgresql")) {
            vars.putAll(Backends.postgresSettings());
        }
        return Database.open(Settings.from(vars));
    }

    private static NewLink link(String code, String url, String dedupKey) {
        return new NewLink(code, url, dedupKey, 1, null, 1_700_000_000_000L, null, null, 302, null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void eachRowOfABatchGetsTheAnswerItWouldGetAlone(String backend) {
        try (var db = open(backend)) {
            var store = new SqlLinkStore(db);
            assertThat(store.insert(link("taken", "https://example.com/old", null))).isPresent();

            List<Optional<Link>> out = store.insertAll(List.of(
                    link("alias", "https://example.com/first", null),
                    link("d1", "https://example.com/same", "k"),
                    link("alias", "https://example.com/second", null),
                    link("taken", "https://example.com/new", null),
                    link("d2", "https://example.com/same", "k"),
                    link("plain", "https://example.com/plain", null),
                    link("alias", "https://example.com/third", null),
                    new NewLink("full", "https://example.com/full", "f", 9, "A title", 1_700_000_000_123L,
                            1_800_000_000_000L, 5L, 301, "$argon2id$hash")));

            assertThat(out).hasSize(8);
            assertThat(out.get(7)).as("every column of a row is written").get().isEqualTo(new Link(out.get(7).get().id(),
                    "full", "https://example.com/full", "A title", 9, 1_700_000_000_123L, 1_700_000_000_123L,
                    1_800_000_000_000L, 5L, 301, false, true, 0));
            assertThat(out.get(0)).get().extracting(Link::url).isEqualTo("https://example.com/first");
            assertThat(out.get(1)).get().extracting(Link::code).isEqualTo("d1");
            assertThat(out.get(2)).as("the same alias later in the batch is taken").isEmpty();
            assertThat(out.get(3)).as("a code taken before the batch").isEmpty();
            assertThat(out.get(4)).as("the same owner and dedup key later in the batch").isEmpty();
            assertThat(out.get(5)).get().extracting(Link::url).isEqualTo("https://example.com/plain");
            assertThat(out.get(6)).isEmpty();
            assertThat(store.findByCode("alias")).get().extracting(Link::url).isEqualTo("https://example.com/first");
            assertThat(store.findByCode("taken")).get().extracting(Link::url).isEqualTo("https://example.com/old");
            assertThat(store.findByCode("d2")).isEmpty();
            assertThat(store.findByDedupKey(1, "k")).get().extracting(Link::code).isEqualTo("d1");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aBatchWithARowTheDatabaseRefusesWritesNothingAndSaysSo(String backend) {
        try (var db = open(backend)) {
            var store = new SqlLinkStore(db);
            List<NewLink> batch = List.of(link("good", "https://example.com/good", null), link("bad", null, null));

            // GroupCommit writes such a batch again one link at a time only when the database
            // refused its data: the statement was rolled back whole, so nothing is written twice.
            assertThatThrownBy(() -> store.insertAll(batch))
                    .isInstanceOf(StoreException.class)
                    .satisfies(e -> assertThat(Jdbc.isRefusedData((RuntimeException) e)).isTrue());
            assertThat(store.findByCode("good")).isEmpty();
            assertThat(store.insert(link("good", "https://example.com/good", null))).isPresent();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void concurrentInsertsShareCommitsAndEachCallerGetsItsOwnRow(String backend) throws Exception {
        try (var db = open(backend); var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            var store = new SqlLinkStore(db);
            int callers = 64;
            int each = 50;
            Map<String, String> urlByCode = new ConcurrentHashMap<>();
            var aliasWins = new AtomicInteger();
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < callers; t++) {
                int caller = t;
                done.add(threads.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        String url = "https://example.com/" + caller + "/" + i;
                        Link l = store.insert(link("c" + caller + "x" + i, url, null)).orElseThrow();
                        assertThat(l.url()).isEqualTo(url);
                        assertThat(urlByCode.put(l.code(), l.url())).isNull();
                        // Every caller also asks for the same alias of round i: one of them gets it.
                        if (store.insert(link("shared" + i, url, null)).isPresent()) {
                            aliasWins.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            assertThat(urlByCode).hasSize(callers * each);
            assertThat(aliasWins.get()).isEqualTo(each);
            for (var e : urlByCode.entrySet()) {
                assertThat(store.findByCode(e.getKey())).get().extracting(Link::url).isEqualTo(e.getValue());
            }
            assertThat(store.insertBatches()).as("concurrent inserts shared statements")
                    .isLessThan(2L * callers * each);
        }
    }
}
