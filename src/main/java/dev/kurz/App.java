package dev.kurz;

import dev.kurz.auth.ApiKeys;
import dev.kurz.auth.Authenticator;
import dev.kurz.auth.PasswordHasher;
import dev.kurz.auth.RateLimits;
import dev.kurz.click.Clicks;
import dev.kurz.config.Settings;
import dev.kurz.db.Database;
import dev.kurz.db.InstanceValues;
import dev.kurz.http.Blocking;
import dev.kurz.http.Health;
import dev.kurz.http.IoTransport;
import dev.kurz.http.Metrics;
import dev.kurz.http.OpenApi;
import dev.kurz.http.Problems;
import dev.kurz.http.SitePages;
import dev.kurz.http.WebServer;
import dev.kurz.jobs.Jobs;
import dev.kurz.link.BulkRoutes;
import dev.kurz.link.CodeMinter;
import dev.kurz.link.LinkRoutes;
import dev.kurz.link.LinkService;
import dev.kurz.link.QrRoutes;
import dev.kurz.link.SqlLinkStore;
import dev.kurz.link.UrlPolicy;
import dev.kurz.redirect.L2Cache;
import dev.kurz.redirect.LinkCache;
import dev.kurz.redirect.PasswordUnlock;
import dev.kurz.redirect.RedirectHandler;
import dev.kurz.redirect.RedisL2Cache;
import dev.kurz.redis.Redis;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.transport.Transport;
import io.vertx.ext.web.Router;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds every part of a kurz node in dependency order, and stops them in
 * reverse. Tests start nodes through {@link #start} exactly as {@link Main} does.
 */
public final class App implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(App.class);

    private final Settings settings;
    private final Database db;
    private final Blocking blocking;
    private final Clicks clicks;
    private final Health health;
    private final Vertx vertx;
    private final WebServer server;
    private final LinkCache cache;
    private final Redis redis;
    private final ApiKeys apiKeys;
    private final Jobs jobs;
    private final Metrics metrics;
    private final Router router;
    private final Transport transport;
    private final AtomicBoolean closed = new AtomicBoolean();

    private App(Settings settings, Database db, Blocking blocking, Clicks clicks, Health health, Vertx vertx,
                WebServer server, LinkCache cache, Redis redis, ApiKeys apiKeys, Jobs jobs, Metrics metrics,
                Router router, Transport transport) {
        this.settings = settings;
        this.db = db;
        this.blocking = blocking;
        this.clicks = clicks;
        this.health = health;
        this.vertx = vertx;
        this.server = server;
        this.cache = cache;
        this.redis = redis;
        this.apiKeys = apiKeys;
        this.jobs = jobs;
        this.metrics = metrics;
        this.router = router;
        this.transport = transport;
    }

    /** Opens the database (migrating it), wires the features and starts serving HTTP. */
    public static App start(Settings settings, Clock clock) {
        Transport transport = IoTransport.choose(settings.ioTransport()); // before opening anything it would leak
        Database db = Database.open(settings);
        var metrics = new Metrics();
        var blocking = new Blocking();
        var clicks = Clicks.wire(settings, db, clock);
        var recorder = clicks.recorder();

        var store = new SqlLinkStore(db);
        var minter = minter(settings, db);
        Redis redis = settings.redisUrl().map(url -> Redis.connect(url, settings.redisTimeout(), transport.name())).orElse(null);
        L2Cache l2 = redis == null ? L2Cache.NONE
                : new RedisL2Cache(redis, settings.redisPrefix(), settings.cacheL2Ttl(), settings.redisTimeout());
        var cache = new LinkCache(store, recorder, l2, blocking.executor(), settings);
        if (l2 instanceof RedisL2Cache redisL2) {
            redisL2.subscribe(cache::evict);
        }
        int cores = Runtime.getRuntime().availableProcessors();
        var apiKeys = new ApiKeys(db, clock);
        var authenticator = new Authenticator(apiKeys);
        var limits = new RateLimits(settings, redis, clock);
        var passwords = new PasswordHasher(Math.max(2, cores));
        var urls = UrlPolicy.from(settings, clock);
        var links = new LinkService(store, minter, urls, recorder, cache, passwords,
                settings.anonymousCreate(), clock);
        var redirects = new RedirectHandler(cache, limits, settings.trustedProxies(), recorder, links, blocking, clock,
                settings.baseUrl(), settings.redirectMaxAge());
        var health = new Health(db, blocking);
        metrics.bind(db);
        metrics.bind(clicks);
        metrics.bind(cache);
        if (redis != null) {
            metrics.bind(redis);
        }

        Vertx vertx = Vertx.builder()
                .with(new VertxOptions()
                        .setEventLoopPoolSize(cores)
                        .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false).setClassPathResolvingEnabled(false)))
                .withTransport(transport)
                .build();
        Router router = Router.router(vertx);
        health.mount(router);
        var jobs = Jobs.wire(settings, db, clock, urls, minter, settings.serveWorker());
        jobs.mount(router, authenticator, blocking); // before the link API: /api/v1/links/export is no code
        new BulkRoutes(links, authenticator, limits, settings.trustedProxies(), blocking, clock, settings.baseUrl(),
                settings.bulkMaxBytes()).mount(router);
        var linkRoutes = new LinkRoutes(links, authenticator, limits, settings.trustedProxies(), blocking, clock,
                settings.baseUrl(), settings.maxBodyBytes());
        linkRoutes.mount(router);
        new PasswordUnlock(cache, links, limits, settings.trustedProxies(), recorder, blocking, clock).mount(router);
        clicks.mount(router, blocking, linkRoutes.mayReadLink(), authenticator.adminOnly(blocking));
        new QrRoutes(links, limits, settings.trustedProxies(), blocking, settings.baseUrl()).mount(router);
        metrics.mount(router, settings.metricsAllow(), settings.trustedProxies(), blocking);
        new OpenApi().mount(router);
        new SitePages().mount(router);
        Problems.mount(router, settings.maxBodyBytes());
        metrics.learnRoutes(router);

        WebServer server = WebServer.start(vertx, settings, cores,
                request -> {
                    if (redirects.accepts(request)) {
                        metrics.observe(request, request.path().endsWith("+") ? Metrics.PREVIEW : Metrics.REDIRECT);
                        redirects.handle(request);
                    } else {
                        metrics.observe(request, metrics.routeOf(request));
                        router.handle(request);
                    }
                });
        log.info("kurz {} serving on port {} ({} transport) with {}{}", version(), server.port(),
                transport.name(), db.description(),
                redis == null ? ", no Redis" : ", " + redis.description());
        if (!apiKeys.hasActiveAdmin()) {
            log.info("No admin API key exists yet. Create the first one (it is shown once) with: "
                    + "kurz keys create --name admin --role admin");
        }
        return new App(settings, db, blocking, clicks, health, vertx, server, cache, redis, apiKeys, jobs, metrics,
                router, transport);
    }

    /**
     * The code minter every process of an installation shares: one code key (from the settings,
     * else created once and kept in the database) and id blocks reserved in the database.
     */
    public static CodeMinter minter(Settings settings, Database db) {
        String codeKey = settings.codeKey().orElseGet(() -> InstanceValues.getOrCreate(db, "code_key", App::randomKey));
        return new CodeMinter(new SqlLinkStore(db), codeKey, settings.idBlockSize());
    }

    /**
     * {@code kurz worker}: the worker role without HTTP, on the same database, code key and URL
     * policy as the nodes. Close it to stop gracefully (running imports are handed back).
     */
    public static AutoCloseable startWorker(Settings settings, Clock clock) {
        Database db = Database.open(settings);
        try {
            var jobs = Jobs.wire(settings, db, clock, UrlPolicy.from(settings, clock), minter(settings, db), true);
            log.info("kurz {} worker on {}", version(), db.description());
            return () -> {
                jobs.close();
                db.close();
                log.info("kurz worker stopped");
            };
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }

    /**
     * Every method and path template this node answers, e.g. {@code GET /api/v1/links/{code}}: the
     * router's routes and the redirect path's, which bypass the router. OpenAPI's test compares them.
     */
    public Set<String> routes() {
        var out = new TreeSet<String>(RedirectHandler.ROUTES);
        for (var route : router.getRoutes()) {
            String template = route.getPath() != null ? Metrics.template(route.getPath())
                    : route.getName();
            if (template != null && route.methods() != null) {
                route.methods().forEach(m -> out.add(m.name() + " " + template));
            }
        }
        return out;
    }

    /** The installation's API keys (the same store {@code kurz keys} uses). */
    public ApiKeys apiKeys() {
        return apiKeys;
    }

    /** The network transport the HTTP server runs on: io_uring, epoll or nio. */
    public String ioTransport() {
        return transport.name();
    }

    /** The port the node listens on (useful with {@code KURZ_PORT=0}). */
    public int port() {
        return server.port();
    }

    /** Links and unknown codes currently in the L1 cache. */
    public long cachedEntries() {
        return cache.size();
    }

    /** Runs the cache's pending evictions now (they are otherwise amortised over requests). */
    public void cleanUpCache() {
        cache.cleanUp();
    }

    /** Answers served from the shared Redis cache so far. */
    public long l2Hits() {
        return cache.l2Hits();
    }

    /** Whether Redis is configured, connected and not skipped by its circuit breaker. */
    public boolean redisAvailable() {
        return redis != null && redis.isAvailable();
    }

    /** Writes counted clicks to the database now (tests, and the shutdown path). */
    public void flushClicks() {
        clicks.flushNow();
    }

    /**
     * Graceful stop: turn unready, stop accepting and let in-flight requests finish, write the
     * remaining clicks, close the pools. Idempotent.
     */
    @Override
    public void close() {
        stop(true);
    }

    /**
     * Stops like a killed process as far as clicks go: no final flush, so the clicks counted since
     * the last flush are lost. A test seam for the loss bound of DESIGN.md section 6.
     */
    public void crash() {
        stop(false);
    }

    private void stop(boolean flushClicks) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        health.startDraining();
        if (!settings.drainDelay().isZero()) {
            // Keep serving while balancers notice /health/serving is 503 and stop sending traffic.
            java.util.concurrent.locks.LockSupport.parkNanos(settings.drainDelay().toNanos());
        }
        try {
            server.shutdown(settings.shutdownGrace());
        } catch (RuntimeException e) {
            log.warn("HTTP shutdown did not complete cleanly: {}", e.getMessage());
        }
        if (flushClicks) {
            jobs.close();
            clicks.close();
        } else {
            jobs.crash();
            clicks.abandon();
        }
        blocking.close();
        if (redis != null) {
            redis.close();
        }
        db.close();
        metrics.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
        log.info("kurz stopped");
    }

    static String version() {
        String v = App.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private static String randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }
}
