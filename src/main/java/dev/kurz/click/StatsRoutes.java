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
 * <p>Access is decided by the guards the composition root passes in (handlers that fail the
 * request with 401/403/404 or call {@code next()}): a link's statistics by whoever may read the
 * link, instance-wide statistics by admins only.
 */
public final class StatsRoutes {

    private final StatsService stats;
    private final Blocking blocking;
    private final Clock clock;
    private final Duration maxRange;
    private final Handler<RoutingContext> linkGuard;
    private final Handler<RoutingContext> instanceGuard;

    StatsRoutes(StatsService stats, Blocking blocking, Clock clock, Duration maxRange,
                Handler<RoutingContext> linkGuard, Handler<RoutingContext> instanceGuard) {
        this.stats = stats;
        this.blocking = blocking;
        this.clock = clock;
        this.maxRange = maxRange;
        this.linkGuard = linkGuard;
        this.instanceGuard = instanceGuard;
    }

    void mount(Router router) {
        router.get("/api/v1/links/:code/stats").handler(linkGuard).handler(this::linkStats);
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
