package dev.kurz.http;

import dev.kurz.db.Database;
import io.vertx.ext.web.Router;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code /health/live}: the process answers. {@code /health/ready}: this node should get traffic
 * (the database answers, migrations ran, and it is not shutting down). Load balancers and
 * Kubernetes probes poll these.
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
