package dev.kurz.support;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kurz.App;
import dev.kurz.auth.Role;
import dev.kurz.config.Settings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A real kurz node for tests: started through {@link App#start} (the same wiring as production)
 * on a free port, with its data in {@code dataDir}, and a real HTTP client that never follows
 * redirects.
 *
 * <p>Rate limits are off unless a test sets a {@code KURZ_RATE_*} variable: most tests send far
 * more requests from one address than any sane budget allows. {@link #patch} and {@link #delete}
 * act as an admin (anonymous callers can't edit links), with a key made on first use.
 */
public final class TestNode implements AutoCloseable {

    public static final ObjectMapper JSON = new ObjectMapper();

    public final Path dataDir;
    public final Map<String, String> env;
    public final MutableClock clock;
    public final App app;
    public final URI base;
    private String adminKey;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private TestNode(Path dataDir, Map<String, String> env, MutableClock clock, App app) {
        this.dataDir = dataDir;
        this.env = Map.copyOf(env);
        this.clock = clock;
        this.app = app;
        this.base = URI.create("http://127.0.0.1:" + app.port());
    }

    /** Starts a node on SQLite in {@code dataDir}; {@code env} overrides individual settings. */
    public static TestNode start(Path dataDir, Map<String, String> env) {
        return start(dataDir, env, new MutableClock());
    }

    public static TestNode start(Path dataDir, Map<String, String> env, MutableClock clock) {
        var vars = new HashMap<String, String>();
        vars.put("KURZ_PORT", "0");
        vars.put("KURZ_HOST", "127.0.0.1");
        vars.put("KURZ_DATA_DIR", dataDir.toString());
        vars.put("KURZ_BASE_URL", "http://kurz.test");
        vars.put("KURZ_CLICK_FLUSH_MS", "3600000"); // tests flush explicitly
        vars.put("KURZ_CLICK_FOLD_MS", "3600000"); // (a fold journals what is counted first)
        vars.put("KURZ_SHUTDOWN_GRACE", "2s");
        vars.put("KURZ_SERVE_WORKER", "false"); // tests that need a worker start or enable one
        for (String rate : List.of("KURZ_RATE_CREATE", "KURZ_RATE_CREATE_PER_KEY", "KURZ_RATE_REDIRECT",
                "KURZ_RATE_NOT_FOUND", "KURZ_RATE_PASSWORD")) {
            vars.put(rate, "off");
        }
        vars.putAll(env);
        return new TestNode(dataDir, vars, clock, App.start(Settings.from(vars), clock));
    }

    /** An HTTP response, as a client sees it. */
    public record Response(int status, Map<String, java.util.List<String>> headers, String body) {
        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().getFirst()).findFirst().orElse(null);
        }

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        /** Asserts this is an RFC 9457 problem with {@code status} and returns its body. */
        public JsonNode problem(int expectedStatus) {
            assertThat(status).as("status of %s", body).isEqualTo(expectedStatus);
            assertThat(header("Content-Type")).isEqualTo("application/problem+json");
            JsonNode p = json();
            assertThat(p.path("type").asText()).startsWith("urn:kurz:problem:");
            assertThat(p.path("status").asInt()).isEqualTo(expectedStatus);
            assertThat(p.path("title").asText()).isNotBlank();
            assertThat(p.path("detail").asText()).isNotBlank();
            return p;
        }
    }

    public Response send(String method, String path, String contentType, String body, String... headers) {
        var builder = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30));
        if (contentType != null) {
            builder.header("Content-Type", contentType);
        }
        for (int i = 0; i < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        builder.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body));
        try {
            HttpResponse<String> r = http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.headers().map(), r.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public Response get(String path, String... headers) {
        return send("GET", path, null, null, headers);
    }

    public Response head(String path) {
        return send("HEAD", path, null, null);
    }

    public Response post(String path, String json) {
        return send("POST", path, "application/json", json);
    }

    /** PATCH as an admin. */
    public Response patch(String path, String json) {
        return send("PATCH", path, "application/json", json, "Authorization", "Bearer " + adminKey());
    }

    /** DELETE as an admin. */
    public Response delete(String path) {
        return send("DELETE", path, null, null, "Authorization", "Bearer " + adminKey());
    }

    /** An admin key of this node's database, created on first use. */
    public synchronized String adminKey() {
        if (adminKey == null) {
            adminKey = key("test-admin", Role.ADMIN);
        }
        return adminKey;
    }

    /** A new API key with {@code role}, as {@code kurz keys create} would make it. */
    public String key(String name, Role role) {
        return app.apiKeys().create(name, role).secret();
    }

    /** {@code Authorization} header name and value for {@code key}, for the header varargs. */
    public static String[] bearer(String key) {
        return new String[] {"Authorization", "Bearer " + key};
    }

    /** Creates a link from a JSON body and returns its code; fails the test unless 201. */
    public String create(String json) {
        Response r = post("/api/v1/links", json);
        assertThat(r.status()).as("create %s -> %s", json, r.body()).isEqualTo(201);
        return r.json().path("code").asText();
    }

    /** Sends raw bytes on a fresh connection and returns everything the server answered. */
    public String raw(String request) {
        try (Socket s = new Socket(base.getHost(), base.getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Rows in the links table, read straight from the database (what really landed). */
    public long storedLinks() {
        return count("SELECT count(*) FROM links");
    }

    public long count(String sql) {
        String pg = env.get("KURZ_DB_URL");
        try (var c = pg != null ? DriverManager.getConnection(pg, env.get("KURZ_DB_USER"), "")
                : DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("kurz.db"));
             var rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public void flushClicks() {
        app.flushClicks();
    }

    @Override
    public void close() {
        app.close();
    }
}
