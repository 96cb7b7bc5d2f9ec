package dev.kurz.redirect;

import dev.kurz.auth.RateLimits;
import dev.kurz.auth.RateLimits.Budget;
import dev.kurz.auth.RateLimits.Verdict;
import dev.kurz.click.ClickRecorder;
import dev.kurz.click.Visit;
import dev.kurz.http.Blocking;
import dev.kurz.http.Pages;
import dev.kurz.http.Problem;
import dev.kurz.http.Problems;
import dev.kurz.http.TrustedProxies;
import dev.kurz.link.Link;
import dev.kurz.link.LinkService;
import dev.kurz.link.ShortCodes;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.lang.ref.Reference;
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
 *
 * <p>Abuse limits ({@link RateLimits}): every request spends one token of the client address's
 * redirect budget, and every unknown-code answer one of its 404 budget. A client whose 404 budget
 * ran out gets 429 for codes this node hasn't cached, before any database lookup, so scanning
 * random codes is throttled long before it costs anything; links already in the cache keep
 * working for it. Without Redis both checks are local and complete at once.
 *
 * <p>Password-protected links answer with {@link PasswordPage}'s form, whether they come from the
 * cache or not: the redirect itself only happens in {@link PasswordUnlock}, after the check.
 */
public final class RedirectHandler {

    private static final CharSequence NO_STORE = HttpHeaders.createOptimized("no-store");

    /** What {@link #accepts} takes, as method and path template (the router never sees these). */
    public static final java.util.List<String> ROUTES = java.util.List.of("GET /{code}", "HEAD /{code}",
            "GET /{code}+", "HEAD /{code}+");

    private final LinkCache cache;
    private final RateLimits limits;
    private final TrustedProxies proxies;
    private final ClickRecorder clicks;
    private final LinkService links;
    private final Blocking blocking;
    private final Clock clock;
    private final URI baseUrl;
    private final long permanentMaxAgeSeconds;
    private final CharSequence permanentCacheControl;

    public RedirectHandler(LinkCache cache, RateLimits limits, TrustedProxies proxies, ClickRecorder clicks,
                           LinkService links, Blocking blocking, Clock clock, URI baseUrl, Duration permanentMaxAge) {
        this.cache = cache;
        this.limits = limits;
        this.proxies = proxies;
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
        return ShortCodes.isCodeShaped(path, 1, end) && !ShortCodes.isReserved(path, 1, end);
    }

    public void handle(HttpServerRequest request) {
        String client = proxies.clientAddress(request);
        CompletableFuture<Verdict> spend = limits.consume(Budget.REDIRECT, client, true);
        if (spend.isDone()) { // no Redis: decided already, and no lambda to allocate
            Verdict verdict = spend.join();
            if (verdict.allowed()) {
                serve(request, client);
            } else {
                Problems.send(request, verdict.problem());
            }
            return;
        }
        whenAllowed(request, spend, () -> serve(request, client));
    }

    private void serve(HttpServerRequest request, String client) {
        String path = request.path();
        if (path.endsWith("+")) {
            preview(request, path.substring(1, path.length() - 1), client);
            return;
        }
        Object key = CodeKeys.of(path, 1, path.length()); // no String cut out of the path on a hit
        CachedLink hit = cache.peek(key);
        if (hit != null) {
            respond(request, hit, client);
            return;
        }
        Problem refused = limits.refusedLately(Budget.NOT_FOUND, client);
        if (refused != null) {
            Problems.send(request, refused);
            return;
        }
        CompletableFuture<CachedLink> entry = cache.lookup(key);
        if (entry.isDone() && !entry.isCompletedExceptionally()) {
            respond(request, entry.join(), client);
            return;
        }
        Context context = Vertx.currentContext();
        entry.whenComplete((cached, failure) -> context.runOnContext(v -> {
            if (failure != null) {
                Problems.send(request, Problems.from(failure));
            } else {
                respond(request, cached, client);
            }
        }));
    }

    /** Runs {@code onAllowed} once {@code spend} allows it (at once if already decided), else answers 429. */
    private static void whenAllowed(HttpServerRequest request, CompletableFuture<Verdict> spend, Runnable onAllowed) {
        if (spend.isDone()) {
            decide(request, spend.join(), onAllowed);
            return;
        }
        Context context = Vertx.currentContext();
        spend.whenComplete((verdict, failure) -> context.runOnContext(v -> decide(request, verdict, onAllowed)));
    }

    private static void decide(HttpServerRequest request, Verdict verdict, Runnable onAllowed) {
        if (verdict.allowed()) {
            onAllowed.run();
        } else {
            Problems.send(request, verdict.problem());
        }
    }

    private void respond(HttpServerRequest request, CachedLink cached, String client) {
        boolean counts = request.method() == HttpMethod.GET;
        if (!cached.exists() && counts) {
            clicks.recordOrphan(request.path().substring(1));
        }
        int outcome = decide(cached, counts && cached.exists() ? clicks.visit(request) : null, clock.millis());
        switch (outcome) {
            case NOT_FOUND -> notFound(request, client);
            case EXPIRED -> gone(request, "This short link has expired.");
            case EXHAUSTED -> gone(request, "This short link has reached its click limit.");
            case PASSWORD -> askForPassword(request, request.path().substring(1));
            default -> request.response()
                    .setStatusCode(outcome)
                    .putHeader(HttpHeaders.LOCATION, cached.location())
                    .putHeader(HttpHeaders.CACHE_CONTROL, cacheControl(cached))
                    .end();
        }
    }

