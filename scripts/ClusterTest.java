// The kurz cluster test, run by scripts/cluster-test as `java scripts/ClusterTest.java <jar> <haproxy.cfg>`.
//
// Starts on loopback: PostgreSQL 15 primary + a streaming replica (pg_basebackup), Redis, three
// kurz nodes (reads from the replica, everything through HAProxy's TCP listeners) and HAProxy in
// front. Then runs the scenarios of issue 5 with traffic through HAProxy, injecting faults:
// kill -9 of a node, of Redis, a PostgreSQL outage, replica lag, and a switch to Redis Cluster.
// Every process it starts is stopped by its PID at the end, also on failure.

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class ClusterTest {

    static final String PG_BIN = "/usr/lib/postgresql/15/bin/";
    static final Duration BOUND = Duration.ofSeconds(1);
    static final Pattern CODE = Pattern.compile("\"code\":\"([^\"]+)\"");

    record Result(String scenario, boolean ok, String figure) {}

    /** A started process, with its log. */
    record Proc(String name, Process process, Path log) {
        long pid() {
            return process.pid();
        }
    }

    static Path work;
    static Path jar;
    static Path haproxyCfg;
    static final List<Proc> processes = new CopyOnWriteArrayList<>();
    static final List<Result> results = new ArrayList<>();
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(3)).build();

    // Topology.
    static int pgPrimary, pgReplica, redisPort, lbPort, lbPgPort, lbPgReadPort, lbStatsPort;
    static final int[] nodePorts = new int[3];
    static final Proc[] nodes = new Proc[3];
    static Proc primary, replica, redis, haproxy;
    static String redisUrl;
    static String adminKey;

    /** Every link that got a 201, code to URL: all must resolve at the end. */
    static final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    /** Successful GET redirects sent through HAProxy (each is a click). */
    static final AtomicLong clicksSent = new AtomicLong();
    static final java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
    /** Clicks the killed node may have lost: what it served in its last flush interval. */
    static long killedNodeLossBound;

    public static void main(String[] args) throws Exception {
        jar = Path.of(args[0]);
        haproxyCfg = Path.of(args[1]);
        work = Files.createTempDirectory("kurz-cluster-");
        Runtime.getRuntime().addShutdownHook(new Thread(ClusterTest::stopAll));
        long started = System.nanoTime();
        try {
            setUp();
            scenario("1 create 2,000 links, redirect all", ClusterTest::createAndRedirectAll);
            scenario("2 PATCH on one node, all 3 redirect to the new target", ClusterTest::patchReachesAllNodes);
            scenario("3 kill -9 a node during 20 s of redirects", ClusterTest::killANodeUnderLoad);
            scenario("4 kill Redis during redirects, restart it", ClusterTest::killRedisUnderLoad);
            scenario("5 stop PostgreSQL primary 10 s during creates", ClusterTest::stopPrimaryDuringCreates);
            scenario("6 fresh link via a node reading a lagging replica", ClusterTest::laggingReplica);
            scenario("7 Redis Cluster as L2: scenarios 1 and 2", ClusterTest::redisCluster);
            scenario("8 every 201 resolves; clicks match", ClusterTest::nothingLost);
        } catch (Throwable t) {
            results.add(new Result("setup/teardown", false, t.toString()));
            t.printStackTrace();
        } finally {
            stopAll();
        }
        printTable(Duration.ofNanos(System.nanoTime() - started));
        boolean ok = results.stream().allMatch(Result::ok) && results.size() == 8;
        if (ok) {
            deleteQuietly(work);
        } else {
            System.out.println("logs kept in " + work);
        }
        System.out.println(results.stream().filter(Result::ok).count() + " passed, "
                + results.stream().filter(r -> !r.ok()).count() + " failed");
        System.exit(ok ? 0 : 1);
    }

    interface Scenario {
        String run() throws Exception;
    }

    static void scenario(String name, Scenario s) {
        long t0 = System.nanoTime();
        try {
            String figure = s.run();
            results.add(new Result(name, true, figure + " (" + ms(t0) + " ms)"));
        } catch (Throwable t) {
            results.add(new Result(name, false, String.valueOf(t.getMessage())));
            System.out.println("FAILED: " + name);
            t.printStackTrace(System.out);
        }
        System.out.println((results.getLast().ok() ? "ok     " : "FAILED ") + name + ": " + results.getLast().figure());
    }

    // ---------------------------------------------------------------- topology

    static void setUp() throws Exception {
        pgPrimary = freePort();
        pgReplica = freePort();
        redisPort = freePort();
        lbPort = freePort();
        lbPgPort = freePort();
        lbPgReadPort = freePort();
        lbStatsPort = freePort();
        for (int i = 0; i < 3; i++) {
            nodePorts[i] = freePort();
        }
        Path sockets = work.resolve("sockets");
        Files.createDirectories(sockets);
        chownPostgres(work);

        run("initdb", List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups",
                PG_BIN + "initdb", "-D", work.resolve("primary").toString(), "-U", "postgres", "--auth=trust",
                "-E", "UTF8"));
        Files.writeString(work.resolve("primary/postgresql.auto.conf"), """
                listen_addresses = '127.0.0.1'
                wal_level = replica
                max_wal_senders = 5
                hot_standby = on
                fsync = on
                """, java.nio.file.StandardOpenOption.APPEND);
        Files.writeString(work.resolve("primary/pg_hba.conf"),
                "host replication all 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 trust\n",
                java.nio.file.StandardOpenOption.APPEND);
        primary = startPostgres("primary", work.resolve("primary"), pgPrimary);
        psql(pgPrimary, "postgres", "CREATE DATABASE kurz");
        run("pg_basebackup", List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups",
                PG_BIN + "pg_basebackup", "-h", "127.0.0.1", "-p", String.valueOf(pgPrimary), "-U", "postgres",
                "-D", work.resolve("replica").toString(), "-R", "-X", "stream", "--checkpoint=fast"));
        replica = startPostgres("replica", work.resolve("replica"), pgReplica);

        redis = startRedis("redis", redisPort, List.of());
        redisUrl = "redis://127.0.0.1:" + redisPort;

        Map<String, String> lbEnv = new HashMap<>();
        lbEnv.put("KURZ_LB_BIND", "127.0.0.1:" + lbPort);
        for (int i = 0; i < 3; i++) {
            lbEnv.put("KURZ_NODE" + (i + 1), "127.0.0.1:" + nodePorts[i]);
        }
        lbEnv.put("KURZ_LB_RATE_LIMIT", "100000000"); // all test traffic comes from one address
        lbEnv.put("KURZ_LB_PG_BIND", "127.0.0.1:" + lbPgPort);
        lbEnv.put("KURZ_LB_PG_READ_BIND", "127.0.0.1:" + lbPgReadPort);
        lbEnv.put("KURZ_PG_PRIMARY", "127.0.0.1:" + pgPrimary);
        lbEnv.put("KURZ_PG_REPLICA1", "127.0.0.1:" + pgReplica);
        lbEnv.put("KURZ_LB_PG_CHECK_USER", "postgres");
        lbEnv.put("KURZ_LB_STATS_BIND", "127.0.0.1:" + lbStatsPort);
        haproxy = start("haproxy", List.of("haproxy", "-db", "-f", haproxyCfg.toString()), lbEnv);
        for (int i = 0; i < 3; i++) {
            nodes[i] = startNode(i);
        }
        for (int i = 0; i < 3; i++) {
            awaitReady(i);
        }
        adminKey = createAdminKey();
        waitFor("HAProxy sees the nodes", Duration.ofSeconds(20),
                () -> status(lb("/health/ready")) == 200 && status(lb("/api/v1/links/unknown0")) == 404);
    }

    /** The environment every kurz process (nodes, CLI) of the test shares. */
    static Map<String, String> kurzEnv() {
        Map<String, String> env = new HashMap<>();
        // Through HAProxy's TCP listeners: writes to the primary, reads to the replica.
        env.put("KURZ_DB_URL", "jdbc:postgresql://127.0.0.1:" + lbPgPort + "/kurz");
        env.put("KURZ_DB_READ_URL", "jdbc:postgresql://127.0.0.1:" + lbPgReadPort + "/kurz");
        env.put("KURZ_DB_USER", "postgres");
        return env;
    }

    /** `kurz keys create` against the cluster's database; returns the printed key. */
    static String createAdminKey() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        var pb = new ProcessBuilder(java, "-jar", jar.toString(), "keys", "create", "--name", "cluster-test", "--role", "admin")
                .redirectErrorStream(true);
        pb.environment().putAll(kurzEnv());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        check(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "kurz keys create failed: " + out);
        return out.lines().map(String::strip).filter(l -> l.startsWith("kurz_")).findFirst()
                .orElseThrow(() -> new IllegalStateException("no key in: " + out));
    }

    static Proc startNode(int i) throws IOException {
        Map<String, String> env = kurzEnv();
        env.put("KURZ_PORT", String.valueOf(nodePorts[i]));
        env.put("KURZ_HOST", "127.0.0.1");
        env.put("KURZ_DATA_DIR", work.resolve("node" + i).toString());
        env.put("KURZ_BASE_URL", "http://s.kurz.test");
        env.put("KURZ_DB_POOL_SIZE", "6");
        // All test traffic comes from one address; the per-IP budgets would throttle it. (HAProxy's
        // own per-IP limit is lifted the same way, through KURZ_LB_RATE_LIMIT.)
        for (String budget : List.of("KURZ_RATE_CREATE", "KURZ_RATE_REDIRECT", "KURZ_RATE_NOT_FOUND")) {
            env.put(budget, "off");
        }
        env.put("KURZ_REDIS_URL", redisUrl);
        env.put("KURZ_TRUSTED_PROXIES", "127.0.0.1");
        env.put("KURZ_CLICK_FLUSH_MS", "1000");
        // The killed node's journal is folded by the others once 3 fold intervals old: well before
        // scenario 8 counts the clicks.
        env.put("KURZ_CLICK_FOLD_MS", "1000");
        env.put("KURZ_SHUTDOWN_GRACE", "5s");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return start("kurz" + (i + 1), List.of(java, "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "--enable-native-access=ALL-UNNAMED", "-jar", jar.toString(), "serve"), env);
    }

    static void awaitReady(int i) {
        try {
            waitFor("node " + (i + 1) + " ready", Duration.ofSeconds(60),
                    () -> status(URI.create("http://127.0.0.1:" + nodePorts[i] + "/health/ready")) == 200);
        } catch (IllegalStateException e) {
            // The work directory goes with the run: say here why the node never got ready.
            throw new IllegalStateException(e.getMessage() + "; " + describe(nodes[i]), e);
        }
    }

    /** Whether {@code p} still runs (or how it ended) and the last lines of its log. */
    static String describe(Proc p) {
        String state = p.process().isAlive() ? "still running" : "exited with " + p.process().exitValue();
        String tail;
        try {
            List<String> lines = Files.readAllLines(p.log());
            tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            tail = "(log unreadable: " + e + ")";
        }
        return p.name() + " " + state + ", last lines of its log:\n" + tail;
    }

    static Proc startPostgres(String name, Path data, int port) throws Exception {
        Proc p = start(name, List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups",
                PG_BIN + "postgres", "-D", data.toString(), "-p", String.valueOf(port),
                "-k", work.resolve("sockets").toString()), Map.of());
        waitFor(name + " accepting connections", Duration.ofSeconds(30),
                () -> exec(List.of(PG_BIN + "pg_isready", "-h", "127.0.0.1", "-p", String.valueOf(port))) == 0);
        return p;
    }

    static Proc startRedis(String name, int port, List<String> extra) throws Exception {
        Path dir = work.resolve(name + "-" + port);
        Files.createDirectories(dir);
        var cmd = new ArrayList<>(List.of("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString()));
        cmd.addAll(extra);
        Proc p = start(name, cmd, Map.of());
        waitFor(name + " answering", Duration.ofSeconds(10),
                () -> exec(List.of("redis-cli", "-p", String.valueOf(port), "ping")) == 0);
        return p;
    }

    // ---------------------------------------------------------------- scenarios

    static String createAndRedirectAll() throws Exception {
        // A new URL set each run: the same URLs again would (rightly) answer 200 with the old links.
        Map<String, String> made = createLinks("run" + runs.incrementAndGet(), 2_000, 8);
        long wrong = verifyAll(made);
        check(wrong == 0, wrong + " of " + made.size() + " links redirected wrongly");
        return made.size() + " created (" + createRetries.getAndSet(0) + " retried after 503), " + made.size()
                + " redirected, 0 wrong";
    }

    static String patchReachesAllNodes() throws Exception {
        String code = createLink("https://example.com/patch/" + runs.incrementAndGet() + "/v1");
        for (int i = 0; i < 3; i++) {
            check(location(node(i, "/" + code)).equals(acknowledged.get(code)), "warm-up on node " + (i + 1));
        }
        long t0 = System.nanoTime();
        var r = send("PATCH", node(0, "/api/v1/links/" + code), "{\"url\": \"https://example.com/patch/v2\"}");
        check(r.statusCode() == 200, "PATCH answered " + r.statusCode());
        acknowledged.put(code, "https://example.com/patch/v2");
        long worst = 0;
        for (int i = 0; i < 3; i++) {
            int n = i;
            waitFor("node " + (n + 1) + " sees the edit", Duration.ofSeconds(5),
                    () -> "https://example.com/patch/v2".equals(location(node(n, "/" + code))));
            worst = Math.max(worst, ms(t0));
        }
        check(worst < BOUND.toMillis(), "slowest node took " + worst + " ms");
        return "slowest node saw the edit after " + worst + " ms";
    }

    static String killANodeUnderLoad() throws Exception {
        List<String> codes = List.copyOf(acknowledged.keySet());
        try (Load load = new Load(codes, 8)) {
            pause(Duration.ofSeconds(5));
            double rate = load.ok.get() / 5.0;
            kill9(nodes[1]);
            long killedAt = System.nanoTime();
            // What node 2 can have lost: what it served since its last flush (<= 1 s ago), at most
            // its share of the load; we bound it by all the load in 1.5 s.
            killedNodeLossBound = (long) (rate * 1.5);
            pause(Duration.ofSeconds(5));
            nodes[1] = startNode(1);
            awaitReady(1);
            long rejoinedMs = ms(killedAt);
            waitFor("HAProxy sends traffic to node 2 again", Duration.ofSeconds(20), () -> servedBy(1) > 0);
            pause(Duration.ofSeconds(Math.max(1, 20 - (ms(load.started) / 1000))));
            load.stop();
            check(load.failed.get() == 0, load.failed.get() + " failed GETs, first: " + load.firstFailure);
            return String.format("%,d GETs (%.0f/s), 0 failed; node back and serving %d ms after the kill",
                    load.ok.get(), load.ok.get() / (ms(load.started) / 1000.0), rejoinedMs);
        }
    }

    static String killRedisUnderLoad() throws Exception {
        List<String> codes = List.copyOf(acknowledged.keySet());
        long hitsBefore = redisKeyspaceHits(redisPort);
        try (Load load = new Load(codes, 6)) {
            pause(Duration.ofSeconds(2));
            kill9(redis);
            pause(Duration.ofSeconds(5));
            // Links created while Redis is down still work everywhere.
            String during = createLink("https://example.com/redis-down");
            check(location(lb("/" + during)).equals("https://example.com/redis-down"), "link made during outage");
            redis = startRedis("redis", redisPort, List.of());
            pause(Duration.ofSeconds(3));
            load.stop();
            check(load.failed.get() == 0, load.failed.get() + " failed GETs, first: " + load.firstFailure);
            // L2 in use again: a new link read on one node is served to another from Redis.
            String after = createLink("https://example.com/redis-back");
            long hits = redisKeyspaceHits(redisPort);
            waitFor("Redis serves L2 hits again", Duration.ofSeconds(20), () -> {
                for (int i = 0; i < 3; i++) {
                    location(node(i, "/" + after));
                }
                return redisKeyspaceHits(redisPort) > hits;
            });
            return String.format("%,d GETs, 0 failed; L2 hits before %d, after restart > 0", load.ok.get(), hitsBefore);
        }
    }

    static String stopPrimaryDuringCreates() throws Exception {
        List<String> codes = List.copyOf(acknowledged.keySet());
        AtomicLong created = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicLong other = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        Thread creator = Thread.ofPlatform().start(() -> {
            int i = 0;
            while (running.get()) {
                String url = "https://example.com/s5/" + i++;
                try {
                    var r = send("POST", lb("/api/v1/links"), "{\"url\": \"" + url + "\"}");
                    if (r.statusCode() == 201) {
                        acknowledged.put(code(r.body()), url);
                        created.incrementAndGet();
                    } else if (r.statusCode() == 503 && r.headers().firstValue("Retry-After").isPresent()) {
                        refused.incrementAndGet();
                    } else {
                        other.incrementAndGet();
                    }
                } catch (Exception e) {
                    other.incrementAndGet();
                }
                pause(Duration.ofMillis(20));
            }
        });
        try (Load load = new Load(codes, 4)) {
            pause(Duration.ofSeconds(2));
            long createdBefore = created.get();
            exec(List.of("kill", "-INT", String.valueOf(primary.pid()))); // fast shutdown
            primary.process().waitFor(30, TimeUnit.SECONDS);
            pause(Duration.ofSeconds(10));
            long refusedDuring = refused.get();
            primary = startPostgres("primary", work.resolve("primary"), pgPrimary);
            long restartedAt = System.nanoTime();
            long createdAtRestart = created.get();
            waitFor("creates succeed again", Duration.ofSeconds(60), () -> created.get() > createdAtRestart + 5);
            long recoveryMs = ms(restartedAt);
            running.set(false);
            creator.join();
            load.stop();
            check(refusedDuring > 0, "no create was refused while the primary was down");
            check(other.get() == 0, other.get() + " creates answered neither 201 nor 503+Retry-After");
            check(load.failed.get() == 0, load.failed.get() + " failed redirects, first: " + load.firstFailure);
            return String.format("%d created before, %d refused with 503 during, creates back %d ms after restart; "
                    + "%,d redirects meanwhile, 0 failed", createdBefore, refusedDuring, recoveryMs, load.ok.get());
        }
    }

    static String laggingReplica() throws Exception {
        psql(pgReplica, "kurz", "SELECT pg_wal_replay_pause()");
        try {
            String code = createLink("https://example.com/fresh-on-primary");
            String replicaHas = psql(pgReplica, "kurz", "SELECT count(*) FROM links WHERE code = '" + code + "'").strip();
            check(replicaHas.equals("0"), "the replica already had the link (not lagging)");
            for (int i = 0; i < 3; i++) {
                check(location(node(i, "/" + code)).equals("https://example.com/fresh-on-primary"),
                        "node " + (i + 1) + " did not redirect the fresh link");
            }
            return "replica paused (link absent there); all 3 nodes redirected it via the primary";
        } finally {
            psql(pgReplica, "kurz", "SELECT pg_wal_replay_resume()");
        }
    }

    static String redisCluster() throws Exception {
        int[] ports = {freePort(), freePort(), freePort()};
        List<Proc> shards = new ArrayList<>();
        for (int port : ports) {
            shards.add(startRedis("redis-cluster", port, List.of("--cluster-enabled", "yes",
                    "--cluster-config-file", work.resolve("nodes-" + port + ".conf").toString(),
                    "--cluster-node-timeout", "2000")));
        }
        run("redis-cli --cluster create", List.of("redis-cli", "--cluster", "create",
                "127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1], "127.0.0.1:" + ports[2],
                "--cluster-replicas", "0", "--cluster-yes"));
        waitFor("Redis Cluster ok", Duration.ofSeconds(20),
                () -> output(List.of("redis-cli", "-p", String.valueOf(ports[0]), "cluster", "info")).contains("cluster_state:ok"));
        redisUrl = "redis-cluster://127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1] + ",127.0.0.1:" + ports[2];
        for (int i = 0; i < 3; i++) { // rolling restart onto the cluster, one node at a time
            stop(nodes[i]);
            nodes[i] = startNode(i);
            awaitReady(i);
        }
        waitFor("HAProxy sees all nodes up", Duration.ofSeconds(20), () -> servedBy(0) > 0 && servedBy(1) > 0 && servedBy(2) > 0);
        String one = createAndRedirectAll();
        String two = patchReachesAllNodes();
        long keys = 0;
        for (int port : ports) {
            keys += Long.parseLong(output(List.of("redis-cli", "-p", String.valueOf(port), "dbsize")).strip());
        }
        check(keys > 0, "no L2 keys in the Redis Cluster");
        return one + "; " + two + "; " + keys + " L2 keys across 3 shards";
    }

    static String nothingLost() throws Exception {
        long wrong = verifyAll(acknowledged);
        check(wrong == 0, wrong + " acknowledged links do not resolve to their URL");
        // Stop the nodes gracefully so their last clicks are flushed, then count in the database.
        for (Proc n : nodes) {
            stop(n);
        }
        long stored = Long.parseLong(psql(pgPrimary, "kurz", "SELECT coalesce(sum(clicks), 0) FROM links").strip());
        long sent = clicksSent.get();
        long lost = sent - stored;
        check(lost >= 0, "more clicks stored (" + stored + ") than redirects sent (" + sent + ")");
        check(lost <= killedNodeLossBound, lost + " clicks lost, more than the killed node's bound " + killedNodeLossBound);
        return String.format("%,d links acknowledged, 0 lost; %,d redirects sent, %,d clicks stored "
                + "(%d lost with the killed node, bound %d)", acknowledged.size(), sent, stored, lost, killedNodeLossBound);
    }

    // ---------------------------------------------------------------- traffic

    /** Redirect load through HAProxy from a few threads; every answer is checked. */
    static final class Load implements AutoCloseable {
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong ok = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final long started = System.nanoTime();
        volatile String firstFailure;
        final List<Thread> threads = new ArrayList<>();

        Load(List<String> codes, int threadCount) {
            for (int t = 0; t < threadCount; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(3)).build();
                    while (running.get()) {
                        String code = codes.get(ThreadLocalRandom.current().nextInt(codes.size()));
                        String expected = acknowledged.get(code);
                        try {
                            var r = client.send(HttpRequest.newBuilder(lb("/" + code)).timeout(Duration.ofSeconds(10)).build(),
                                    HttpResponse.BodyHandlers.discarding());
                            if (r.statusCode() == 302 && expected.equals(r.headers().firstValue("Location").orElse(""))) {
                                ok.incrementAndGet();
                                clicksSent.incrementAndGet();
                            } else {
                                fail(code + " -> " + r.statusCode() + " " + r.headers().firstValue("Location").orElse(""));
                            }
                        } catch (Exception e) {
                            fail(code + " -> " + e);
                        }
                    }
                }));
            }
        }

        void fail(String what) {
            if (failed.incrementAndGet() == 1) {
                firstFailure = what;
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join();
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }

    static Map<String, String> createLinks(String prefix, int count, int threads) throws Exception {
        Map<String, String> made = new ConcurrentHashMap<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = thread; i < count; i += threads) {
                        String url = "https://example.com/" + prefix + "/" + i;
                        made.put(createLink(url), url);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        check(made.size() == count, "expected " + count + " distinct codes, got " + made.size());
        return made;
    }

    /** Creates retried on 503 + Retry-After, as a well-behaved client does (bounded, and counted). */
    static final AtomicLong createRetries = new AtomicLong();

    static String createLink(String url) throws Exception {
        var r = send("POST", lb("/api/v1/links"), "{\"url\": \"" + url + "\"}");
        for (int attempt = 1; attempt < 4 && r.statusCode() == 503 && r.headers().firstValue("Retry-After").isPresent(); attempt++) {
            createRetries.incrementAndGet();
            pause(Duration.ofMillis(200L * attempt));
            r = send("POST", lb("/api/v1/links"), "{\"url\": \"" + url + "\"}");
        }
        check(r.statusCode() == 201, "create answered " + r.statusCode() + ": " + r.body());
        String code = code(r.body());
        acknowledged.put(code, url);
        return code;
    }

    static long verifyAll(Map<String, String> links) throws Exception {
        AtomicLong wrong = new AtomicLong();
        List<Map.Entry<String, String>> entries = List.copyOf(links.entrySet());
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = thread; i < entries.size(); i += 8) {
                        var e = entries.get(i);
                        if (!e.getValue().equals(location(lb("/" + e.getKey())))) {
                            wrong.incrementAndGet();
                            System.out.println("  wrong: " + e.getKey() + " expected " + e.getValue());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        return wrong.get();
    }

    // ---------------------------------------------------------------- helpers

    static URI lb(String path) {
        return URI.create("http://127.0.0.1:" + lbPort + path);
    }

    static URI node(int i, String path) {
        return URI.create("http://127.0.0.1:" + nodePorts[i] + path);
    }

    static HttpResponse<String> send(String method, URI uri, String json) throws Exception {
        var b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(15));
        if (!method.equals("POST") && adminKey != null) {
            b.header("Authorization", "Bearer " + adminKey); // edits need a key; creates stay anonymous
        }
        if (json != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The Location of a GET; every redirect answered is a click, so it is counted. "" if none. */
    static String location(URI uri) {
        try {
            var r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() >= 300 && r.statusCode() < 400) {
                clicksSent.incrementAndGet();
            }
            return r.headers().firstValue("Location").orElse("");
        } catch (Exception e) {
            return "";
        }
    }

    static int status(URI uri) {
        try {
            return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    /** Requests HAProxy sent to node i, from its stats CSV (column stot of the redirects backend). */
    static long servedBy(int i) {
        try {
            var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lbStatsPort + "/;csv"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            for (String line : r.body().split("\n")) {
                String[] f = line.split(",");
                if (f.length > 17 && f[0].equals("kurz_redirects") && f[1].equals("kurz" + (i + 1))) {
                    return f[17].equals("UP") ? Long.parseLong(f[7]) : 0;
                }
            }
        } catch (Exception e) {
            // below
        }
        return -1;
    }

    static long redisKeyspaceHits(int port) {
        String info = output(List.of("redis-cli", "-p", String.valueOf(port), "info", "stats"));
        Matcher m = Pattern.compile("keyspace_hits:(\\d+)").matcher(info);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    static String code(String json) {
        Matcher m = CODE.matcher(json);
        check(m.find(), "no code in " + json);
        return m.group(1);
    }

    static String psql(int port, String db, String sql) throws Exception {
        var pb = new ProcessBuilder(List.of("psql", "-h", "127.0.0.1", "-p", String.valueOf(port), "-U", "postgres",
                "-d", db, "-tAc", sql)).redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        check(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "psql failed: " + out);
        return out;
    }

    static Proc start(String name, List<String> cmd, Map<String, String> env) throws IOException {
        Path log = work.resolve(name + "-" + System.nanoTime() + ".log");
        var pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Proc p = new Proc(name, pb.start(), log);
        processes.add(p);
        return p;
    }

    static void run(String what, List<String> cmd) throws Exception {
        Path log = work.resolve("cmd-" + System.nanoTime() + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        check(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, what + " failed: " + Files.readString(log));
    }

    static int exec(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(10, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (Exception e) {
            return -1;
        }
    }

    static String output(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor(10, TimeUnit.SECONDS);
            return out;
        } catch (Exception e) {
            return "";
        }
    }

    static void kill9(Proc p) throws InterruptedException {
        p.process().destroyForcibly(); // SIGKILL
        p.process().waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM and wait: kurz drains and flushes; PostgreSQL and Redis shut down. */
    static void stop(Proc p) throws InterruptedException {
        if (p == null || !p.process().isAlive()) {
            return;
        }
        if (p.name().equals("primary") || p.name().equals("replica")) {
            exec(List.of("kill", "-INT", String.valueOf(p.pid())));
        } else {
            p.process().destroy();
        }
        if (!p.process().waitFor(30, TimeUnit.SECONDS)) {
            p.process().destroyForcibly();
        }
    }

    static void stopAll() {
        List<Proc> all = new ArrayList<>(processes);
        java.util.Collections.reverse(all); // nodes before databases
        for (Proc p : all) {
            try {
                stop(p);
            } catch (InterruptedException e) {
                p.process().destroyForcibly();
            }
        }
    }

    static void waitFor(String what, Duration limit, BooleanSupplier condition) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            check(System.nanoTime() < deadline, "timed out after " + limit.toSeconds() + " s waiting for: " + what);
            pause(Duration.ofMillis(50));
        }
    }

    static void pause(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException(message);
        }
    }

    static long ms(long since) {
        return (System.nanoTime() - since) / 1_000_000;
    }

    static int freePort() throws IOException {
        try (var s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static void chownPostgres(Path dir) throws Exception {
        run("chown", List.of("chown", "-R", "postgres:postgres", dir.toString()));
    }

    static void deleteQuietly(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // temp files; the OS cleans up eventually
        }
    }

    static void printTable(Duration total) {
        System.out.println();
        System.out.println("| scenario | result | figure |");
        System.out.println("|---|---|---|");
        for (Result r : results) {
            System.out.println("| " + r.scenario() + " | " + (r.ok() ? "pass" : "FAIL") + " | " + r.figure() + " |");
        }
        System.out.println("total " + total.toSeconds() + " s");
    }
}
