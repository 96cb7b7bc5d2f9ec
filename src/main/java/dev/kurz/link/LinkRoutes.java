package dev.kurz.link;

import dev.kurz.http.Blocking;
import dev.kurz.http.Json;
import dev.kurz.http.Problem;
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
 * hand the request to a virtual thread; parsing, validation and the store run there.
 */
public final class LinkRoutes {

    static final int DEFAULT_PAGE = 50;
    static final int MAX_PAGE = 1000;
    private static final String BASE = "/api/v1/links";

    private final LinkService links;
    private final Blocking blocking;
    private final Clock clock;
    private final URI baseUrl;
    private final int maxBodyBytes;

    public LinkRoutes(LinkService links, Blocking blocking, Clock clock, URI baseUrl, int maxBodyBytes) {
        this.links = links;
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

    private void create(RoutingContext ctx) {
        var bytes = ctx.body().buffer();
        respond(ctx, blocking.call(() -> links.create(LinkRequests.create(Json.parse(bytes), clock.millis()), Link.ANONYMOUS)),
                created -> {
                    String code = created.link().code();
                    ctx.response().putHeader(HttpHeaders.LOCATION, BASE + "/" + code);
                    Json.send(ctx.response(), created.existed() ? 200 : 201, LinkView.of(created.link(), baseUrl));
                });
    }

    private void get(RoutingContext ctx) {
        String code = code(ctx);
        respond(ctx, blocking.call(() -> links.get(code)), link -> Json.send(ctx.response(), 200, LinkView.of(link, baseUrl)));
    }

    private void update(RoutingContext ctx) {
        String code = code(ctx);
        var bytes = ctx.body().buffer();
        respond(ctx, blocking.call(() -> links.update(code, LinkRequests.patch(Json.parse(bytes), clock.millis()))),
                link -> Json.send(ctx.response(), 200, LinkView.of(link, baseUrl)));
    }

    private void delete(RoutingContext ctx) {
        String code = code(ctx);
        respond(ctx, blocking.call(() -> {
            links.delete(code);
            return code;
        }), deleted -> ctx.response().setStatusCode(204).end());
    }

    private void list(RoutingContext ctx) {
        int limit = limit(ctx.queryParam("limit"));
        List<String> cursors = ctx.queryParam("cursor");
        String cursor = cursors.isEmpty() || cursors.getFirst().isEmpty() ? null : cursors.getFirst();
        respond(ctx, blocking.call(() -> links.list(cursor, limit)), page -> Json.send(ctx.response(), 200,
                new PageView(page.links().stream().map(l -> LinkView.of(l, baseUrl)).toList(), page.nextCursor())));
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
