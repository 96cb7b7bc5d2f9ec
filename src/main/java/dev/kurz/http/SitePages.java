package dev.kurz.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * The web UI at {@code /} (static files from the jar: {@code static/index.html} and its plain JS
 * modules, no build step), the API reference at {@code /docs} (Swagger UI rendering
 * {@code /openapi.json}), their stylesheets, the vendored libraries (Chart.js, Swagger UI, from
 * their WebJars), and robots.txt. Everything is read once at start into memory; it never changes
 * while the node runs.
 *
 * <p>The UI page's CSP is as strict as {@link Pages}' except that it may run scripts and fetch
 * from this origin: {@code script-src 'self'} (no inline script, no eval), {@code style-src
 * 'self'} (no inline style), images from here and {@code data:}, nothing from anywhere else.
 */
public final class SitePages {

    static final String UI_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    /** The chart library, from its WebJar (Maven Central), under a versioned path. */
    static final String CHART_JS = "/static/vendor/chart.js/4.5.1/chart.umd.min.js";
    private static final String CHART_JAR = "META-INF/resources/webjars/chart.js/4.5.1/";
    private static final String SWAGGER = "/static/vendor/swagger-ui/5.30.2/";
    private static final String SWAGGER_JAR = "META-INF/resources/webjars/swagger-ui/5.30.2/";

    private record Asset(String contentType, Buffer body, String etag, boolean immutable) {}

    private final Map<String, Asset> pages;
    private final Map<String, Asset> assets;

    public SitePages() {
        this.pages = Map.of(
                "/", asset("static/index.html", "text/html; charset=utf-8", false),
                "/docs", asset("static/docs.html", "text/html; charset=utf-8", false));
        this.assets = Map.of(
                "/static/kurz.css", asset("static/kurz.css", "text/css; charset=utf-8", false),
                "/static/app.js", asset("static/app.js", "text/javascript; charset=utf-8", false),
                "/static/api.js", asset("static/api.js", "text/javascript; charset=utf-8", false),
                CHART_JS, asset(CHART_JAR + "dist/chart.umd.min.js", "text/javascript; charset=utf-8", true),
                "/static/vendor/chart.js/4.5.1/LICENSE.md", asset(CHART_JAR + "LICENSE.md", "text/plain; charset=utf-8", true),
                "/static/docs.js", asset("static/docs.js", "text/javascript; charset=utf-8", false),
                SWAGGER + "swagger-ui-bundle.js", asset(SWAGGER_JAR + "swagger-ui-bundle.js", "text/javascript; charset=utf-8", true),
                SWAGGER + "swagger-ui.css", asset(SWAGGER_JAR + "swagger-ui.css", "text/css; charset=utf-8", true));
    }

    public void mount(Router router) {
        pages.forEach((path, page) -> router.get(path).handler(ctx -> {
            ctx.response()
                    .putHeader("Content-Security-Policy", UI_CSP)
                    .putHeader("X-Frame-Options", "DENY")
                    .putHeader("Referrer-Policy", "no-referrer");
            send(ctx, page);
        }));
        // One route per file, so the route list (and the OpenAPI document) names each of them.
        assets.forEach((path, asset) -> router.get(path).handler(ctx -> send(ctx, asset)));
        router.get("/robots.txt").handler(ctx -> ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
                .end("User-agent: *\nDisallow: /api/\n"));
    }

    /**
     * Our own files are revalidated on every use (an upgrade shows at once; a 304 costs nothing);
     * vendored ones have the version in their path and are cached for a year.
     */
    private static void send(RoutingContext ctx, Asset asset) {
        var response = ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, asset.contentType())
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader(HttpHeaders.ETAG, asset.etag())
                .putHeader(HttpHeaders.CACHE_CONTROL, asset.immutable() ? "public, max-age=31536000, immutable" : "no-cache");
        if (asset.etag().equals(ctx.request().getHeader(HttpHeaders.IF_NONE_MATCH))) {
            response.setStatusCode(304).end();
        } else {
            response.end(asset.body());
        }
    }

    private static Asset asset(String path, String contentType, boolean immutable) {
        try (InputStream in = SitePages.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + path);
            }
            byte[] bytes = in.readAllBytes();
            String etag = "\"" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 12) + "\"";
            return new Asset(contentType, Buffer.buffer(bytes), etag, immutable);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }
}
