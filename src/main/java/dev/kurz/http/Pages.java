package dev.kurz.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * The small HTML pages kurz serves itself. Every user-supplied value goes through
 * {@link #escape}; every page carries a strict Content-Security-Policy (no scripts at all, styles
 * only from our own stylesheet), so even a missed escape cannot run code.
 */
public final class Pages {

    private Pages() {}

    static final String CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /** True unless the client asked for JSON: browsers and curl get HTML, API clients get JSON. */
    public static boolean prefersHtml(HttpServerRequest request) {
        String accept = request.getHeader(HttpHeaders.ACCEPT);
        return accept == null || !(accept.contains("application/json") || accept.contains("application/problem+json"));
    }

    /** Ends the response with an HTML page and the security headers every page gets. */
    public static void send(HttpServerResponse response, int status, String html) {
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
                .putHeader("Content-Security-Policy", CSP)
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("X-Frame-Options", "DENY")
                .putHeader("Referrer-Policy", "no-referrer")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(Buffer.buffer(html));
    }

    /** A page with a heading and one paragraph, e.g. for 404 and 410. */
    public static String message(String title, String text) {
        return page(title, "<h1>" + escape(title) + "</h1>\n<p>" + escape(text) + "</p>\n"
                + "<p><a href=\"/\">kurz</a></p>");
    }

    /** Wraps a body in the page skeleton. {@code body} must already be escaped. */
    public static String page(String title, String body) {
        return """
                <!doctype html>
                <html lang="en">
                <head>
                <meta charset="utf-8">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <title>%s</title>
                <link rel="stylesheet" href="/static/kurz.css">
                </head>
                <body>
                <main>
                %s
                </main>
                </body>
                </html>
                """.formatted(escape(title), body);
    }

    /** HTML-escapes text for element content and double- or single-quoted attributes. */
    public static String escape(String s) {
        if (s == null) {
            return "";
        }
        var out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
