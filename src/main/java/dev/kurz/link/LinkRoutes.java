package dev.kurz.link;

import dev.kurz.auth.Authenticator;
import dev.kurz.auth.Caller;
import dev.kurz.auth.RateLimits;
import dev.kurz.auth.RateLimits.Budget;
import dev.kurz.auth.RateLimits.Verdict;
import dev.kurz.http.Blocking;
import dev.kurz.http.Json;
import dev.kurz.http.Problem;
import dev.kurz.http.TrustedProxies;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.function.Consumer;

/**
 * The link API under {@code /api/v1/links}. Handlers run on the event loop only long enough to
 * hand the request to a virtual thread; authentication, rate limits, parsing, validation and the
 * store run there, in that order (so an unauthenticated or throttled request costs no parsing).
 */
public final class LinkRoutes {

    static final int DEFAULT_PAGE = 50;
    static final int MAX_PAGE = 1000;
    static final int MAX_SEARCH = 200;
    private static final String BASE = "/api/v1/links";

    private final LinkService links;
    private final Authenticator auth;
    private final RateLimits limits;
    private final TrustedProxies proxies;
    private final Blocking blocking;
    private final Clock clock;
    private final URI baseUrl;
    private final int maxBodyBytes;

    public LinkRoutes(LinkService links, Authenticator auth, RateLimits limits, TrustedProxies proxies,
                      Blocking blocking, Clock clock, URI baseUrl, int maxBodyBytes) {
        this.links = links;
        this.auth = auth;
        this.limits = limits;
        this.proxies = proxies;
        this.blocking = blocking;
        this.clock = clock;
        this.baseUrl = baseUrl;
        this.maxBodyBytes = maxBodyBytes;
    }

    public void mount(Router router) {
        Handler<RoutingContext> body = body();
        router.post(BASE).consumes("application/json").handler(body).handler(this::create);
        router.get(BASE).handler(this::list);
        router.get(BASE + "/:code").handler(this::get);
        router.patch(BASE + "/:code").consumes("application/json").consumes("application/merge-patch+json")
                .handler(body).handler(this::update);
        router.delete(BASE + "/:code").handler(this::delete);
    }

    /**
     * Reads the body, up to {@code maxBodyBytes} (413 beyond). Whatever breaks the request stream
     * while it is read (malformed chunked framing, a dropped connection) is a bad request, not a
     * server bug: BodyHandler passes Netty's raw exception (e.g. a NumberFormatException for a
     * chunk size that overflows) on as the failure, which would answer 500 and be logged as one.
     */
    private Handler<RoutingContext> body() {
        BodyHandler reader = BodyHandler.create(false).setBodyLimit(maxBodyBytes);
        return ctx -> {
            reader.handle(ctx); // installs its own exception handler on the request; replace it
            ctx.request().exceptionHandler(failure -> {
                if (!ctx.failed() && !ctx.response().ended()) {
                    ctx.fail(Problem.ofStatus(400));
                }
            });
        };
    }

    /** A create's outcome and the budget it spent, for the {@code RateLimit-*} headers. */
    private record CreateResult(LinkService.Created created, Verdict verdict) {}

    private void create(RoutingContext ctx) {
        var bytes = ctx.body().buffer();
        List<String> authorization = authorization(ctx);
        String client = proxies.clientAddress(ctx.request());
        respond(ctx, blocking.call(() -> {
            Caller caller = auth.authenticate(authorization);
            links.checkMayCreate(caller);
            Verdict verdict = spendCreateBudget(caller, client);
            var request = LinkRequests.create(Json.parse(bytes), clock.millis());
            return new CreateResult(links.create(caller, request), verdict);
        }), result -> {
            String code = result.created().link().code();
            if (result.verdict() != null) {
                result.verdict().headers().forEach(ctx.response()::putHeader);
            }
            ctx.response().putHeader(HttpHeaders.LOCATION, BASE + "/" + code);
            Json.send(ctx.response(), result.created().existed() ? 200 : 201, LinkView.of(result.created().link(), baseUrl));
        });
    }

