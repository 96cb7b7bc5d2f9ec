package dev.kurz.redirect;

import dev.kurz.click.ClickRecorder;
import dev.kurz.click.Visit;
import dev.kurz.http.Blocking;
import dev.kurz.http.Pages;
import dev.kurz.http.Problem;
import dev.kurz.http.Problems;
import dev.kurz.link.Link;
import dev.kurz.link.LinkService;
import dev.kurz.link.ShortCodes;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * The product's hot path: {@code GET /{code}} and {@code HEAD /{code}}.
 *
 * <p>Per request: check the path's shape (no regex), look the code up in {@link LinkCache}, check
 * disabled / expired / click budget, write the redirect, count the click in memory (with what the
 * statistics need: bot or not, user agent, referrer host, country; see {@link ClickRecorder}). On a
 * cache hit nothing blocks and nothing but the response and the click's counter key is allocated;
 * on a miss the answer is written when the load completes, back on the request's event loop. Hits
 * on unknown codes are counted as orphan visits. No logging, no exceptions on the normal path.
 *
 * <p>{@code GET /{code}+} shows a preview page instead of redirecting. Query strings are ignored:
 * no parameter can change where a link goes (no open redirect).
 */
public final class RedirectHandler {

    private static final CharSequence NO_STORE = HttpHeaders.createOptimized("no-store");

    private final LinkCache cache;
    private final ClickRecorder clicks;
    private final LinkService links;
    private final Blocking blocking;
    private final Clock clock;
    private final URI baseUrl;
    private final long permanentMaxAgeSeconds;
    private final CharSequence permanentCacheControl;

    public RedirectHandler(LinkCache cache, ClickRecorder clicks, LinkService links, Blocking blocking, Clock clock,
                           URI baseUrl, Duration permanentMaxAge) {
        this.cache = cache;
        this.clicks = clicks;
        this.links = links;
        this.blocking = blocking;
        this.clock = clock;
        this.baseUrl = baseUrl;
        this.permanentMaxAgeSeconds = permanentMaxAge.toSeconds();
        this.permanentCacheControl = HttpHeaders.createOptimized("public, max-age=" + permanentMaxAgeSeconds);
    }

    /**
     * Whether this handler owns the request: a GET or HEAD of one path segment that is not one of
     * kurz's own words ({@code /api}, {@code /health}, ...). Everything else goes to the router.
     */
    public boolean accepts(HttpServerRequest request) {
        HttpMethod method = request.method();
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            return false;
        }
        String path = request.path();
        if (path == null || path.length() < 2 || path.indexOf('/', 1) >= 0) {
            return false;
        }
        int end = path.endsWith("+") ? path.length() - 1 : path.length();
        return ShortCodes.isCodeShaped(path, 1, end) && !ShortCodes.isReserved(path.substring(1, end));
    }

    public void handle(HttpServerRequest request) {
        String path = request.path();
        if (path.endsWith("+")) {
            preview(request, path.substring(1, path.length() - 1));
            return;
        }
        String code = path.substring(1);
        CompletableFuture<CachedLink> entry = cache.lookup(code);
        if (entry.isDone() && !entry.isCompletedExceptionally()) {
            respond(request, code, entry.join());
            return;
        }
        Context context = Vertx.currentContext();
        entry.whenComplete((cached, failure) -> context.runOnContext(v -> {
            if (failure != null) {
                Problems.send(request, Problems.from(failure));
            } else {
                respond(request, code, cached);
            }
        }));
    }

    private void respond(HttpServerRequest request, String code, CachedLink cached) {
        Link link = cached.link;
        boolean counts = request.method() == HttpMethod.GET;
        if (link == null && counts) {
            clicks.recordOrphan(code);
        }
        if (link == null || link.disabled()) {
            notFound(request);
            return;
        }
        if (link.isExpired(clock.millis())) {
            gone(request, "This short link has expired.");
            return;
        }
        // Bots are counted apart and take nothing from the click budget (but see no link past it).
        Visit visit = counts ? clicks.visit(request) : null;
        if (counts && !visit.bot() ? !cached.tryClick() : cached.exhausted()) {
            gone(request, "This short link has reached its click limit.");
            return;
        }
        if (counts) {
            clicks.record(link.id(), visit);
        }
        request.response()
                .setStatusCode(link.redirectStatus())
                .putHeader(HttpHeaders.LOCATION, link.url())
                .putHeader(HttpHeaders.CACHE_CONTROL, cacheControl(link))
                .end();
    }

    /**
     * Temporary redirects (and any link with a click limit) are never cached by clients, so every
     * click reaches us. Permanent ones may be cached for a bounded time (never past expiry), so an
     * edit takes effect in browsers after at most {@code KURZ_REDIRECT_MAX_AGE}.
     */
    private CharSequence cacheControl(Link link) {
        boolean permanent = link.redirectStatus() == 301 || link.redirectStatus() == 308;
        if (!permanent || link.maxClicks() != null) {
            return NO_STORE;
        }
        if (link.expiresAt() == null) {
            return permanentCacheControl;
        }
        long untilExpiry = Math.max(0, (link.expiresAt() - clock.millis()) / 1000);
        return "public, max-age=" + Math.min(untilExpiry, permanentMaxAgeSeconds);
    }

    private void preview(HttpServerRequest request, String code) {
        blocking.call(() -> links.find(code)).onComplete(ar -> {
            if (ar.failed()) {
                Problems.send(request, Problems.from(ar.cause()));
            } else if (ar.result().isEmpty() || ar.result().get().disabled()) {
                notFound(request);
            } else {
                Pages.send(request.response(), 200, previewPage(ar.result().get()));
            }
        });
    }

    private String previewPage(Link link) {
        long now = clock.millis();
        String state = link.isExpired(now) ? "This link has expired and no longer redirects."
                : link.isExhausted(link.clicks()) ? "This link has reached its click limit and no longer redirects."
                : null;
        String shortUrl = baseUrl + "/" + link.code();
        return Pages.page("Preview of " + shortUrl, """
                <h1>Where does this link go?</h1>
                %s<dl>
                <dt>Short link</dt><dd>%s</dd>
                <dt>Goes to</dt><dd><a href="%s" rel="noopener noreferrer nofollow">%s</a></dd>
                <dt>Title</dt><dd>%s</dd>
                <dt>Created</dt><dd>%s</dd>
                <dt>Clicks</dt><dd>%d</dd>
                </dl>
                """.formatted(
                state == null ? "" : "<p class=\"notice\">" + Pages.escape(state) + "</p>\n",
                Pages.escape(shortUrl), Pages.escape(link.url()), Pages.escape(link.url()),
                link.title() == null ? "&mdash;" : Pages.escape(link.title()),
                Pages.escape(Instant.ofEpochMilli(link.createdAt()).toString()), link.clicks()));
    }

    private static void notFound(HttpServerRequest request) {
        Problems.send(request, Problem.notFound("There is no short link at " + request.path() + "."));
    }

    private static void gone(HttpServerRequest request, String why) {
        Problems.send(request, Problem.gone(why));
    }
}
