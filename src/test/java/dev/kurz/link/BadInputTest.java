package dev.kurz.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kurz.support.TestNode;
import dev.kurz.support.TestNode.Response;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile and malformed input against one real node. Every case must be refused with a 4xx (an
 * RFC 9457 problem wherever the request reaches kurz's own code), must store nothing, and must
 * leave the node serving.
 */
class BadInputTest {

    private static final String LINKS = "/api/v1/links";
    private static final int MAX_BODY = 16 * 1024;

    @TempDir
    static Path dataDir;

    static TestNode node;
    /** A valid link that PATCH cases try (and fail) to change. */
    static String existing;

    /** For bodies that are not strings (invalid UTF-8) or that are sent chunked. */
    private static final HttpClient BYTES = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    @BeforeAll
    static void startNode() {
        node = TestNode.start(dataDir, Map.of());
        existing = node.create("""
                {"url": "https://example.com/existing", "title": "Existing", "maxClicks": 10, "redirectStatus": 307}""");
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    // ---------------------------------------------------------------- POST /api/v1/links bodies

    static Stream<Arguments> createBodies() {
        String ok = "\"url\": \"https://example.com/a\"";
        List<Arguments> rows = new ArrayList<>();

        // Malformed JSON: 400 bad-json, no field.
        rows.add(bad("truncated JSON", "{" + ok));
        rows.add(bad("truncated inside a string", "{\"url\": \"https://exa"));
        rows.add(bad("trailing garbage", "{" + ok + "} x"));
        rows.add(bad("two objects back to back", "{" + ok + "}{\"url\": \"https://example.com/b\"}"));
        rows.add(bad("single quotes", "{'url': 'https://example.com/a'}"));
        rows.add(bad("unquoted key", "{url: \"https://example.com/a\"}"));
        rows.add(bad("trailing comma", "{" + ok + ",}"));
        rows.add(bad("NaN", "{" + ok + ", \"maxClicks\": NaN}"));
        rows.add(bad("Infinity", "{" + ok + ", \"maxClicks\": Infinity}"));
        rows.add(bad("leading zeros", "{" + ok + ", \"maxClicks\": 007}"));
        rows.add(bad("block comment", "/* hi */ {" + ok + "}"));
        rows.add(bad("line comment", "{" + ok + " // hi\n}"));
        rows.add(bad("duplicate keys", "{" + ok + ", \"url\": \"javascript:alert(1)\"}"));
        rows.add(bad("top-level array", "[{" + ok + "}]"));
        rows.add(bad("top-level string", "\"https://example.com/a\""));
        rows.add(bad("top-level number", "42"));
        rows.add(bad("top-level true", "true"));
        rows.add(bad("top-level null", "null"));
        rows.add(bad("empty body", ""));
        rows.add(bad("whitespace-only body", "  \n\t "));
        rows.add(bad("form data sent as JSON", "url=https%3A%2F%2Fexample.com%2Fa"));
        rows.add(bad("raw control character inside a string", "{\"url\": \"https://example.com/\u0001\"}"));
        rows.add(bad("invalid escape sequence", "{\"url\": \"https://example.com/\\x41\"}"));
        rows.add(bad("number longer than 32 digits", "{" + ok + ", \"maxClicks\": " + "9".repeat(40) + "}"));
        rows.add(bad("JSON nested 17 levels", "{\"url\": " + "[".repeat(16) + "1" + "]".repeat(16) + "}"));
        rows.add(bad("JSON nested 100 levels", "[".repeat(100) + "]".repeat(100)));
        rows.add(bad("JSON nested 8,000 levels (balanced, under the size limit)", "[".repeat(8_000) + "]".repeat(8_000)));
        rows.add(bad("JSON nested 10,000 levels (unclosed)", "{\"url\": " + "[".repeat(10_000)));
        rows.add(bad("JSON objects nested 3,000 levels (unclosed)", "{\"a\":".repeat(3_000)));

        // Size.
        rows.add(arguments("body one byte over 16 KiB", "{" + ok + "}" + " ".repeat(MAX_BODY + 1 - ok.length() - 2), 413, null));
        rows.add(arguments("title of 20,000 characters (body over 16 KiB)", "{" + ok + ", \"title\": \"" + "t".repeat(20_000) + "\"}", 413, null));
        rows.add(arguments("1 MiB body", "{" + ok + ", \"title\": \"" + "t".repeat(1 << 20) + "\"}", 413, null));

        // Wrong types and values.
        rows.add(invalid("url as number", "{\"url\": 42}", "url"));
        rows.add(invalid("url as array", "{\"url\": [\"https://example.com/a\"]}", "url"));
        rows.add(invalid("url as object", "{\"url\": {\"href\": \"https://example.com/a\"}}", "url"));
        rows.add(invalid("url as boolean", "{\"url\": true}", "url"));
        rows.add(invalid("maxClicks as string \"5\"", "{" + ok + ", \"maxClicks\": \"5\"}", "maxClicks"));
        rows.add(invalid("maxClicks 5.5", "{" + ok + ", \"maxClicks\": 5.5}", "maxClicks"));
        rows.add(invalid("maxClicks 0", "{" + ok + ", \"maxClicks\": 0}", "maxClicks"));
        rows.add(invalid("maxClicks -1", "{" + ok + ", \"maxClicks\": -1}", "maxClicks"));
        rows.add(invalid("maxClicks 2^60", "{" + ok + ", \"maxClicks\": " + (1L << 60) + "}", "maxClicks"));
        rows.add(invalid("maxClicks 2^64+5 (overflows a long)", "{" + ok + ", \"maxClicks\": 18446744073709551621}", "maxClicks"));
        rows.add(invalid("maxClicks as array", "{" + ok + ", \"maxClicks\": [5]}", "maxClicks"));
        rows.add(invalid("redirectStatus 200", "{" + ok + ", \"redirectStatus\": 200}", "redirectStatus"));
        rows.add(invalid("redirectStatus 303", "{" + ok + ", \"redirectStatus\": 303}", "redirectStatus"));
        rows.add(invalid("redirectStatus 404", "{" + ok + ", \"redirectStatus\": 404}", "redirectStatus"));
        rows.add(invalid("redirectStatus as string \"302\"", "{" + ok + ", \"redirectStatus\": \"302\"}", "redirectStatus"));
        rows.add(invalid("redirectStatus 2^32+302 (int overflow)", "{" + ok + ", \"redirectStatus\": 4294967598}", "redirectStatus"));
        rows.add(invalid("expiresAt not ISO", "{" + ok + ", \"expiresAt\": \"tomorrow\"}", "expiresAt"));
        rows.add(invalid("expiresAt date without time", "{" + ok + ", \"expiresAt\": \"2099-01-01\"}", "expiresAt"));
        rows.add(invalid("expiresAt empty", "{" + ok + ", \"expiresAt\": \"\"}", "expiresAt"));
        rows.add(invalid("expiresAt in the past", "{" + ok + ", \"expiresAt\": \"2000-01-01T00:00:00Z\"}", "expiresAt"));
        rows.add(invalid("expiresAt as number", "{" + ok + ", \"expiresAt\": 4102444800}", "expiresAt"));
        rows.add(invalid("expiresAt beyond epoch millis", "{" + ok + ", \"expiresAt\": \"+1000000000-01-01T00:00:00Z\"}", "expiresAt"));
        rows.add(invalid("title as number", "{" + ok + ", \"title\": 42}", "title"));
        rows.add(invalid("title of 513 characters", "{" + ok + ", \"title\": \"" + "t".repeat(513) + "\"}", "title"));
        rows.add(invalid("title with a newline", "{" + ok + ", \"title\": \"a\\nb\"}", "title"));
        rows.add(invalid("title with BEL", "{" + ok + ", \"title\": \"a\\u0007b\"}", "title"));
        rows.add(invalid("title with DEL", "{" + ok + ", \"title\": \"a\\u007fb\"}", "title"));
        rows.add(invalid("title with C1 control CSI (U+009B)", "{" + ok + ", \"title\": \"a\\u009b31mb\"}", "title"));
        rows.add(invalid("title with a lone surrogate", "{" + ok + ", \"title\": \"a\\ud800b\"}", "title"));
        rows.add(invalid("forceNew as \"yes\"", "{" + ok + ", \"forceNew\": \"yes\"}", "forceNew"));
        rows.add(invalid("forceNew as 1", "{" + ok + ", \"forceNew\": 1}", "forceNew"));
        rows.add(invalid("alias as number", "{" + ok + ", \"alias\": 12345}", "alias"));

        // Unknown fields.
        rows.add(invalid("unknown field expireAt (typo)", "{" + ok + ", \"expireAt\": \"2099-01-01T00:00:00Z\"}", "expireAt"));
        rows.add(invalid("unknown field URL (wrong case)", "{\"URL\": \"https://example.com/a\"}", "URL"));
        rows.add(invalid("unknown field __proto__", "{" + ok + ", \"__proto__\": {\"admin\": true}}", "__proto__"));
        rows.add(invalid("unknown empty field name", "{" + ok + ", \"\": 1}", ""));
        rows.add(bad("field named by a lone surrogate", "{" + ok + ", \"\\ud800\": 1}"));

        // Missing or empty URL.
        rows.add(invalid("missing url", "{}", "url"));
        rows.add(invalid("url null", "{\"url\": null}", "url"));
        rows.add(invalid("empty url", "{\"url\": \"\"}", "url"));
        rows.add(invalid("blank url", "{\"url\": \"   \"}", "url"));

        // Schemes.
        rows.add(url("javascript: scheme", "javascript:alert(1)"));
        rows.add(url("JavaScript: scheme (mixed case)", "JavaScript:alert(1)"));
        rows.add(url("javascript:// scheme with newline escape", "javascript://%0aalert(1)"));
        rows.add(url("data: scheme", "data:text/html,<script>alert(1)</script>"));
        rows.add(url("file: scheme", "file:///etc/passwd"));
        rows.add(url("ftp: scheme", "ftp://example.com/file"));
        rows.add(url("mailto: scheme", "mailto:someone@example.com"));
        rows.add(url("vbscript: scheme", "vbscript:msgbox(1)"));
        rows.add(url("fullwidth javascript scheme", "\uff4a\uff41\uff56\uff41\uff53\uff43\uff52\uff49\uff50\uff54://x"));

        // Relative or scheme-less.
        rows.add(url("relative path", "/path"));
        rows.add(url("bare host", "example.com"));
        rows.add(url("protocol-relative", "//example.com"));
        rows.add(url("scheme without slashes", "https:example.com"));
        rows.add(url("scheme with one slash", "https:/example.com"));

        // Empty host.
        rows.add(url("http:// with empty host", "http://"));
        rows.add(url("empty host with path", "http:///path"));
        rows.add(url("empty host with port", "https://:443/"));

        // Userinfo.
        rows.add(url("userinfo user:pass", "https://user:pass@example.com"));
        rows.add(url("userinfo user only", "https://user@example.com"));
        rows.add(url("host-looking userinfo", "https://example.com@evil.com"));
        rows.add(url("host-looking userinfo with port", "https://example.com:443@evil.com/"));

        // Whitespace and control characters.
        rows.add(url("CR/LF header injection", "https://example.com/\r\nSet-Cookie: x=1"));
        rows.add(url("bare LF", "https://example.com/a\nb"));
        rows.add(url("tab", "https://example.com/a\tb"));
        rows.add(url("NUL", "https://example.com/a\u0000b"));
        rows.add(url("control U+0001", "https://example.com/a\u0001b"));
        rows.add(url("DEL U+007F", "https://example.com/a\u007fb"));
        rows.add(url("NEL U+0085", "https://example.com/a\u0085b"));
        rows.add(url("LINE SEPARATOR U+2028", "https://example.com/a\u2028b"));
        rows.add(url("space in path", "https://example.com/a b"));
        rows.add(url("leading space", " https://example.com/a"));
        rows.add(url("backslash before @", "https://example.com\\@evil.com"));
        rows.add(url("backslashes instead of slashes", "https:\\\\evil.com"));
        rows.add(url("lone surrogate", "https://example.com/\ud800"));
        rows.add(url("5,000-character URL", "https://example.com/" + "a".repeat(5_000 - 20)));

        // Ports.
        rows.add(url("port 0", "https://example.com:0/"));
        rows.add(url("port 99999", "https://example.com:99999/"));
        rows.add(url("port abc", "https://example.com:abc/"));
        rows.add(url("empty port", "https://example.com:/"));
        rows.add(url("negative port", "https://example.com:-1/"));
        rows.add(url("port with plus sign", "https://example.com:+80/"));

        // Hosts.
        rows.add(url("space in host", "https://exa mple.com"));
        rows.add(url("hyphens around a label", "https://-bad-.com/"));
        rows.add(url("empty label", "https://example..com/"));
        rows.add(url("leading dot", "https://.example.com/"));
        rows.add(url("label longer than 63", "https://" + "a".repeat(64) + ".com/"));
        rows.add(url("host longer than 253", "https://" + "abcdefghi.".repeat(26) + "com/"));
        rows.add(url("angle bracket in host", "https://a<b.com/"));
        rows.add(url("percent-encoded @ in host", "https://evil.com%40example.com/"));
        rows.add(url("unclosed IPv6", "https://[::1/"));
        rows.add(url("IPv6 with non-hex", "https://[zz::1]/"));
        rows.add(url("empty IPv6", "https://[]/"));
        rows.add(url("junk after IPv6", "https://[::1]x/"));

        // Loops back to kurz (the test node's base URL is http://kurz.test).
        rows.add(url("points at kurz itself", "http://kurz.test/abc"));
        rows.add(url("points at kurz itself, upper case", "HTTP://KURZ.TEST/abc"));
        rows.add(url("points at kurz itself, explicit port 80", "http://kurz.test:80/abc"));
        rows.add(url("points at kurz itself, trailing dot", "http://kurz.test./abc"));
        rows.add(url("points at kurz itself over https", "https://kurz.test/abc"));
        rows.add(url("points at kurz itself, fullwidth letters", "http://\uff4b\uff55\uff52\uff5a.test/abc"));
        rows.add(url("points at kurz itself, ideographic full stop", "http://kurz\u3002test/abc"));

        // Aliases.
        rows.add(alias("alias too short", "ab"));
        rows.add(alias("alias of 65 characters", "a".repeat(65)));
        rows.add(alias("empty alias", ""));
        rows.add(alias("alias with slash", "a/b"));
        rows.add(alias("alias ..", ".."));
        rows.add(alias("alias .", "."));
        rows.add(alias("alias ../admin", "../admin"));
        rows.add(alias("alias %2F", "%2F"));
        rows.add(alias("alias with a space", "my alias"));
        rows.add(alias("alias with NUL", "abc\u0000"));
        rows.add(alias("alias with unicode letters", "caf\u00e9"));
        rows.add(alias("alias with Cyrillic confusables", "\u0440\u0430ypal"));
        rows.add(alias("alias of emoji", "\ud83d\udd17\ud83d\udd17\ud83d\udd17"));
        for (String word : List.of("api", "API", "health", "metrics", "static", "admin", "openapi.json",
                "favicon.ico", "robots.txt")) {
            rows.add(alias("reserved alias " + word, word));
        }

        // Several problems at once are all reported.
        rows.add(invalid("several invalid fields at once",
                "{\"url\": 1, \"maxClicks\": 0, \"alias\": \"a\", \"redirectStatus\": 200}",
                "url,maxClicks,alias,redirectStatus"));
        return rows.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("createBodies")
    void createIsRefused(String name, String body, int status, String field) {
        long before = node.storedLinks();
        Response r = node.post(LINKS, body);
        assertProblem(r, status, field);
        if (name.contains("nested")) {
            assertThat(r.json().path("detail").asText()).containsIgnoringCase("depth");
        }
        assertThat(node.storedLinks()).as("links stored").isEqualTo(before);
        assertLive();
    }

    // ---------------------------------------------------------------- PATCH an existing link

    static Stream<Arguments> patchBodies() {
        return Stream.of(
                invalid("PATCH url null", "{\"url\": null}", "url"),
                invalid("PATCH disabled as \"true\"", "{\"disabled\": \"true\"}", "disabled"),
                invalid("PATCH disabled null", "{\"disabled\": null}", "disabled"),
                invalid("PATCH redirectStatus null", "{\"redirectStatus\": null}", "redirectStatus"),
                invalid("PATCH redirectStatus 303", "{\"redirectStatus\": 303}", "redirectStatus"),
                invalid("PATCH unknown field code", "{\"code\": \"x\"}", "code"),
                invalid("PATCH unknown field alias", "{\"alias\": \"newname\"}", "alias"),
                invalid("PATCH url javascript:", "{\"url\": \"javascript:alert(1)\"}", "url"),
                invalid("PATCH url empty", "{\"url\": \"\"}", "url"),
                invalid("PATCH url with CR/LF", "{\"url\": \"https://example.com/\\r\\nSet-Cookie: x=1\"}", "url"),
                invalid("PATCH url pointing at kurz", "{\"url\": \"http://kurz.test/abc\"}", "url"),
                invalid("PATCH maxClicks 0", "{\"maxClicks\": 0}", "maxClicks"),
                invalid("PATCH maxClicks as string", "{\"maxClicks\": \"10\"}", "maxClicks"),
                invalid("PATCH expiresAt in the past", "{\"expiresAt\": \"2000-01-01T00:00:00Z\"}", "expiresAt"),
                invalid("PATCH title of 513 characters", "{\"title\": \"" + "t".repeat(513) + "\"}", "title"),
                invalid("PATCH title with control character", "{\"title\": \"a\\u0000b\"}", "title"),
                invalid("PATCH title with C1 control character", "{\"title\": \"a\\u0085b\"}", "title"),
                invalid("PATCH valid field plus invalid one", "{\"title\": \"changed\", \"disabled\": 1}", "disabled"),
                bad("PATCH top-level array", "[]"),
                bad("PATCH empty body", ""),
                bad("PATCH truncated JSON", "{\"title\": \"x\""),
                bad("PATCH duplicate keys", "{\"disabled\": false, \"disabled\": true}"),
                bad("PATCH nested 100 levels", "{\"title\": " + "[".repeat(100) + "]".repeat(100) + "}"),
                arguments("PATCH body over 16 KiB", "{\"title\": \"" + "t".repeat(MAX_BODY) + "\"}", 413, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("patchBodies")
    void patchIsRefusedAndChangesNothing(String name, String body, int status, String field) {
        JsonNode before = node.get(LINKS + "/" + existing).json();
        long stored = node.storedLinks();
        assertProblem(node.patch(LINKS + "/" + existing, body), status, field);
        assertThat(node.get(LINKS + "/" + existing).json()).as("link after PATCH").isEqualTo(before);
        assertThat(node.storedLinks()).isEqualTo(stored);
        assertLive();
    }

    // ---------------------------------------------------------------- other requests

    private static final String VALID = "{\"url\": \"https://example.com/valid-body\"}";

    static Stream<Arguments> otherRequests() {
        return Stream.of(
                // Content types.
                other("POST as text/plain", n -> n.send("POST", LINKS, "text/plain", VALID), 415, null, null),
                other("POST as form-urlencoded", n -> n.send("POST", LINKS, "application/x-www-form-urlencoded",
                        "url=https%3A%2F%2Fexample.com%2Fform"), 415, null, null),
                other("POST as multipart", n -> n.send("POST", LINKS, "multipart/form-data; boundary=x",
                        "--x\r\nContent-Disposition: form-data; name=\"url\"\r\n\r\nhttps://example.com/m\r\n--x--\r\n"),
                        415, null, null),
                other("POST as text/json", n -> n.send("POST", LINKS, "text/json", VALID), 415, null, null),
                other("POST without Content-Type", n -> n.send("POST", LINKS, null, VALID), 415, null, null),
                other("PATCH as text/plain", n -> n.send("PATCH", LINKS + "/" + existing, "text/plain",
                        "{\"disabled\": true}"), 415, null, null),
                other("PATCH without Content-Type", n -> n.send("PATCH", LINKS + "/" + existing, null,
                        "{\"disabled\": true}"), 415, null, null),

                // Methods.
                other("PUT on the collection", n -> n.send("PUT", LINKS, "application/json", VALID), 405, null, "POST"),
                other("DELETE on the collection", n -> n.delete(LINKS), 405, null, "POST"),
                other("PATCH on the collection", n -> n.patch(LINKS, "{\"disabled\": true}"), 405, null, "POST"),
                other("PUT on a link", n -> n.send("PUT", LINKS + "/" + existing, "application/json", VALID), 405, null,
                        "PATCH"),
                other("POST on a link", n -> n.post(LINKS + "/" + existing, VALID), 405, null, "PATCH"),
                other("TRACE on the collection", n -> n.send("TRACE", LINKS, null, null), 405, null, "POST"),

                // Codes in the API path that cannot exist.
                other("GET link with a 65-character code", n -> n.get(LINKS + "/" + "a".repeat(65)), 404, null, null),
                other("GET link with an encoded ..", n -> n.get(LINKS + "/%2e%2e"), 404, null, null),
                other("DELETE link with an encoded NUL", n -> n.delete(LINKS + "/a%00b"), 404, null, null),
                other("DELETE link that does not exist", n -> n.delete(LINKS + "/nope0000"), 404, null, null),
                other("PATCH link that does not exist", n -> n.patch(LINKS + "/nope0000", "{\"disabled\": true}"),
                        404, null, null),

                // List parameters.
                other("list limit=0", n -> n.get(LINKS + "?limit=0"), 400, "limit", null),
                other("list limit=-1", n -> n.get(LINKS + "?limit=-1"), 400, "limit", null),
                other("list limit=1001", n -> n.get(LINKS + "?limit=1001"), 400, "limit", null),
                other("list limit=abc", n -> n.get(LINKS + "?limit=abc"), 400, "limit", null),
                other("list limit empty", n -> n.get(LINKS + "?limit="), 400, "limit", null),
                other("list limit 1e3", n -> n.get(LINKS + "?limit=1e3"), 400, "limit", null),
                other("list limit overflowing an int", n -> n.get(LINKS + "?limit=4294967297"), 400, "limit", null),
                other("list cursor garbage", n -> n.get(LINKS + "?cursor=garbage!"), 400, "cursor", null),
                other("list cursor for id 0", n -> n.get(LINKS + "?cursor=" + b64("v1:0")), 400, "cursor", null),
                other("list cursor for a negative id", n -> n.get(LINKS + "?cursor=" + b64("v1:-5")), 400, "cursor", null),
                other("list cursor not a number", n -> n.get(LINKS + "?cursor=" + b64("v1:abc")), 400, "cursor", null),
                other("list cursor of another version", n -> n.get(LINKS + "?cursor=" + b64("v2:5")), 400, "cursor", null),
                other("list cursor overflowing a long", n -> n.get(LINKS + "?cursor=" + b64("v1:99999999999999999999")),
                        400, "cursor", null),
                other("list cursor with NUL", n -> n.get(LINKS + "?cursor=%00"), 400, "cursor", null),

                // Bodies the string client cannot send.
                other("invalid UTF-8 in the body", n -> bytes(n, "POST", LINKS,
                        concat("{\"url\": \"https://example.com/".getBytes(StandardCharsets.US_ASCII),
                                new byte[] {(byte) 0xff, (byte) 0xfe}, "\"}".getBytes(StandardCharsets.US_ASCII)),
                        false), 400, null, null),
                other("overlong UTF-8 encoding of /", n -> bytes(n, "POST", LINKS,
                        concat("{\"url\": \"https://example.com".getBytes(StandardCharsets.US_ASCII),
                                new byte[] {(byte) 0xc0, (byte) 0xaf}, "\"}".getBytes(StandardCharsets.US_ASCII)),
                        false), 400, null, null),
                other("chunked body over 16 KiB", n -> bytes(n, "POST", LINKS,
                        ("{\"url\": \"https://example.com/chunked\", \"title\": \"" + "t".repeat(MAX_BODY) + "\"}")
                                .getBytes(StandardCharsets.US_ASCII), true), 413, null, null),

                // The redirect path with hostile codes, as an API client.
                other("redirect with a 65-character code", n -> n.get("/" + "a".repeat(65), "Accept", "application/json"),
                        404, null, null),
                other("redirect with an encoded CR/LF", n -> n.get("/abc%0d%0aSet-Cookie:x=1", "Accept", "application/json"),
                        404, null, null),
                other("preview of an encoded ..", n -> n.get("/%2e%2e+", "Accept", "application/json"), 404, null, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("otherRequests")
    void requestIsRefused(String name, Function<TestNode, Response> request, int status, String field, String allow) {
        JsonNode link = node.get(LINKS + "/" + existing).json();
        long before = node.storedLinks();
        Response r = request.apply(node);
        assertProblem(r, status, field);
        assertThat(r.header("Set-Cookie")).isNull();
        assertThat(r.header("Location")).isNull();
        if (allow != null) {
            assertThat(r.header("Allow")).as("Allow header").isNotNull().contains(allow);
        }
        assertThat(node.storedLinks()).as("links stored").isEqualTo(before);
        assertThat(node.get(LINKS + "/" + existing).json()).as("existing link").isEqualTo(link);
        assertLive();
    }

    // ---------------------------------------------------------------- raw HTTP

    /**
     * Requests written byte for byte. {@link TestNode#raw} half-closes the connection after
     * sending, so every case here is one the server answers before any asynchronous work.
     */
    static Stream<Arguments> rawRequests() {
        return Stream.of(
                raw("dot-dot path traversal", get("/../../etc/passwd"), Set.of(400, 404)),
                raw("percent-encoded dot-dot traversal", get("/%2e%2e/%2e%2e/etc/passwd"), Set.of(400, 404)),
                raw("encoded slash traversal to the API", get("/%2e%2e%2fapi%2fv1%2flinks"), Set.of(400, 404)),
                raw("encoded CR/LF in the path", get("/abc%0d%0aSet-Cookie:x"), Set.of(400, 404)),
                raw("encoded CR/LF in a preview path", get("/abc%0d%0aSet-Cookie:x+"), Set.of(400, 404)),
                raw("encoded NUL in the path", get("/abc%00"), Set.of(400, 404)),
                raw("raw CR/LF splitting the request line",
                        "GET /abc\r\nSet-Cookie: x=1 HTTP/1.1\r\nHost: kurz.test\r\nConnection: close\r\n\r\n",
                        Set.of(400, 404)),
                raw("absolute-form target naming another host",
                        "GET http://evil.example/%2e%2e/etc/passwd HTTP/1.1\r\nHost: kurz.test\r\nAccept: application/json\r\n"
                                + "Connection: close\r\n\r\n", Set.of(400, 404)),
                raw("20,000-character path", get("/" + "a".repeat(20_000)), Set.of(400, 414)),
                raw("header line over 16 KiB",
                        "GET /health/live HTTP/1.1\r\nHost: kurz.test\r\nX-Big: " + "b".repeat(17 * 1024)
                                + "\r\nConnection: close\r\n\r\n", Set.of(400, 431)),
                raw("thousands of headers",
                        "GET /health/live HTTP/1.1\r\nHost: kurz.test\r\n" + "X-H: v\r\n".repeat(4_000)
                                + "Connection: close\r\n\r\n", Set.of(400, 431)),
                raw("garbage instead of a request line", "\u0000\u0001\u0002 nonsense\r\n\r\n", Set.of(400)),
                raw("negative Content-Length", post("Content-Length: -1\r\n", VALID), Set.of(400)),
                raw("non-numeric Content-Length", post("Content-Length: abc\r\n", VALID), Set.of(400)),
                raw("Content-Length beyond 2^63", post("Content-Length: 99999999999999999999\r\n", VALID), Set.of(400, 413)),
                // The whole oversized body is sent: a client that sends part of a body and then
                // half-closes has given up on its request, and on io_uring the server may close
                // without an answer (measured: 296 of 300 times; epoll happened to answer first).
                raw("Content-Length over the limit", post("Content-Length: " + (MAX_BODY + 1) + "\r\n",
                        "x".repeat(MAX_BODY + 1)), Set.of(400, 413)),
                raw("conflicting Content-Length headers",
                        post("Content-Length: " + VALID.length() + "\r\nContent-Length: 5\r\n", VALID), Set.of(400)),
                raw("chunk size overflow",
                        post("Transfer-Encoding: chunked\r\n", "fffffffffffffffffff\r\n" + VALID + "\r\n0\r\n\r\n"),
                        Set.of(400, 413)),
                raw("chunked body over 16 KiB",
                        post("Transfer-Encoding: chunked\r\n", chunked("{\"url\": \"https://example.com/c\", \"title\": \""
                                + "t".repeat(MAX_BODY) + "\"}")), Set.of(413)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rawRequests")
    void rawRequestIsRefused(String name, String request, Set<Integer> statuses) {
        long before = node.storedLinks();
        String answer = node.raw(request);
        assertThat(answer).as("the server answers with a status line").startsWith("HTTP/1.");
        int status = Integer.parseInt(answer.substring(9, 12));
        int end = answer.indexOf("\r\n\r\n");
        String head = (end < 0 ? answer : answer.substring(0, end)).toLowerCase(Locale.ROOT);
        assertThat(status).as("status of %s", head).isBetween(400, 499).isIn(statuses);
        assertThat(head).doesNotContain("\r\nset-cookie").doesNotContain("\r\nlocation");
        assertThat(node.storedLinks()).as("links stored").isEqualTo(before);
        assertLive();
    }

    // ---------------------------------------------------------------- helpers

    /** {@code field}: the field(s), comma-separated, the errors must name; null if none. */
    private static void assertProblem(Response r, int status, String field) {
        JsonNode p = r.problem(status);
        String type = p.path("type").asText();
        if (field != null) {
            assertThat(type).isEqualTo("urn:kurz:problem:invalid-field");
            List<String> fields = new ArrayList<>();
            p.path("errors").forEach(e -> fields.add(e.path("field").asText()));
            assertThat(fields).as("errors of %s", r.body()).contains(field.split(","));
        } else if (status == 400) {
            assertThat(type).isEqualTo("urn:kurz:problem:bad-json");
        } else {
            assertThat(type).isEqualTo("urn:kurz:problem:" + switch (status) {
                case 404 -> "not-found";
                case 405 -> "method-not-allowed";
                case 413 -> "body-too-large";
                case 415 -> "unsupported-media-type";
                default -> throw new IllegalArgumentException("no type known for " + status);
            });
        }
    }

    private static void assertLive() {
        assertThat(node.get("/health/live").status()).as("node still live").isEqualTo(200);
    }

    private static Arguments bad(String name, String body) {
        return arguments(name, body, 400, null);
    }

    private static Arguments invalid(String name, String body, String field) {
        return arguments(name, body, 400, field);
    }

    private static Arguments url(String name, String url) {
        return invalid(name, "{\"url\": " + jsonString(url) + "}", "url");
    }

    private static Arguments alias(String name, String alias) {
        return invalid(name, "{\"url\": \"https://example.com/alias\", \"alias\": " + jsonString(alias) + "}", "alias");
    }

    private static Arguments other(String name, Function<TestNode, Response> request, int status, String field,
                                   String allow) {
        return arguments(name, request, status, field, allow);
    }

    private static Arguments raw(String name, String request, Set<Integer> statuses) {
        return arguments(name, request, statuses);
    }

    private static String get(String target) {
        return "GET " + target + " HTTP/1.1\r\nHost: kurz.test\r\nAccept: application/json\r\nConnection: close\r\n\r\n";
    }

    private static String post(String headers, String body) {
        return "POST " + LINKS + " HTTP/1.1\r\nHost: kurz.test\r\nContent-Type: application/json\r\n"
                + "Accept: application/json\r\nConnection: close\r\n" + headers + "\r\n" + body;
    }

    private static String chunked(String body) {
        var out = new StringBuilder();
        for (int i = 0; i < body.length(); i += 1000) {
            String part = body.substring(i, Math.min(body.length(), i + 1000));
            out.append(Integer.toHexString(part.length())).append("\r\n").append(part).append("\r\n");
        }
        return out.append("0\r\n\r\n").toString();
    }

    private static String b64(String s) {
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.US_ASCII));
    }

    /** A JSON string literal for {@code s}, escaping everything outside printable ASCII. */
    private static String jsonString(String s) {
        var out = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    private static byte[] concat(byte[]... parts) {
        var out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Sends {@code body} as JSON, with a Content-Length or (if {@code chunked}) chunked. */
    private static Response bytes(TestNode n, String method, String path, byte[] body, boolean chunked) {
        HttpRequest.BodyPublisher publisher = chunked
                ? HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))
                : HttpRequest.BodyPublishers.ofByteArray(body);
        var request = HttpRequest.newBuilder(n.base.resolve(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .method(method, publisher)
                .build();
        try {
            HttpResponse<String> r = BYTES.send(request, HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.headers().map(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
