package dev.kurz.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kurz.db.StoreException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that turns failures into RFC 9457 {@code application/problem+json} responses
 * (or, for browsers on non-API paths, a small HTML page).
 */
public final class Problems {

    private static final Logger log = LoggerFactory.getLogger(Problems.class);
    private static final int RETRY_AFTER_SECONDS = 5;

    private Problems() {}

    /** Installs the failure handler and the router's own 404/405/413/415 answers. */
    public static void mount(Router router, int maxBodyBytes) {
        router.route().failureHandler(ctx -> {
            Throwable failure = ctx.failure();
            Problem p = failure != null ? from(failure)
                    : ctx.statusCode() == 413 ? Problem.tooLarge(maxBodyBytes)
                    : Problem.ofStatus(ctx.statusCode());
            send(ctx.request(), p);
        });
        router.errorHandler(404, ctx -> send(ctx.request(), Problem.notFound("nothing at " + ctx.request().path())));
        router.errorHandler(405, ctx -> send(ctx.request(),
                Problem.methodNotAllowed(ctx.request().method().name(), ctx.request().path())));
        router.errorHandler(415, ctx -> send(ctx.request(), Problem.unsupportedMediaType("application/json")));
        router.errorHandler(413, ctx -> send(ctx.request(), Problem.tooLarge(maxBodyBytes)));
        router.errorHandler(400, ctx -> send(ctx.request(), ctx.failure() != null ? from(ctx.failure())
                : Problem.badJson("the request could not be parsed")));
        router.errorHandler(500, ctx -> send(ctx.request(), ctx.failure() != null ? from(ctx.failure())
                : Problem.internal()));
    }

    /** The problem a failure stands for; unexpected ones are logged here, once. */
    public static Problem from(Throwable failure) {
        Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (t instanceof Problem p) {
            return p;
        }
        if (t instanceof StoreException) {
            logUnavailable(t);
            return Problem.unavailable("the database is unavailable; retry shortly", RETRY_AFTER_SECONDS);
        }
        if (t instanceof RejectedExecutionException) {
            return Problem.unavailable("the server is shutting down", RETRY_AFTER_SECONDS);
        }
        log.error("unexpected failure", t);
        return Problem.internal();
    }

    private static final java.util.concurrent.atomic.AtomicLong lastUnavailableLog = new java.util.concurrent.atomic.AtomicLong();

    /** One line per 10 s at most: an outage must not turn into a log line per request. */
    private static void logUnavailable(Throwable t) {
        long now = System.nanoTime();
        long last = lastUnavailableLog.get();
        if ((last == 0 || now - last > 10_000_000_000L) && lastUnavailableLog.compareAndSet(last, now)) {
            log.warn("database unavailable, answering 503: {}", t.getMessage());
        }
    }

    /** Answers with {@code problem}: problem+json for API clients, an HTML page for browsers. */
    public static void send(HttpServerRequest request, Problem problem) {
        HttpServerResponse response = request.response();
        if (response.ended() || response.closed()) {
            return;
        }
        if (response.headWritten()) {
            request.connection().close();
            return;
        }
        if (problem.retryAfterSeconds() != null) {
            response.putHeader(HttpHeaders.RETRY_AFTER, String.valueOf(problem.retryAfterSeconds()));
        }
        problem.headers().forEach(response::putHeader);
        if (problem.status() == 405) {
            response.putHeader(HttpHeaders.ALLOW, allowed(request.path()));
        }
        if (!request.path().startsWith("/api/") && Pages.prefersHtml(request)) {
            Pages.send(response, problem.status(), Pages.message(problem.title(), problem.detail()));
            return;
        }
        response.setStatusCode(problem.status())
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/problem+json")
                .end(Buffer.buffer(body(problem, request.path())));
    }

    /** The methods a path supports, for the {@code Allow} header of a 405. */
    private static String allowed(String path) {
        if (path.equals("/api/v1/links")) {
            return "GET, POST";
        }
        if (path.startsWith("/api/v1/links/") && (path.endsWith("/stats") || path.endsWith("/qr"))) {
            return "GET";
        }
        if (path.startsWith("/api/v1/links/")) {
            return "GET, PATCH, DELETE";
        }
        if (path.length() > 1 && path.indexOf('/', 1) < 0 && !path.endsWith("+")) {
            return "GET, HEAD, POST"; // a short link: POST is its password form
        }
        return "GET";
    }

    static byte[] body(Problem p, String instance) {
        try {
            return Json.MAPPER.writeValueAsBytes(json(p, instance));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The RFC 9457 body of {@code p}, for answers that carry problems inside them (bulk results). */
    public static ObjectNode json(Problem p, String instance) {
        ObjectNode json = Json.MAPPER.createObjectNode()
                .put("type", p.type())
                .put("title", p.title())
                .put("status", p.status())
                .put("detail", p.detail())
                .put("instance", instance);
        if (!p.errors().isEmpty()) {
            var errors = json.putArray("errors");
            p.errors().forEach(e -> errors.addObject().put("field", e.field()).put("message", e.message()));
        }
        return json;
    }
}
