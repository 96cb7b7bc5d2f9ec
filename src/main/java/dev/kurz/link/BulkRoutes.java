package dev.kurz.link;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kurz.auth.Authenticator;
import dev.kurz.auth.Caller;
import dev.kurz.auth.RateLimits;
import dev.kurz.auth.RateLimits.Budget;
import dev.kurz.auth.RateLimits.Verdict;
import dev.kurz.http.Blocking;
import dev.kurz.http.Json;
import dev.kurz.http.Problem;
import dev.kurz.http.Problems;
import dev.kurz.http.TrustedProxies;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * {@code POST /api/v1/links/bulk}: up to {@link #MAX_ITEMS} create requests in one JSON array, each
 * validated and created on its own exactly as {@code POST /api/v1/links} would (same fields, same
 * 201/200/400/409 outcomes), answered with one result per item in request order. One bad item
 * never fails the others; the request itself fails only when it isn't an array of at most 1,000
 * items (400) or is larger than {@code KURZ_BULK_MAX_BYTES} (413).
 *
 * <p>Rate limits: each item spends one token of the same budget a single create spends (per key
 * for user keys, per address for anonymous callers; admin keys are not limited), in request order,
 * before anything is created. Items past the budget get a 429 problem in their slot; the others
 * are created. So a bulk request never buys more creations than the same items sent one by one.
 */
public final class BulkRoutes {

    public static final int MAX_ITEMS = 1000;
    private static final String PATH = "/api/v1/links/bulk";
    // Items are created a few at a time: faster on PostgreSQL, harmless on SQLite's single writer.
    private static final int PARALLEL = 8;

    private final LinkService links;
    private final Authenticator auth;
    private final RateLimits limits;
    private final TrustedProxies proxies;
    private final Blocking blocking;
    private final Clock clock;
    private final URI baseUrl;
    private final int maxBodyBytes;

    public BulkRoutes(LinkService links, Authenticator auth, RateLimits limits, TrustedProxies proxies,
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
        BodyHandler reader = BodyHandler.create(false).setBodyLimit(maxBodyBytes);
        router.post(PATH).consumes("application/json")
                .handler(ctx -> {
                    reader.handle(ctx);
                    ctx.request().exceptionHandler(failure -> {
                        if (!ctx.failed() && !ctx.response().ended()) {
                            ctx.fail(Problem.ofStatus(400));
                        }
                    });
                })
                .handler(this::bulk)
                .failureHandler(ctx -> {
                    if (ctx.failure() == null && ctx.statusCode() == 413) {
                        Problems.send(ctx.request(), Problem.tooLarge("the request body is larger than " + maxBodyBytes
                                + " bytes (KURZ_BULK_MAX_BYTES)"));
                    } else {
                        ctx.next();
                    }
                });
    }

    /** One item's outcome: the link (201, 200) or a problem (4xx, 5xx). */
    record Item(int index, int status, LinkView link, ObjectNode problem) {}

    record Result(int created, int existing, int failed, List<Item> items) {}

    private record Answer(Result result, Verdict verdict) {}

    private void bulk(RoutingContext ctx) {
        var bytes = ctx.body().buffer();
        List<String> authorization = ctx.request().headers().getAll(HttpHeaders.AUTHORIZATION);
        String client = proxies.clientAddress(ctx.request());
        blocking.call(() -> {
            Caller caller = auth.authenticate(authorization);
            links.checkMayCreate(caller);
            JsonNode body = Json.parse(bytes);
            if (!body.isArray()) {
                throw Problem.badJson("the request body must be a JSON array of link objects");
            }
            if (body.size() > MAX_ITEMS) {
                throw Problem.invalid("items", "at most " + MAX_ITEMS + " links per request, got " + body.size());
            }
            return create(caller, client, body);
        }).onComplete(ar -> {
            if (ar.failed()) {
                ctx.fail(ar.cause());
                return;
            }
            if (ar.result().verdict() != null) {
                ar.result().verdict().headers().forEach(ctx.response()::putHeader);
            }
            Json.send(ctx.response(), 200, ar.result().result());
        });
    }

    private Answer create(Caller caller, String client, JsonNode body) throws InterruptedException {
        int n = body.size();
        var items = new Item[n];
        Verdict last = null;
        Budget budget = caller.isAnonymous() ? Budget.CREATE_PER_IP : Budget.CREATE_PER_KEY;
        boolean limited = !caller.isAdmin() && limits.enabled(budget);
        String subject = caller.isAnonymous() ? client : Long.toString(caller.keyId());
        for (int i = 0; i < n && limited; i++) {
            last = limits.consume(budget, subject, false).join();
            if (!last.allowed()) {
                items[i] = problem(i, last.problem());
            }
        }
        long now = clock.millis();
        var gate = new Semaphore(PARALLEL);
        try (ExecutorService exec = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                if (items[i] != null) {
                    continue;
                }
                int index = i;
                gate.acquire();
                exec.execute(() -> {
                    try {
                        items[index] = one(caller, index, body.get(index), now);
                    } finally {
                        gate.release();
                    }
                });
            }
        }
        int created = 0;
        int existing = 0;
        for (Item item : items) {
            if (item.status() == 201) {
                created++;
            } else if (item.status() == 200) {
                existing++;
            }
        }
        return new Answer(new Result(created, existing, n - created - existing, List.of(items)), last);
    }

    private Item one(Caller caller, int index, JsonNode json, long now) {
        try {
            LinkService.Created c = links.create(caller, LinkRequests.create(json, now));
            return new Item(index, c.existed() ? 200 : 201, LinkView.of(c.link(), baseUrl), null);
        } catch (RuntimeException e) {
            return problem(index, Problems.from(e));
        }
    }

    private static Item problem(int index, Problem p) {
        return new Item(index, p.status(), null, Problems.json(p, PATH + "#" + index));
    }
}
