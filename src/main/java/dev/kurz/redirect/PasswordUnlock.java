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
import dev.kurz.link.LinkService;
import dev.kurz.link.ShortCodes;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * {@code POST /{code}} with the form field {@code password}: the only way through a
 * password-protected link. The password is read from the form body only (a {@code ?password=}
 * in the URL is ignored: URLs end up in logs and histories).
 *
 * <p>Order, cheapest first: the client address's password budget (429 when spent, so guessing is
 * slow whatever the password), the link (404/410 as for a redirect), then the slow Argon2id check
 * on a virtual thread. The right password answers {@code 303 See Other} to the target, whatever the
 * link's redirect status: a 307/308 would make the browser re-send the password to the target
 * site. The click is counted then, against {@code maxClicks} like any redirect. A wrong one answers
 * 403 with the form again and nothing about the target.
 */
public final class PasswordUnlock {

    /** The form has one field; anything bigger is not a password form. */
    static final int MAX_FORM_BYTES = 4096;
    private static final String FORM = "application/x-www-form-urlencoded";

    private final LinkCache cache;
    private final LinkService links;
    private final RateLimits limits;
    private final TrustedProxies proxies;
    private final ClickRecorder clicks;
    private final Blocking blocking;
    private final Clock clock;

    public PasswordUnlock(LinkCache cache, LinkService links, RateLimits limits, TrustedProxies proxies,
                          ClickRecorder clicks, Blocking blocking, Clock clock) {
        this.cache = cache;
        this.links = links;
        this.limits = limits;
        this.proxies = proxies;
        this.clicks = clicks;
        this.blocking = blocking;
        this.clock = clock;
    }

    public void mount(Router router) {
        // Only code-shaped, non-reserved paths: a broader route would turn other methods' 404s
        // (GET /admin, GET /a%0d%0a) into 405s.
        String reserved = ShortCodes.RESERVED.stream().map(Pattern::quote).collect(Collectors.joining("|"));
        router.postWithRegex("/(?!(?i:" + reserved + ")$)(?<code>[A-Za-z0-9_-]{1," + ShortCodes.MAX_ALIAS + "})")
                .setName("/{code}") // its template, for the route list (OpenAPI, metrics)
                .consumes(FORM)
                .handler(body())
                .handler(this::unlock);
    }

    /**
     * Reads the form, up to {@link #MAX_FORM_BYTES} (413 beyond). Vert.x decodes form bodies as
     * they arrive and reports a malformed one (a bad {@code %} escape) as a raw Netty exception on
     * the request, which would answer 500: it is the client's mistake, so it is a 400 here.
     */
    private static Handler<RoutingContext> body() {
        BodyHandler reader = BodyHandler.create(false).setBodyLimit(MAX_FORM_BYTES);
        return ctx -> {
            reader.handle(ctx);
            ctx.request().exceptionHandler(failure -> {
                if (!ctx.failed() && !ctx.response().ended()) {
                    ctx.fail(Problem.invalid("password", "the form body is not valid application/x-www-form-urlencoded"));
                }
            });
        };
    }

    /** What a password attempt came to. */
    private sealed interface Outcome {
        record Redirect(String url) implements Outcome {}
        record Wrong() implements Outcome {}
        record NotProtected() implements Outcome {}
    }

    private void unlock(RoutingContext ctx) {
        String code = ctx.pathParam("code");
        if (code == null || !ShortCodes.isCodeShaped(code, 0, code.length()) || ShortCodes.isReserved(code)) {
            throw Problem.notFound("There is no short link at " + ctx.request().path() + ".");
        }
        String password = password(ctx);
        String client = proxies.clientAddress(ctx.request());
        Visit visit = clicks.visit(ctx.request()); // read the headers here, on the event loop
        blocking.call(() -> attempt(code, password, client, visit)).onComplete(ar -> {
            if (ar.failed()) {
                ctx.fail(ar.cause());
                return;
            }
            switch (ar.result()) {
                case Outcome.Redirect r -> ctx.response().setStatusCode(303)
                        .putHeader(HttpHeaders.LOCATION, r.url())
                        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                        .putHeader("Referrer-Policy", "no-referrer")
                        .end();
                case Outcome.NotProtected n -> ctx.response().setStatusCode(303)
                        .putHeader(HttpHeaders.LOCATION, "/" + code)
                        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                        .end();
                case Outcome.Wrong w -> {
                    if (Pages.prefersHtml(ctx.request())) {
                        Pages.send(ctx.response(), 403, PasswordPage.form(code, "Wrong password. Try again."));
                    } else {
                        Problems.send(ctx.request(), Problem.forbidden("wrong password"));
                    }
                }
            }
        });
    }

    /** Runs on a virtual thread: may wait for Redis, the database and the hash. */
    private Outcome attempt(String code, String password, String client, Visit visit) {
        Verdict verdict = limits.consume(Budget.PASSWORD, client, false).join();
        if (!verdict.allowed()) {
            throw verdict.problem();
        }
        CachedLink cached = cache.lookup(code).join();
        if (!cached.exists() || cached.disabled()) {
            throw Problem.notFound("There is no short link at /" + code + ".");
        }
        if (cached.isExpired(clock.millis())) {
            throw Problem.gone("This short link has expired.");
        }
        if (!cached.passwordProtected()) {
            return new Outcome.NotProtected();
        }
        if (!links.checkPassword(code, password)) {
            return new Outcome.Wrong();
        }
        if (!visit.bot() && !cached.tryClick()) {
            throw Problem.gone("This short link has reached its click limit.");
        }
        clicks.record(cached.id, visit);
        Reference.reachabilityFence(cached); // its click count stays until the click is recorded (LinkCache)
        return new Outcome.Redirect(cached.url());
    }

    /** The one {@code password} field of the form body; 400 if missing, repeated or malformed. */
    private static String password(RoutingContext ctx) {
        String body = ctx.body().asString(StandardCharsets.UTF_8.name());
        List<String> values;
        try {
            values = new QueryStringDecoder(body == null ? "" : body, StandardCharsets.UTF_8, false)
                    .parameters().get("password");
        } catch (IllegalArgumentException e) {
            throw Problem.invalid("password", "the form body is not valid application/x-www-form-urlencoded");
        }
        if (values == null || values.size() != 1 || values.getFirst().isEmpty()) {
            throw Problem.invalid("password", "send exactly one non-empty form field 'password'");
        }
        String password = values.getFirst();
        if (password.length() > 256) {
            throw Problem.invalid("password", "is longer than any link password");
        }
        return password;
    }
}
