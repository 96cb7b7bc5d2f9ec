package dev.kurz.link;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kurz.support.TestNode;
import dev.kurz.support.TestNode.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The link API and redirect behaviour as a client sees it, against a real node. Abstract so each
 * storage backend runs the same suite (SQLite today; PostgreSQL and Redis add subclasses).
 */
abstract class LinkApiSuite {

    @TempDir
    Path dataDir;

    TestNode node;

    /** Settings that select the backend under test. */
    abstract Map<String, String> backend();

    @BeforeEach
    void startNode() {
        node = TestNode.start(dataDir, backend());
    }

    @AfterEach
    void stopNode() {
        node.close();
    }

    @Test
    void createRedirectAndCountAClick() {
        Response created = node.post("/api/v1/links", """
                {"url": "https://example.com/some/long/path?q=1#frag", "title": "Example"}""");
        assertThat(created.status()).isEqualTo(201);
        JsonNode link = created.json();
        String code = link.path("code").asText();
        assertThat(code).matches("[0-9A-Za-z]{7}");
        assertThat(created.header("Location")).isEqualTo("/api/v1/links/" + code);
        assertThat(link.path("shortUrl").asText()).isEqualTo("http://kurz.test/" + code);
        assertThat(link.path("url").asText()).isEqualTo("https://example.com/some/long/path?q=1#frag");
        assertThat(link.path("title").asText()).isEqualTo("Example");
        assertThat(link.path("redirectStatus").asInt()).isEqualTo(302);
        assertThat(link.path("disabled").asBoolean()).isFalse();
        assertThat(link.path("clicks").asLong()).isZero();
        assertThat(link.path("expiresAt").isNull()).isTrue();
        assertThat(Instant.parse(link.path("createdAt").asText())).isNotNull();

        Response redirect = node.get("/" + code);
        assertThat(redirect.status()).isEqualTo(302);
        assertThat(redirect.header("Location")).isEqualTo("https://example.com/some/long/path?q=1#frag");
        assertThat(redirect.header("Cache-Control")).isEqualTo("no-store");

        assertThat(node.get("/api/v1/links/" + code).json().path("clicks").asLong()).isEqualTo(1);
        node.flushClicks();
        assertThat(node.get("/api/v1/links/" + code).json().path("clicks").asLong()).isEqualTo(1);
        assertThat(node.count("SELECT sum(clicks) FROM click_days")).isEqualTo(1);
    }

    @Test
    void repeatingACreateReturnsTheSameLinkWith200() {
        String body = """
                {"url": "https://example.com/retry", "maxClicks": 5}""";
        Response first = node.post("/api/v1/links", body);
        Response second = node.post("/api/v1/links", body);
        assertThat(first.status()).isEqualTo(201);
        assertThat(second.status()).isEqualTo(200);
        assertThat(second.json().path("code").asText()).isEqualTo(first.json().path("code").asText());
        assertThat(node.storedLinks()).isEqualTo(1);

        // Different options are a different request; forceNew always makes a new link.
        Response other = node.post("/api/v1/links", """
                {"url": "https://example.com/retry", "maxClicks": 6}""");
        Response forced = node.post("/api/v1/links", """
                {"url": "https://example.com/retry", "maxClicks": 5, "forceNew": true}""");
        assertThat(other.status()).isEqualTo(201);
        assertThat(forced.status()).isEqualTo(201);
        assertThat(Set.of(first.json().path("code").asText(), other.json().path("code").asText(),
                forced.json().path("code").asText())).hasSize(3);
    }

    @Test
    void aMissingTitleAndTheTitleNullAreDifferentRequests() {
        Response untitled = node.post("/api/v1/links", """
                {"url": "https://example.com/titles"}""");
        Response titledNull = node.post("/api/v1/links", """
                {"url": "https://example.com/titles", "title": "null"}""");
        assertThat(untitled.status()).isEqualTo(201);
        assertThat(titledNull.status()).isEqualTo(201);
        assertThat(titledNull.json().path("title").asText()).isEqualTo("null");
    }

