package dev.kurz.http;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.pause.NoPauseDetector;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The node's metrics, exposed at {@code /metrics} in Prometheus' text format.
 *
 * <p>HTTP: {@code kurz_http_requests_seconds} (a histogram, so {@code _count} is the request
 * count) by {@code route} (the route template such as {@code /api/v1/links/{code}}, never the raw
 * path, so a scan of random paths can't create series), {@code method} and {@code status} class
 * ({@code 2xx}...). Every short link is the one route {@code /{code}} (previews {@code /{code}+}).
 *
 * <p>Cost on the redirect path: the route is known by index, the timer is looked up in an array by
 * (route, method, status class) and created only the first time that combination occurs; after that
 * a request costs two {@code nanoTime} calls, one small end-of-response callback and the timer's
 * lock-free update. No tags, strings or lists are built per request.
 *
 * <p>Features bind their own meters ({@link MeterBinder}): cache, clicks, database pools, Redis.
 *
 * <p>Access: {@code KURZ_METRICS_ALLOW} names the client addresses (after trusted-proxy
 * resolution) that may read {@code /metrics}; others get 403, like HAProxy's internal-only ACL.
 */
public final class Metrics implements AutoCloseable {

    /** Route index of every short link ({@code GET/HEAD /{code}}, and the password form's POST). */
    public static final int REDIRECT = 0;
    /** Route index of the preview page {@code /{code}+}. */
    public static final int PREVIEW = 1;
    private static final int UNMATCHED = 2;
    private static final List<String> FIXED_ROUTES = List.of("/{code}", "/{code}+", "unmatched");

    private static final String[] METHODS = {"GET", "HEAD", "POST", "PATCH", "DELETE", "OTHER"};
    private static final String[] STATUS_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    private static final Duration[] BUCKETS = {
        Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(2),
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10)};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final List<String> routes = new ArrayList<>(FIXED_ROUTES);
    private final List<String[]> routeSegments = new ArrayList<>();
    private AtomicReferenceArray<Timer> timers = new AtomicReferenceArray<>(0);

    public Metrics() {
        // No pause detection: its per-record interval bookkeeping costs more than the timer itself.
        registry.config().pauseDetector(new NoPauseDetector());
        // Two of Micrometer's standard names break Prometheus' naming rules (promtool lints them):
        // a CPU time in "ns" (process_cpu_usage says the same) and a gauge ending in "_count",
        // which reads like a histogram's count series.
        registry.config().meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"));
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                return id.getName().equals("system.cpu.count") ? id.withName("system.cpu.cores") : id;
            }
        });
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Registers a feature's meters. */
    public void bind(MeterBinder binder) {
        binder.bindTo(registry);
    }

    /**
     * Learns the router's route templates (call once, after every route is mounted), so requests
     * can be labelled by template.
     */
    public void learnRoutes(Router router) {
        for (Route route : router.getRoutes()) {
            String path = route.getPath();
            if (path != null && !routes.contains(template(path))) {
                routes.add(template(path));
                routeSegments.add(path.substring(1).split("/", -1));
            }
        }
        timers = new AtomicReferenceArray<>(routes.size() * METHODS.length * STATUS_CLASSES.length);
    }

    /** Mounts {@code GET /metrics}, readable from {@code allowed} client addresses only. */
    public void mount(Router router, Optional<TrustedProxies> allowed, TrustedProxies proxies, Blocking blocking) {
        if (allowed.isEmpty()) {
            return; // KURZ_METRICS_ALLOW=off: /metrics is a 404 like any unknown path
        }
        router.get("/metrics").handler(ctx -> {
            if (!allowed.get().trusts(proxies.clientAddress(ctx.request()))) {
                throw Problem.forbidden("/metrics is readable only from the addresses in KURZ_METRICS_ALLOW");
            }
            // Scraping walks every meter (and reads pool and JVM state): not on the event loop.
            blocking.call(registry::scrape).onComplete(ar -> {
                if (ar.failed()) {
                    ctx.fail(ar.cause());
                    return;
                }
                ctx.response()
                        .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
                        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                        .end(ar.result());
            });
        });
    }

    /** The route index of a request the router will handle, by the template its path matches. */
    public int routeOf(HttpServerRequest request) {
        String path = request.path();
        String[] segments = path.length() > 1 ? path.substring(1).split("/", -1) : new String[] {""};
        for (int i = 0; i < routeSegments.size(); i++) {
            if (matches(routeSegments.get(i), segments)) {
                return FIXED_ROUTES.size() + i;
            }
        }
        // A POST to one segment is a short link's password form (a regex route, without a template).
        return segments.length == 1 && request.method() == HttpMethod.POST ? REDIRECT : UNMATCHED;
    }

    private static boolean matches(String[] template, String[] segments) {
        boolean wildcard = template[template.length - 1].equals("*");
        int fixed = wildcard ? template.length - 1 : template.length;
        if (wildcard ? segments.length < fixed : segments.length != fixed) {
            return false;
        }
        for (int i = 0; i < fixed; i++) {
            if (!template[i].startsWith(":") && !template[i].equals(segments[i])) {
                return false;
            }
        }
        return true;
    }

    /** Times {@code request} until its response ends, under route {@code route}. */
    public void observe(HttpServerRequest request, int route) {
        long start = System.nanoTime();
        HttpServerResponse response = request.response();
        int method = method(request.method());
        response.endHandler(v -> timer(route, method, response.getStatusCode())
                .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS));
    }

    private Timer timer(int route, int method, int status) {
        int statusClass = Math.clamp(status / 100 - 1, 0, STATUS_CLASSES.length - 1);
        int index = (route * METHODS.length + method) * STATUS_CLASSES.length + statusClass;
        Timer timer = timers.get(index);
        if (timer == null) {
            // First request of its kind: register (the registry returns the same timer to racers).
            timer = Timer.builder("kurz.http.requests")
                    .description("HTTP requests by route template, method and status class")
                    .tag("route", routes.get(route))
                    .tag("method", METHODS[method])
                    .tag("status", STATUS_CLASSES[statusClass])
                    .serviceLevelObjectives(BUCKETS)
                    .register(registry);
            timers.set(index, timer);
        }
        return timer;
    }

    private static int method(HttpMethod method) {
        if (method == HttpMethod.GET) {
            return 0;
        } else if (method == HttpMethod.HEAD) {
            return 1;
        } else if (method == HttpMethod.POST) {
            return 2;
        } else if (method == HttpMethod.PATCH) {
            return 3;
        } else if (method == HttpMethod.DELETE) {
            return 4;
        }
        return 5;
    }

    /** {@code /api/v1/links/:code} as OpenAPI writes it: {@code /api/v1/links/{code}}. */
    public static String template(String vertxPath) {
        return vertxPath.replaceAll(":([A-Za-z0-9_]+)", "{$1}");
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
