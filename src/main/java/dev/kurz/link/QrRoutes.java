package dev.kurz.link;

import dev.kurz.auth.RateLimits;
import dev.kurz.auth.RateLimits.Budget;
import dev.kurz.auth.RateLimits.Verdict;
import dev.kurz.http.Blocking;
import dev.kurz.http.Problem;
import dev.kurz.http.TrustedProxies;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.util.List;

/**
 * {@code GET /api/v1/links/{code}/qr?format=png|svg&size=}: the link's short URL as a QR code.
 *
 * <p>Access: anyone, without a key. A QR code holds nothing but the short URL, which anyone who
 * knows the code can write down, and whether a code exists is no secret either (the short link
 * answers 302 or 404 to everybody). So the rule is the short link's own: unknown and disabled
 * codes are 404, and every request spends the client address's {@code KURZ_RATE_REDIRECT} budget,
 * since drawing a code costs more CPU than a redirect. Password-protected links get their QR code
 * too; it leads to the password form.
 *
 * <p>Caching: the image depends only on the base URL and the code, so it is {@code public} for a
 * day. A link deleted meanwhile still has a QR code in some caches, pointing at its 404.
 */
public final class QrRoutes {

    private static final String CACHE_CONTROL = "public, max-age=86400";

    private final LinkService links;
    private final RateLimits limits;
    private final TrustedProxies proxies;
    private final Blocking blocking;
    private final URI baseUrl;

    public QrRoutes(LinkService links, RateLimits limits, TrustedProxies proxies, Blocking blocking, URI baseUrl) {
        this.links = links;
        this.limits = limits;
        this.proxies = proxies;
        this.blocking = blocking;
        this.baseUrl = baseUrl;
    }

    public void mount(Router router) {
        router.get("/api/v1/links/:code/qr").handler(this::qr);
    }

    private record Image(String contentType, Buffer body) {}

    private void qr(RoutingContext ctx) {
        String code = ctx.pathParam("code");
        if (code == null || !ShortCodes.isCodeShaped(code, 0, code.length())) {
            throw Problem.notFound("no link with code '" + code + "'");
        }
        String format = param(ctx, "format", "png");
        String sizeText = param(ctx, "size", String.valueOf(QrCodes.DEFAULT_SIZE));
        var errors = new java.util.ArrayList<Problem.FieldError>();
        if (!format.equals("png") && !format.equals("svg")) {
            errors.add(new Problem.FieldError("format", "must be png or svg"));
        }
        int size = size(sizeText);
        if (size < 0) {
            errors.add(new Problem.FieldError("size", "must be a whole number of pixels from " + QrCodes.MIN_SIZE
                    + " to " + QrCodes.MAX_SIZE));
        }
        if (!errors.isEmpty()) {
            throw Problem.invalid(errors);
        }
        String client = proxies.clientAddress(ctx.request());
        blocking.call(() -> {
            Verdict verdict = limits.consume(Budget.REDIRECT, client, true).join();
            if (!verdict.allowed()) {
                throw verdict.problem();
            }
            Link link = links.find(code).filter(l -> !l.disabled())
                    .orElseThrow(() -> Problem.notFound("no link with code '" + code + "'"));
            String shortUrl = baseUrl + "/" + link.code();
            return format.equals("svg")
                    ? new Image("image/svg+xml; charset=utf-8", Buffer.buffer(QrCodes.svg(shortUrl, size)))
                    : new Image("image/png", Buffer.buffer(QrCodes.png(shortUrl, size)));
        }).onComplete(ar -> {
            if (ar.failed()) {
                ctx.fail(ar.cause());
                return;
            }
            ctx.response()
                    .putHeader(HttpHeaders.CONTENT_TYPE, ar.result().contentType())
                    .putHeader(HttpHeaders.CACHE_CONTROL, CACHE_CONTROL)
                    .putHeader("X-Content-Type-Options", "nosniff")
                    // An SVG opened on its own is a document: it may run nothing and load nothing.
                    .putHeader("Content-Security-Policy", "default-src 'none'")
                    .end(ar.result().body());
        });
    }

    private static String param(RoutingContext ctx, String name, String fallback) {
        List<String> values = ctx.queryParam(name);
        return values.isEmpty() || values.getFirst().isEmpty() ? fallback : values.getFirst();
    }

    /** The size in pixels, or -1 if it is not a whole number within the bounds. */
    private static int size(String text) {
        if (text.length() > 5) {
            return -1;
        }
        try {
            int n = Integer.parseInt(text);
            return n >= QrCodes.MIN_SIZE && n <= QrCodes.MAX_SIZE ? n : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