    @Test
    void anAliasThatIsTakenIsAConflict() {
        assertThat(node.create("""
                {"url": "https://example.com/a", "alias": "My-Alias_1"}""")).isEqualTo("My-Alias_1");
        node.post("/api/v1/links", """
                {"url": "https://example.com/b", "alias": "My-Alias_1"}""").problem(409);
        // Aliases are case-sensitive.
        assertThat(node.create("""
                {"url": "https://example.com/c", "alias": "my-alias_1"}""")).isEqualTo("my-alias_1");
        assertThat(node.get("/My-Alias_1").header("Location")).isEqualTo("https://example.com/a");
        assertThat(node.get("/my-alias_1").header("Location")).isEqualTo("https://example.com/c");
    }

    @Test
    void patchChangesTheRedirectImmediately() {
        String code = node.create("""
                {"url": "https://example.com/before"}""");
        assertThat(node.get("/" + code).header("Location")).isEqualTo("https://example.com/before"); // cached now

        Response patched = node.patch("/api/v1/links/" + code, """
                {"url": "https://example.com/after", "title": "New", "redirectStatus": 301}""");
        assertThat(patched.status()).isEqualTo(200);
        assertThat(patched.json().path("url").asText()).isEqualTo("https://example.com/after");

        Response redirect = node.get("/" + code);
        assertThat(redirect.status()).isEqualTo(301);
        assertThat(redirect.header("Location")).isEqualTo("https://example.com/after");
        assertThat(redirect.header("Cache-Control")).isEqualTo("public, max-age=300");

        // Clearing a field with null, disabling with a flag.
        node.patch("/api/v1/links/" + code, """
                {"title": null, "disabled": true}""");
        JsonNode link = node.get("/api/v1/links/" + code).json();
        assertThat(link.path("title").isNull()).isTrue();
        assertThat(link.path("disabled").asBoolean()).isTrue();
        assertThat(node.get("/" + code).status()).isEqualTo(404);

        node.patch("/api/v1/links/" + code, """
                {"disabled": false}""");
        assertThat(node.get("/" + code).status()).isEqualTo(301);
        node.patch("/api/v1/links/nope0000", "{}").problem(404);
    }

    @Test
    void anEditedLinkNoLongerAnswersRepeatsOfItsCreate() {
        String body = """
                {"url": "https://example.com/edit-me"}""";
        String code = node.create(body);
        node.patch("/api/v1/links/" + code, """
                {"url": "https://example.com/edited"}""");
        Response again = node.post("/api/v1/links", body);
        assertThat(again.status()).isEqualTo(201);
        assertThat(again.json().path("code").asText()).isNotEqualTo(code);
    }

    @Test
    void deleteMakesTheLinkDisappear() {
        String code = node.create("""
                {"url": "https://example.com/doomed"}""");
        assertThat(node.get("/" + code).status()).isEqualTo(302);
        Response deleted = node.delete("/api/v1/links/" + code);
        assertThat(deleted.status()).isEqualTo(204);
        assertThat(deleted.body()).isEmpty();

        node.get("/api/v1/links/" + code).problem(404);
        assertThat(node.get("/" + code).status()).isEqualTo(404);
        node.delete("/api/v1/links/" + code).problem(404);
        assertThat(node.storedLinks()).isZero();
    }

    @Test
    void anExpiredLinkAnswers410() {
        String expiresAt = node.clock.instant().plus(Duration.ofHours(1)).toString();
        String code = node.create("""
                {"url": "https://example.com/soon", "expiresAt": "%s"}""".formatted(expiresAt));
        assertThat(node.get("/" + code).status()).isEqualTo(302);
        node.clock.advance(Duration.ofMinutes(61));
        Response gone = node.get("/" + code);
        assertThat(gone.status()).isEqualTo(410);
        assertThat(gone.header("Content-Type")).startsWith("text/html");
        assertThat(gone.body()).contains("expired");
        node.get("/" + code, "Accept", "application/json").problem(410);
        assertThat(node.head("/" + code).status()).isEqualTo(410);
        // Still visible through the API, and in the preview.
        assertThat(node.get("/api/v1/links/" + code).json().path("expiresAt").asText()).isEqualTo(expiresAt);
        assertThat(node.get("/" + code + "+").body()).contains("has expired");
    }