    /**
     * Anonymous creates spend the client address's budget, user keys their own; admin keys (the
     * operator's tools) are not limited. Null when no budget applies. Blocks: virtual thread only.
     */
    private Verdict spendCreateBudget(Caller caller, String client) {
        if (caller.isAdmin()) {
            return null;
        }
        Budget budget = caller.isAnonymous() ? Budget.CREATE_PER_IP : Budget.CREATE_PER_KEY;
        if (!limits.enabled(budget)) {
            return null;
        }
        Verdict verdict = limits.consume(budget, caller.isAnonymous() ? client : Long.toString(caller.keyId()), false)
                .join();
        if (!verdict.allowed()) {
            throw verdict.problem();
        }
        return verdict;
    }

    private void get(RoutingContext ctx) {
        String code = code(ctx);
        List<String> authorization = authorization(ctx);
        respond(ctx, blocking.call(() -> links.get(auth.authenticate(authorization), code)),
                link -> Json.send(ctx.response(), 200, LinkView.of(link, baseUrl)));
    }

    private void update(RoutingContext ctx) {
        String code = code(ctx);
        var bytes = ctx.body().buffer();
        List<String> authorization = authorization(ctx);
        respond(ctx, blocking.call(() -> {
            Caller caller = auth.authenticate(authorization);
            LinkService.requireKey(caller, "editing a link");
            return links.update(caller, code, LinkRequests.patch(Json.parse(bytes), clock.millis()));
        }), link -> Json.send(ctx.response(), 200, LinkView.of(link, baseUrl)));
    }

    private void delete(RoutingContext ctx) {
        String code = code(ctx);
        List<String> authorization = authorization(ctx);
        respond(ctx, blocking.call(() -> {
            links.delete(auth.authenticate(authorization), code);
            return code;
        }), deleted -> ctx.response().setStatusCode(204).end());
    }

    private void list(RoutingContext ctx) {
        int limit = limit(ctx.queryParam("limit"));
        List<String> cursors = ctx.queryParam("cursor");
        String cursor = cursors.isEmpty() || cursors.getFirst().isEmpty() ? null : cursors.getFirst();
        String search = search(ctx.queryParam("q"));
        List<String> authorization = authorization(ctx);
        respond(ctx, blocking.call(() -> links.list(auth.authenticate(authorization), cursor, search, limit)),
                page -> Json.send(ctx.response(), 200,
                        new PageView(page.links().stream().map(l -> LinkView.of(l, baseUrl)).toList(), page.nextCursor())));
    }

    /**
     * A route handler that lets a request for {@code /.../:code/...} through only if its caller may
     * read that link (the same rule as GET of the link: 401, 403 or 404 otherwise).
     */
    public io.vertx.core.Handler<RoutingContext> mayReadLink() {
        return ctx -> {
            String code = code(ctx);
            List<String> authorization = authorization(ctx);
            respond(ctx, blocking.call(() -> links.get(auth.authenticate(authorization), code)), link -> ctx.next());
        };
    }

    private static List<String> authorization(RoutingContext ctx) {
        return ctx.request().headers().getAll(HttpHeaders.AUTHORIZATION);
    }

    /** A page of links; {@code nextCursor} is null on the last page. */
    record PageView(List<LinkView> items, String nextCursor) {}

    private static int limit(List<String> values) {
        if (values.isEmpty()) {
            return DEFAULT_PAGE;
        }
        try {
            int n = Integer.parseInt(values.getFirst());
            if (n >= 1 && n <= MAX_PAGE) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the problem below says what is accepted
        }
        throw Problem.invalid("limit", "must be a whole number from 1 to " + MAX_PAGE);
    }

    /** The {@code q} filter of the list, or null for none. */
    private static String search(List<String> values) {
        if (values.isEmpty() || values.getFirst().isBlank()) {
            return null;
        }
        String q = values.getFirst().strip();
        if (q.length() > MAX_SEARCH || q.chars().anyMatch(Character::isISOControl)) {
            throw Problem.invalid("q", "must be at most " + MAX_SEARCH + " characters, without control characters");
        }
        return q;
    }

    /** The path's code; anything that cannot be a code cannot exist, so it is a 404 right away. */
    private static String code(RoutingContext ctx) {
        String code = ctx.pathParam("code");
        if (code == null || !ShortCodes.isCodeShaped(code, 0, code.length())) {
            throw Problem.notFound("no link with code '" + code + "'");
        }
        return code;
    }

    private static <T> void respond(RoutingContext ctx, Future<T> result, Consumer<T> onSuccess) {
        result.onComplete(ar -> {
            if (ar.succeeded()) {
                onSuccess.accept(ar.result());
            } else {
                ctx.fail(ar.cause());
            }
        });
    }
}
