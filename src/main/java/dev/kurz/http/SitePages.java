package dev.kurz.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;

/** The home page, the stylesheet and robots.txt. Rendered once at start; they never change. */
public final class SitePages {

    private final String home;
    private final Buffer css;

    public SitePages(URI baseUrl) {
        this.home = home(baseUrl.toString());
        this.css = resource("static/kurz.css");
    }

    public void mount(Router router) {
        router.get("/").handler(ctx -> Pages.send(ctx.response(), 200, home));
        router.get("/static/kurz.css").handler(ctx -> ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/css; charset=utf-8")
                .putHeader(HttpHeaders.CACHE_CONTROL, "public, max-age=3600")
                .putHeader("X-Content-Type-Options", "nosniff")
                .end(css));
        router.get("/robots.txt").handler(ctx -> ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
                .end("User-agent: *\nDisallow: /api/\n"));
    }

    private static String home(String base) {
        String b = Pages.escape(base);
        return Pages.page("kurz", """
                <h1>kurz</h1>
                <p>kurz is a self-hosted URL shortener: it turns long links into short ones and redirects
                them fast. This instance serves short links under <code>%1$s/</code>.</p>
                <h2>Shorten a URL</h2>
                <pre>curl -s %1$s/api/v1/links -H 'Content-Type: application/json' \\
                  -d '{"url": "https://example.com/a/very/long/path"}'</pre>
                <p>Options: <code>alias</code>, <code>title</code>, <code>expiresAt</code> (ISO-8601),
                <code>maxClicks</code>, <code>redirectStatus</code> (301, 302, 307 or 308).</p>
                <h2>Look, edit, delete</h2>
                <pre>curl -s %1$s/api/v1/links/CODE
                curl -s -X PATCH %1$s/api/v1/links/CODE -H "Authorization: Bearer $KEY" \
                  -H 'Content-Type: application/json' -d '{"title": "New title"}'
                curl -s -X DELETE %1$s/api/v1/links/CODE -H "Authorization: Bearer $KEY"
                curl -s '%1$s/api/v1/links?limit=50' -H "Authorization: Bearer $KEY"</pre>
                <p>Editing, deleting and listing need an API key (<code>kurz keys create</code>);
                links made without one can't be changed.</p>
                <p>Add <code>+</code> to a short link (<code>%1$s/CODE+</code>) to see where it goes
                without following it.</p>
                """.formatted(b));
    }

    private static Buffer resource(String path) {
        try (InputStream in = SitePages.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + path);
            }
            return Buffer.buffer(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