    @Test
    void aLinkWithMaxClicksAnswers410AfterThatManyRedirects() {
        String code = node.create("""
                {"url": "https://example.com/limited", "maxClicks": 3}""");
        for (int i = 0; i < 3; i++) {
            assertThat(node.get("/" + code).status()).as("click %d", i + 1).isEqualTo(302);
        }
        assertThat(node.get("/" + code).status()).isEqualTo(410);
        assertThat(node.get("/" + code).status()).isEqualTo(410);
        assertThat(node.get("/api/v1/links/" + code).json().path("clicks").asLong()).isEqualTo(3);

        // Raising the limit re-opens it; the count survives the flush exactly.
        node.flushClicks();
        node.patch("/api/v1/links/" + code, """
                {"maxClicks": 4}""");
        assertThat(node.get("/" + code).status()).isEqualTo(302);
        assertThat(node.get("/" + code).status()).isEqualTo(410);
        node.flushClicks();
        assertThat(node.get("/api/v1/links/" + code).json().path("clicks").asLong()).isEqualTo(4);
    }

    @Test
    void headRedirectsWithoutABodyAndWithoutCounting() {
        String code = node.create("""
                {"url": "https://example.com/head", "redirectStatus": 307}""");
        Response head = node.head("/" + code);
        assertThat(head.status()).isEqualTo(307);
        assertThat(head.header("Location")).isEqualTo("https://example.com/head");
        assertThat(head.body()).isEmpty();
        assertThat(node.get("/api/v1/links/" + code).json().path("clicks").asLong()).isZero();
        assertThat(node.head("/unknown1").status()).isEqualTo(404);
    }

    @Test
    void plusShowsAPreviewInsteadOfRedirecting() {
        String code = node.create("""
                {"url": "https://example.com/preview?a=1&b=<2>", "title": "<script>alert('x')</script>"}""");
        node.get("/" + code);
        Response preview = node.get("/" + code + "+");
        assertThat(preview.status()).isEqualTo(200);
        assertThat(preview.header("Content-Type")).startsWith("text/html");
        assertThat(preview.header("Content-Security-Policy")).contains("default-src 'none'");
        assertThat(preview.body())
                .contains("https://example.com/preview?a=1&amp;b=%3C2%3E")
                .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
                .doesNotContain("<script>")
                .contains("<dt>Clicks</dt><dd>1</dd>");
        assertThat(node.get("/nothere1+").status()).isEqualTo(404);
    }

    @Test
    void permanentRedirectsAreCacheableOnlyBriefly() {
        for (int status : List.of(301, 302, 307, 308)) {
            String code = node.create("""
                    {"url": "https://example.com/status/%d", "redirectStatus": %d}""".formatted(status, status));
            Response r = node.get("/" + code);
            assertThat(r.status()).isEqualTo(status);
            assertThat(r.header("Cache-Control"))
                    .isEqualTo(status == 301 || status == 308 ? "public, max-age=300" : "no-store");
        }
        // A permanent redirect is never cached past its link's expiry.
        String expiresAt = node.clock.instant().plus(Duration.ofSeconds(100)).toString();
        String code = node.create("""
                {"url": "https://example.com/perm-exp", "redirectStatus": 308, "expiresAt": "%s"}""".formatted(expiresAt));
        assertThat(node.get("/" + code).header("Cache-Control")).matches("public, max-age=(99|100)");
    }

    @Test
    void anUnknownCodeIsRememberedButANewLinkWithItWorksAtOnce() {
        assertThat(node.get("/fresh-alias").status()).isEqualTo(404); // now negatively cached
        node.create("""
                {"url": "https://example.com/fresh", "alias": "fresh-alias"}""");
        assertThat(node.get("/fresh-alias").status()).isEqualTo(302);
    }

    @Test
    void notFoundIsHtmlForBrowsersAndProblemJsonForApiClients() {
        Response html = node.get("/missing1", "Accept", "text/html");
        assertThat(html.status()).isEqualTo(404);
        assertThat(html.body()).contains("<h1>Not Found</h1>");
        assertThat(html.header("X-Content-Type-Options")).isEqualTo("nosniff");
        JsonNode problem = node.get("/missing1", "Accept", "application/json").problem(404);
        assertThat(problem.path("type").asText()).isEqualTo("urn:kurz:problem:not-found");
        node.get("/api/v1/nothing-here").problem(404);
    }

