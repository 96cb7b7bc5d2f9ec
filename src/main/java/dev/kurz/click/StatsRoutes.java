package dev.kurz.click;

import dev.kurz.http.Blocking;
import dev.kurz.http.Json;
import dev.kurz.http.Problem;
import dev.kurz.link.ShortCodes;
import io.vertx.core.Handler;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * The statistics API: {@code GET /api/v1/links/{code}/stats} and {@code GET /api/v1/stats}.
 * Query parameters are checked on the event loop (a 400 problem naming each bad one); the store
 * is read on a virtual thread.
 *
 * <p>Access: instance-wide statistics are meant for admins. They pass through
 * {@code instanceGuard} first, the seam where the API-key feature plugs in its admin check (a
 * handler that fails the request with 401/403 or calls {@code next()}). Until then it lets every
 * request through ({@link #OPEN}).
 */
public final class StatsRoutes {

    /** A guard that admits everyone; the default until API keys exist. */
    public static final Handler<RoutingContext> OPEN = RoutingContext::next;

    private final StatsService stats;
    private final Blocking blocking;
    private final Clock clock;
    private final Duration maxRange;
    private final Handler<RoutingContext> instanceGuard;

    StatsRoutes(StatsService stats, Blocking blocking, Clock clock, Duration maxRange,
                Handler<RoutingContext> instanceGuard) {
        this.stats = stats;
        this.blocking = blocking;
        this.clock = clock;
        this.maxRange = maxRange;
        this.instanceGuard = instanceGuard;
    }

    void mount(Router router) {
        router.get("/api/v1/links/:code/stats").handler(this::linkStats);
        router.get("/api/v1/stats").handler(instanceGuard).handler(this::instanceStats);
    }

    private void linkStats(RoutingContext ctx) {
        String code = ctx.pathParam("code");
        if (code == null || !ShortCodes.isCodeShaped(code, 0, code.length())) {
            throw Problem.notFound("no link with code '" + code + "'");
        }
        StatsQuery q = StatsQuery.parse(ctx.queryParams(), clock.millis(), maxRange,
                List.of(StatsQuery.Interval.HOUR, StatsQuery.Interval.DAY));
        blocking.call(() -> stats.linkStats(code, q)).onComplete(ar -> {
            if (ar.succeeded()) {
                Json.send(ctx.response(), 200, ar.result());
            } else {
                ctx.fail(ar.cause());
            }
        });
    }

    private void instanceStats(RoutingContext ctx) {
        // Orphan visits are counted per day, so the instance view is daily only.
        StatsQuery q = StatsQuery.parse(ctx.queryParams(), clock.millis(), maxRange,
                List.of(StatsQuery.Interval.DAY));
        blocking.call(() -> stats.instanceStats(q)).onComplete(ar -> {
            if (ar.succeeded()) {
                Json.send(ctx.response(), 200, ar.result());
            } else {
                ctx.fail(ar.cause());
            }
        });
    }
}