    // What decide() may answer besides a redirect status.
    static final int NOT_FOUND = -1;
    static final int EXPIRED = -2;
    static final int EXHAUSTED = -3;
    static final int PASSWORD = -4;

    /**
     * The in-memory heart of a redirect, apart from the HTTP objects (and benchmarked so): the
     * redirect status to answer {@code cached} with, counting the click, or why not to redirect.
     * {@code visit} is null for a request that doesn't count as a click (HEAD).
     */
    int decide(CachedLink cached, Visit visit, long now) {
        if (!cached.exists() || cached.disabled()) {
            return NOT_FOUND;
        }
        if (cached.isExpired(now)) {
            return EXPIRED;
        }
        if (cached.passwordProtected()) {
            return PASSWORD;
        }
        // Bots are counted apart and take nothing from the click budget (but see no link past it).
        boolean counts = visit != null;
        if (counts && !visit.bot() ? !cached.tryClick() : cached.exhausted()) {
            return EXHAUSTED;
        }
        if (counts) {
            clicks.record(cached.id, visit);
            // Hold the entry, and so its click count, until the click is recorded (see LinkCache).
            Reference.reachabilityFence(cached);
        }
        return cached.redirectStatus;
    }

    /**
     * Temporary redirects (and any link with a click limit) are never cached by clients, so every
     * click reaches us. Permanent ones may be cached for a bounded time (never past expiry), so an
     * edit takes effect in browsers after at most {@code KURZ_REDIRECT_MAX_AGE}.
     */
    private CharSequence cacheControl(CachedLink link) {
        boolean permanent = link.redirectStatus == 301 || link.redirectStatus == 308;
        if (!permanent || link.hasClickLimit()) {
            return NO_STORE;
        }
        if (!link.expires()) {
            return permanentCacheControl;
        }
        long untilExpiry = Math.max(0, (link.expiresAt() - clock.millis()) / 1000);
        return "public, max-age=" + Math.min(untilExpiry, permanentMaxAgeSeconds);
    }

    /** Browsers get the form; API clients a problem that says where to send the password. */
    static void askForPassword(HttpServerRequest request, String code) {
        if (Pages.prefersHtml(request)) {
            Pages.send(request.response(), 200, PasswordPage.form(code, null));
        } else {
            Problems.send(request, Problem.passwordRequired(code));
        }
    }

    private void preview(HttpServerRequest request, String code, String client) {
        Problem refused = limits.refusedLately(Budget.NOT_FOUND, client);
        if (refused != null) {
            Problems.send(request, refused);
            return;
        }
        io.vertx.core.Future<java.util.Optional<Link>> found;
        try {
            found = blocking.call(() -> links.find(code));
        } catch (RuntimeException e) { // rejected while shutting down: still answer
            Problems.send(request, Problems.from(e));
            return;
        }
        found.onComplete(ar -> {
            if (ar.failed()) {
                Problems.send(request, Problems.from(ar.cause()));
            } else if (ar.result().isEmpty() || ar.result().get().disabled()) {
                notFound(request, client);
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
        if (link.passwordProtected()) {
            // The target and title are what the password protects.
            return Pages.page("Preview of " + shortUrl, """
                    <h1>Where does this link go?</h1>
                    %s<dl>
                    <dt>Short link</dt><dd>%s</dd>
                    <dt>Goes to</dt><dd>(password-protected)</dd>
                    <dt>Created</dt><dd>%s</dd>
                    </dl>
                    %s""".formatted(state == null ? "" : "<p class=\"notice\">" + Pages.escape(state) + "</p>\n",
                    Pages.escape(shortUrl), Pages.escape(Instant.ofEpochMilli(link.createdAt()).toString()),
                    qrImage(link.code(), shortUrl)));
        }
        return Pages.page("Preview of " + shortUrl, """
                <h1>Where does this link go?</h1>
                %s<dl>
                <dt>Short link</dt><dd>%s</dd>
                <dt>Goes to</dt><dd><a href="%s" rel="noopener noreferrer nofollow">%s</a></dd>
                <dt>Title</dt><dd>%s</dd>
                <dt>Created</dt><dd>%s</dd>
                <dt>Clicks</dt><dd>%d</dd>
                </dl>
                %s""".formatted(
                state == null ? "" : "<p class=\"notice\">" + Pages.escape(state) + "</p>\n",
                Pages.escape(shortUrl), Pages.escape(link.url()), Pages.escape(link.url()),
                link.title() == null ? "&mdash;" : Pages.escape(link.title()),
                Pages.escape(Instant.ofEpochMilli(link.createdAt()).toString()), link.clicks(),
                qrImage(link.code(), shortUrl)));
    }

    /** The short link's QR code (an SVG from the QR endpoint; the page's CSP allows our images). */
    private static String qrImage(String code, String shortUrl) {
        return "<img class=\"qr-large\" src=\"/api/v1/links/" + Pages.escape(code) + "/qr?format=svg&amp;size=192\" "
                + "width=\"192\" height=\"192\" alt=\"QR code of " + Pages.escape(shortUrl) + "\">\n";
    }

    /** A 404, paid for from the client's 404 budget; 429 once that is used up. */
    private void notFound(HttpServerRequest request, String client) {
        whenAllowed(request, limits.consume(Budget.NOT_FOUND, client, true), () ->
                Problems.send(request, Problem.notFound("There is no short link at " + request.path() + ".")));
    }

    private static void gone(HttpServerRequest request, String why) {
        Problems.send(request, Problem.gone(why));
    }
}
