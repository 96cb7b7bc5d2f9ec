package dev.kurz.auth;

import static dev.kurz.support.TestNode.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kurz.App;
import dev.kurz.support.TestNode;
import dev.kurz.support.TestNode.Response;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** API keys on the link API: who may create, read, edit, delete and list which links. */
class OwnershipTest {

    private static final String LINKS = "/api/v1/links";

    @TempDir
    Path dataDir;

    TestNode node;
    String alice;
    String bob;
    String admin;

    @BeforeEach
    void start() {
        node = TestNode.start(dataDir, Map.of());
        alice = node.key("alice", Role.USER);
        bob = node.key("bob", Role.USER);
        admin = node.adminKey();
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private String create(String key, String url) {
        Response r = node.send("POST", LINKS, "application/json", "{\"url\": \"" + url + "\"}", bearer(key));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().path("code").asText();
    }

    @Test
    void usersManageOnlyTheirOwnLinks() {
        String code = create(alice, "https://example.com/alice");

        assertThat(node.get(LINKS + "/" + code, bearer(alice)).status()).isEqualTo(200);
        node.get(LINKS + "/" + code, bearer(bob)).problem(403);
        node.send("PATCH", LINKS + "/" + code, "application/json", "{\"title\": \"mine now\"}", bearer(bob)).problem(403);
        node.send("DELETE", LINKS + "/" + code, null, null, bearer(bob)).problem(403);
        node.get(LINKS + "/" + code).problem(401);

        Response edited = node.send("PATCH", LINKS + "/" + code, "application/json", "{\"title\": \"still mine\"}",
                bearer(alice));
        assertThat(edited.json().path("title").asText()).isEqualTo("still mine");
        assertThat(node.get("/" + code).header("Location")).isEqualTo("https://example.com/alice");
        assertThat(node.send("DELETE", LINKS + "/" + code, null, null, bearer(alice)).status()).isEqualTo(204);
        assertThat(node.storedLinks()).isZero();
    }

    @Test
    void listingShowsUsersTheirOwnAndAdminsEverything() {
        String a1 = create(alice, "https://example.com/a1");
        String b1 = create(bob, "https://example.com/b1");
        String a2 = create(alice, "https://example.com/a2");
        String anon = node.create("{\"url\": \"https://example.com/anon\"}");

        assertThat(codes(node.get(LINKS, bearer(alice)))).containsExactly(a2, a1);
        assertThat(codes(node.get(LINKS, bearer(bob)))).containsExactly(b1);
        assertThat(codes(node.get(LINKS, bearer(admin)))).containsExactly(anon, a2, b1, a1);
        node.get(LINKS).problem(401);
        // Paging stays within the caller's links.
        JsonNode first = node.get(LINKS + "?limit=1", bearer(alice)).json();
        assertThat(first.path("items").get(0).path("code").asText()).isEqualTo(a2);
        JsonNode second = node.get(LINKS + "?limit=1&cursor=" + first.path("nextCursor").asText(), bearer(alice)).json();
        assertThat(codes(second)).containsExactly(a1);
        assertThat(second.path("nextCursor").isNull()).isTrue();
    }

    @Test
    void anonymousLinksCanBeReadButNotChangedExceptByAdmins() {
        String code = node.create("{\"url\": \"https://example.com/anonymous\"}");
        assertThat(node.get(LINKS + "/" + code).status()).isEqualTo(200);
        assertThat(node.get(LINKS + "/" + code, bearer(alice)).status()).isEqualTo(200);

        Response anonPatch = node.send("PATCH", LINKS + "/" + code, "application/json", "{\"title\": \"x\"}");
        anonPatch.problem(401);
        assertThat(anonPatch.header("WWW-Authenticate")).startsWith("Bearer");
        node.send("DELETE", LINKS + "/" + code, null, null).problem(401);
        node.send("PATCH", LINKS + "/" + code, "application/json", "{\"title\": \"x\"}", bearer(alice)).problem(403);
        node.send("DELETE", LINKS + "/" + code, null, null, bearer(alice)).problem(403);

        assertThat(node.patch(LINKS + "/" + code, "{\"title\": \"admin edit\"}").status()).isEqualTo(200);
        assertThat(node.delete(LINKS + "/" + code).status()).isEqualTo(204);
    }

    @Test
    void onlyAdminsDisableLinksAndATakedownStopsTheRedirect() {
        String code = create(alice, "https://example.com/phishy");
        node.send("PATCH", LINKS + "/" + code, "application/json", "{\"disabled\": true}", bearer(alice)).problem(403);
        assertThat(node.get("/" + code).status()).isEqualTo(302);

        Response takedown = node.send("PATCH", LINKS + "/" + code, "application/json", "{\"disabled\": true}",
                bearer(admin));
        assertThat(takedown.json().path("disabled").asBoolean()).isTrue();
        assertThat(node.get("/" + code).status()).isEqualTo(404);
        // The owner can't undo it.
        node.send("PATCH", LINKS + "/" + code, "application/json", "{\"disabled\": false}", bearer(alice)).problem(403);
        assertThat(node.get("/" + code).status()).isEqualTo(404);
    }

    @Test
    void repeatedCreatesAreDeduplicatedPerOwner() {
        String body = "{\"url\": \"https://example.com/same\"}";
        Response a1 = node.send("POST", LINKS, "application/json", body, bearer(alice));
        Response a2 = node.send("POST", LINKS, "application/json", body, bearer(alice));
        Response b1 = node.send("POST", LINKS, "application/json", body, bearer(bob));
        assertThat(a2.status()).isEqualTo(200);
        assertThat(a2.json().path("code").asText()).isEqualTo(a1.json().path("code").asText());
        assertThat(b1.status()).isEqualTo(201);
        assertThat(b1.json().path("code").asText()).isNotEqualTo(a1.json().path("code").asText());
    }

    @Test
    void badCredentialsAre401WithAChallenge() {
        String code = create(alice, "https://example.com/guarded");
        String[][] bad = {
                {"Authorization", "Bearer kurz_1_" + "A".repeat(43)},        // wrong secret
                {"Authorization", "Bearer " + alice.substring(0, alice.length() - 1) + "x"}, // one character off
                {"Authorization", "Bearer nonsense"},
                {"Authorization", "Basic YWxpY2U6c2VjcmV0"},
                {"Authorization", "Bearer"},
                {"Authorization", "Bearer " + alice + " extra"},
                {"Authorization", alice},
                {"Authorization", "Bearer " + "k".repeat(300)},
        };
        for (String[] header : bad) {
            Response r = node.get(LINKS + "/" + code, header);
            r.problem(401);
            assertThat(r.header("WWW-Authenticate")).as(header[1]).startsWith("Bearer realm=\"kurz\"");
            assertThat(r.body()).doesNotContain(header[1].length() > 7 ? header[1].substring(7) : "\u0000");
        }
        // Scheme names are case-insensitive.
        assertThat(node.get(LINKS + "/" + code, "Authorization", "bEaReR " + alice).status()).isEqualTo(200);
    }

    @Test
    void aRevokedKeyIsRefusedAtOnce() {
        String carol = node.key("carol", Role.USER);
        String code = create(carol, "https://example.com/carol");
        long id = Long.parseLong(carol.split("_")[1]);
        assertThat(node.app.apiKeys().revoke(id)).isTrue();
        node.get(LINKS + "/" + code, bearer(carol)).problem(401);
        node.send("POST", LINKS, "application/json", "{\"url\": \"https://example.com/c2\"}", bearer(carol)).problem(401);
        assertThat(node.app.apiKeys().revoke(id)).isFalse();
    }

    @Test
    void withoutAnonymousCreateOnlyKeysMayCreate(@TempDir Path otherDir) {
        try (TestNode closed = TestNode.start(otherDir, Map.of("KURZ_ANONYMOUS_CREATE", "false"))) {
            Response r = closed.post(LINKS, "{\"url\": \"https://example.com/nope\"}");
            r.problem(401);
            assertThat(closed.storedLinks()).isZero();
            String key = closed.key("ci", Role.USER);
            assertThat(closed.send("POST", LINKS, "application/json", "{\"url\": \"https://example.com/yes\"}",
                    bearer(key)).status()).isEqualTo(201);
        }
    }

    @Test
    void theFirstStartSaysHowToCreateTheFirstAdminKey(@TempDir Path freshDir) {
        Logger logger = (Logger) LoggerFactory.getLogger(App.class);
        var appender = new ListAppender<ILoggingEvent>();
        appender.start();
        logger.addAppender(appender);
        try {
            try (TestNode fresh = TestNode.start(freshDir, Map.of())) {
                fresh.adminKey();
            }
            try (TestNode again = TestNode.start(freshDir, Map.of())) {
                assertThat(again.app.port()).isPositive();
            }
        } finally {
            logger.detachAppender(appender);
        }
        List<String> hints = appender.list.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains("kurz keys create --name admin --role admin")).toList();
        assertThat(hints).as("hint on the first start only, not once an admin key exists").hasSize(1);
    }

    private static List<String> codes(Response r) {
        return codes(r.json());
    }

    private static List<String> codes(JsonNode page) {
        var out = new ArrayList<String>();
        page.path("items").forEach(i -> out.add(i.path("code").asText()));
        return out;
    }
}
