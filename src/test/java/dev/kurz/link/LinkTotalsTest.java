package dev.kurz.link;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.auth.Caller;
import dev.kurz.auth.PasswordHasher;
import dev.kurz.auth.Role;
import dev.kurz.click.Clicks;
import dev.kurz.config.Settings;
import dev.kurz.db.Database;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The total an edit answers with (stored clicks plus this node's unflushed ones) is one snapshot
 * against the flusher, like a read's. Taking the stored part from the edit's own write and adding
 * the unflushed clicks afterwards left out the batch of a fold that committed in between.
 */
class LinkTotalsTest {

    private static final String CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            + "Chrome/131.0.0.0 Safari/537.36";

    private static final LinkChangeListener NO_CACHE = new LinkChangeListener() {
        @Override
        public void created(String code) {}

        @Override
        public void changed(String code) {}
    };

    @TempDir
    Path dir;

    @Test
    void anEditAnswersWithEveryClickWhileAFoldCommitsRightAfterItsWrite() {
        Settings settings = Settings.from(Map.of("KURZ_DATA_DIR", dir.toString(),
                "KURZ_CLICK_FLUSH_MS", "3600000", "KURZ_CLICK_FOLD_MS", "3600000"));
        Clock clock = Clock.systemUTC();
        try (var db = Database.open(settings); var clicks = Clicks.wire(settings, db, clock)) {
            var sql = new SqlLinkStore(db);
            long id = sql.insert(new NewLink("edit123", "https://example.com/e", null, 1, null, 1, null, null, 302, null))
                    .orElseThrow().id();
            var recorder = clicks.recorder();
            for (int i = 0; i < 3; i++) {
                recorder.record(id, recorder.visit(CHROME, null, null));
            }
            // Right after the edit's write, a fold puts the three clicks into the stored total.
            LinkStore store = afterUpdates(sql, clicks::flushNow);
            var links = new LinkService(store, new CodeMinter(sql, "totals-test-key-totals-test-key-", 10),
                    UrlPolicy.from(settings, clock), recorder, NO_CACHE, new PasswordHasher(1), true, clock);
            var patch = new LinkRequests.Patch(null, true, "renamed", false, null, false, null, null, null, false, null);

            Link edited = links.update(new Caller(1, Role.ADMIN), "edit123", patch);

            assertThat(edited.title()).isEqualTo("renamed");
            assertThat(edited.clicks()).as("the three clicks, stored or unflushed, once").isEqualTo(3);
            assertThat(links.find("edit123").orElseThrow().clicks()).isEqualTo(3);
        }
    }

    /** {@code store}, running {@code afterUpdate} once an update has committed. */
    private static LinkStore afterUpdates(LinkStore store, Runnable afterUpdate) {
        return (LinkStore) Proxy.newProxyInstance(LinkStore.class.getClassLoader(), new Class<?>[] {LinkStore.class},
                (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("update")) {
                        afterUpdate.run();
                    }
                    return result;
                });
    }
}
