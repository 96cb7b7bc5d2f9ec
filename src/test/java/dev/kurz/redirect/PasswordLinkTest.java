package dev.kurz.redirect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.auth.Role;
import dev.kurz.support.TestNode;
import dev.kurz.support.TestNode.Response;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Password-protected links over real HTTP: the form, the POSTed check, the stored hash, the limits. */
class PasswordLinkTest {

    private static final String FORM = "application/x-www-form-urlencoded";

    @TempDir
    static Path dataDir;

    static TestNode node;
    static String userKey;

    @BeforeAll
    static void start() {
        node = TestNode.start(dataDir, Map.of("KURZ_RATE_PASSWORD", "5/1m"));
        userKey = node.key("owner", Role.USER);
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static String createProtected(String url, String password, String... extra) {
        Response r = node.send("POST", "/api/v1/links", "application/json",
                "{\"url\": \"" + url + "\", \"password\": \"" + password + "\"" + String.join("", extra) + "}",
                TestNode.bearer(userKey));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().path("passwordProtected").asBoolean()).isTrue();
        assertThat(r.body()).doesNotContain(password);
        return r.json().path("code").asText();
    }

    private static Response unlock(String code, String formBody, String... headers) {
        return node.send("POST", "/" + code, FORM, formBody, headers);
    }

    @Test
    void theRightPasswordRedirectsAndAWrongOneDoesNot() {
        String code = createProtected("https://example.com/secret-target", "correct horse", ", \"redirectStatus\": 308");

        Response form = node.get("/" + code);
        assertThat(form.status()).isEqualTo(200);
        assertThat(form.header("Location")).isNull();
        assertThat(form.header("Content-Security-Policy")).contains("default-src 'none'").contains("form-action 'self'");
        assertThat(form.body()).contains("<form method=\"post\" action=\"/" + code + "\">")
                .contains("type=\"password\"").doesNotContain("secret-target");
        assertThat(node.head("/" + code).header("Location")).isNull();
        node.get("/" + code, "Accept", "application/json").problem(403);

        Response wrong = unlock(code, "password=wrong+horse");
        assertThat(wrong.status()).isEqualTo(403);
        assertThat(wrong.header("Location")).isNull();
        assertThat(wrong.body()).contains("Wrong password").doesNotContain("secret-target");

        // 303 whatever the link's status: a 307/308 would re-send the password to the target.
        Response right = unlock(code, "password=correct+horse");
        assertThat(right.status()).isEqualTo(303);
        assertThat(right.header("Location")).isEqualTo("https://example.com/secret-target");
        assertThat(right.header("Cache-Control")).isEqualTo("no-store");
        assertThat(node.get("/api/v1/links/" + code, TestNode.bearer(userKey)).json().path("clicks").asLong())
                .isEqualTo(1);
    }

    @Test
    void theStoredHashIsArgon2idNotThePassword() throws Exception {
        String code = createProtected("https://example.com/hashed", "hunter2-hunter2");
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("kurz.db"));
             var ps = c.prepareStatement("SELECT password_hash FROM links WHERE code = ?")) {
            ps.setString(1, code);
            try (var rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).startsWith("$argon2id$v=19$m=19456,t=2,p=1$").doesNotContain("hunter2");
            }
        }
        // The API never shows it either.
        assertThat(node.get("/api/v1/links/" + code, TestNode.bearer(userKey)).body())
                .doesNotContain("argon2").doesNotContain("hunter2");
    }

    @Test
    void aPasswordInTheQueryStringIsIgnored() {
        String code = createProtected("https://example.com/query", "open-sesame");
        assertThat(node.get("/" + code + "?password=open-sesame").header("Location")).isNull();
        Response r = node.send("POST", "/" + code + "?password=open-sesame", FORM, "");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.header("Location")).isNull();
    }

    @Test
    void thePreviewAndTheAnonymousApiDoNotRevealTheTarget() {
        String code = createProtected("https://example.com/hidden-preview", "preview-pw", ", \"title\": \"Hidden title\"");
        Response preview = node.get("/" + code + "+");
        assertThat(preview.status()).isEqualTo(200);
        assertThat(preview.body()).contains("password-protected").doesNotContain("hidden-preview")
                .doesNotContain("Hidden title");
        node.get("/api/v1/links/" + code).problem(401);
    }

    @Test
    void removingThePasswordMakesItAPlainRedirectAgain() {
        String code = createProtected("https://example.com/unprotect", "remove-me");
        Response patched = node.send("PATCH", "/api/v1/links/" + code, "application/json", "{\"password\": null}",
                TestNode.bearer(userKey));
        assertThat(patched.json().path("passwordProtected").asBoolean()).isFalse();
        assertThat(node.get("/" + code).status()).isEqualTo(302);
        // And setting one protects it at once, cached or not.
        node.send("PATCH", "/api/v1/links/" + code, "application/json", "{\"password\": \"again-pw\"}",
                TestNode.bearer(userKey));
        assertThat(node.get("/" + code).status()).isEqualTo(200);
        assertThat(unlock(code, "password=again-pw").status()).isEqualTo(303);
    }

    @Test
    void attemptsAreRateLimitedPerAddress() {
        String code = createProtected("https://example.com/guess-me", "unguessable");
        // A fresh minute, so earlier tests' attempts don't count.
        node.clock.advance(Duration.ofMinutes(2));
        for (int i = 0; i < 5; i++) {
            assertThat(unlock(code, "password=guess" + i).status()).as("attempt %d", i + 1).isEqualTo(403);
        }
        Response limited = unlock(code, "password=unguessable", "Accept", "application/json");
        limited.problem(429);
        assertThat(limited.header("Location")).isNull();
        assertThat(Long.parseLong(limited.header("Retry-After"))).isBetween(1L, 60L);
        assertThat(limited.header("RateLimit-Limit")).isEqualTo("5");
        assertThat(limited.header("RateLimit-Remaining")).isEqualTo("0");

        node.clock.advance(Duration.ofMinutes(1));
        assertThat(unlock(code, "password=unguessable").status()).isEqualTo(303);
    }
}