    @Test
    void listingPagesThroughAllLinksNewestFirst() {
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            created.add(node.create("""
                    {"url": "https://example.com/page/%d"}""".formatted(i)));
        }
        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Response r = node.get("/api/v1/links?limit=100" + (cursor == null ? "" : "&cursor=" + cursor),
                    TestNode.bearer(node.adminKey()));
            assertThat(r.status()).isEqualTo(200);
            JsonNode page = r.json();
            page.path("items").forEach(item -> seen.add(item.path("code").asText()));
            cursor = page.path("nextCursor").isNull() ? null : page.path("nextCursor").asText();
            pages++;
        } while (cursor != null);
        assertThat(pages).isEqualTo(3);
        assertThat(seen).isEqualTo(created.reversed());
        assertThat(node.get("/api/v1/links", TestNode.bearer(node.adminKey())).json().path("items")).hasSize(50);
        node.get("/api/v1/links?limit=0").problem(400);
        node.get("/api/v1/links?limit=1001").problem(400);
        node.get("/api/v1/links?cursor=garbage!").problem(400);
    }

    @Test
    void theListSearchesCodeUrlAndTitle() {
        String admin = node.adminKey();
        String marker = "srch" + System.nanoTime();
        String byUrl = node.create("{\"url\": \"https://example.com/" + marker + "/a\"}");
        String byTitle = node.create("{\"url\": \"https://example.com/b\", \"title\": \"About " + marker.toUpperCase() + "\"}");
        String byAlias = node.create("{\"url\": \"https://example.com/c\", \"alias\": \"" + marker + "-alias\"}");
        node.create("{\"url\": \"https://example.com/unrelated/" + System.nanoTime() + "\"}");
        var found = node.get("/api/v1/links?q=" + marker, TestNode.bearer(admin)).json().path("items");
        assertThat(found.findValuesAsText("code")).containsExactly(byAlias, byTitle, byUrl);
        // Paging works within the search; LIKE's wildcards are plain characters.
        var first = node.get("/api/v1/links?limit=2&q=" + marker, TestNode.bearer(admin)).json();
        assertThat(first.path("items").findValuesAsText("code")).containsExactly(byAlias, byTitle);
        var rest = node.get("/api/v1/links?limit=2&q=" + marker + "&cursor=" + first.path("nextCursor").asText(),
                TestNode.bearer(admin)).json();
        assertThat(rest.path("items").findValuesAsText("code")).containsExactly(byUrl);
        assertThat(rest.path("nextCursor").isNull()).isTrue();
        assertThat(node.get("/api/v1/links?q=" + marker + "%25", TestNode.bearer(admin)).json().path("items")).isEmpty();
        assertThat(node.get("/api/v1/links?q=" + marker + "_alias", TestNode.bearer(admin)).json().path("items")).isEmpty();
        assertThat(node.get("/api/v1/links?q=" + "x".repeat(201), TestNode.bearer(admin)).problem(400)
                .path("errors").get(0).path("field").asText()).isEqualTo("q");
    }

    @Test
    void homeAndHealthAnswer() {
        Response home = node.get("/");
        assertThat(home.status()).isEqualTo(200);
        assertThat(home.body()).contains("<script type=\"module\" src=\"/static/app.js\"></script>");
        assertThat(home.header("Content-Security-Policy")).contains("script-src 'self'").doesNotContain("unsafe");
        assertThat(node.get("/static/kurz.css").header("Content-Type")).startsWith("text/css");
        assertThat(node.get("/health/live").json().path("status").asText()).isEqualTo("UP");
        assertThat(node.get("/health/ready").json().path("status").asText()).isEqualTo("UP");
    }

    @Test
    void codesAreDistinctAcrossManyCreates() {
        Set<String> codes = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            codes.add(node.create("""
                    {"url": "https://example.com/distinct/%d"}""".formatted(i)));
        }
        assertThat(codes).hasSize(300).allMatch(c -> c.matches("[0-9A-Za-z]{7}"));
    }
}
