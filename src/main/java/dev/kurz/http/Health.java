package dev.kurz.http;

import dev.kurz.db.Database;
import io.vertx.ext.web.Router;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Three probes, for three questions:
 * <ul>
 *   <li>{@code /health/live}: the process answers (restart it if not);</li>
 *   <li>{@code /health/serving}: send this node traffic: it is up and not draining. Load balancers
 *       and Kubernetes readiness probes use this one. It deliberately ignores the database: when
 *       the shared database is down, every node would fail a database check at once, the balancer
 *       would take them all out of rotation, and the redirects they can still answer from memory
 *       would fail too;</li>
 *   <li>{@code /health/ready}: the node is fully working: database reachable, migrations applied,
 *       not draining. For monitoring and alerts, and to gate a rollout.</li>
 * </ul>
 */
public final class Health {

    private final Database db;
    private final Blocking blocking;
    private final AtomicBoolean draining = new AtomicBoolean();

    public Health(Database db, Blocking blocking) {
        this.db = db;
        this.blocking = blocking;
    }

    /** From now on ready answers 503, so balancers stop sending new requests before we stop. */
    public void startDraining() {
        draining.set(true);
    }

    public void mount(Router router) {
        router.get("/health/live").handler(ctx -> Json.send(ctx.response(), 200, Map.of("status", "UP")));
        router.get("/health/serving").handler(ctx -> Json.send(ctx.response(), draining.get() ? 503 : 200,
                draining.get() ? Map.of("status", "DOWN", "reason", "shutting down") : Map.of("status", "UP")));
        router.get("/health/ready").handler(ctx -> {
            if (draining.get()) {
                Json.send(ctx.response(), 503, Map.of("status", "DOWN", "reason", "shutting down"));
                return;
            }
            blocking.call(db::isReachable).onComplete(ar -> {
                boolean up = ar.succeeded() && ar.result();
                Json.send(ctx.response(), up ? 200 : 503, up ? Map.of("status", "UP")
                        : Map.of("status", "DOWN", "reason", "database unreachable"));
            });
        });
    }
}
