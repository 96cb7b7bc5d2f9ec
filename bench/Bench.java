// The kurz benchmark, run by bench/run as `java bench/Bench.java <repo> [--quick] [--large]`.
//
// On loopback, with wrk (-t2 -c64, a warm-up then a measured run, both bounded by time):
//   1. nginx answering `return 302` for any path, one worker per core: the practical limit of
//      this machine for a redirect, measured with the same wrk script as kurz;
//   2. kurz on SQLite: redirect-hot, redirect-404, create, mixed;
//   3. kurz on PostgreSQL + Redis (Debian's postgresql-15 and redis-server): the same, plus
//      redirect-cold over 1,000,000 links with L1 sized to 100,000, and the heap that 1,000,000
//      cached links take;
//   4. with --large (not in CI; about 40 minutes more): redirect-cold at 10,000 links and at
//      10,000,000 links, L1 a tenth of the links both times, to show what growth costs
//      (--growth-only: nginx and this step alone, printed and not written into the docs).
// Links are created through kurz's API. Prints a Markdown table; without --quick it also writes
// it into docs/BENCHMARKS.md between the bench/run markers. Every process it starts is stopped
// by its PID, also on failure.

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class Bench {

    static final String PG_BIN = "/usr/lib/postgresql/15/bin/";
    static final Pattern CODE = Pattern.compile("\"code\":\"([^\"]+)\"");
    static final int CORES = Runtime.getRuntime().availableProcessors();

    /** One measured wrk run. Latencies in microseconds; memory in KiB. */
    record Run(String backend, String scenario, double rps, double nginxRps, long p50, long p99, long p999,
               long errors, long rssKiB, long heapKiB) {}

    /** What wrk's done() printed. */
    record Wrk(long requests, double seconds, long socketErrors, long statusErrors, long p50, long p99, long p999) {
        double rps() {
            return requests / seconds;
        }
    }

    /**
     * A measured run: wrk's figures, nginx's req/s around it (the mean of the runs just before and
     * after), and the CPU each server used per request during it (µs; -1 where it is not running),
     * kurz's by thread and PostgreSQL's by process role, and the share of the machine's CPU time
     * that was busy (not idle) while wrk ran: near 1, every process's cost is taken from the others.
     * {@code leftoverCoreSeconds}: the machine's CPU from the end of the run until its clicks were
     * seen folded (NaN where that is not waited for: {@code --quick}, or the fold deferred). A fold
     * that falls behind during the run (clicks over a million links) finishes after it, so the
     * run's req/s did not pay for all the work its requests caused. The wait also holds a few
     * seconds of the idle servers' and this harness's own background (about 0.5 core-seconds).
     */
    record Measured(Wrk wrk, double nginxRps, double kurzCpuUs, double postgresCpuUs, double redisCpuUs,
                    String kurzThreads, String postgresParts, double machineBusy, double leftoverCoreSeconds) {
        /**
         * The rate had the leftover work been done within the run, at the run's busy share: the
         * requests over the run's time plus the time that work takes the machine.
         */
        double sustainedRps() {
            return wrk.requests() / (wrk.seconds() + leftoverCoreSeconds / (machineCpus() * machineBusy));
        }
    }

    record Proc(String name, Process process, Path log) {
        long pid() {
            return process.pid();
        }
    }

    static Path repo, work, jar, lua;
    static boolean quick, large, heapOnly;
    static int[] growthLinks = {10_000, 10_000_000};
    static Proc postgresProc, redisProc;
    static Duration warmUp, measured;
    static final List<Proc> processes = new CopyOnWriteArrayList<>();
    static final List<Run> runs = new ArrayList<>();
    static final List<String> notes = new ArrayList<>();
    static String nginxBase;
    static Path nginxCodes;
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();

    public static void main(String[] args) throws Exception {
        repo = Path.of(args[0]).toAbsolutePath();
        List<String> flags = List.of(args).subList(1, args.length);
        quick = flags.contains("--quick");
        large = flags.contains("--large");
        heapOnly = flags.contains("--heap-only");
        boolean growthOnly = flags.contains("--growth-only");
        large |= growthOnly;
        for (String flag : flags) {
            if (flag.startsWith("--growth-links=")) { // e.g. 10000,1000000 for a shorter look at growth
                growthLinks = java.util.Arrays.stream(flag.substring(15).split(",")).mapToInt(Integer::parseInt).toArray();
            }
        }
        warmUp = quick ? Duration.ofSeconds(1) : Duration.ofSeconds(20); // the JIT needs ~15 s here
        measured = quick ? Duration.ofSeconds(3) : Duration.ofSeconds(30);
        jar = repo.resolve("target/kurz.jar");
        lua = repo.resolve("bench/wrk.lua");
        work = Files.createTempDirectory("kurz-bench-");
        Runtime.getRuntime().addShutdownHook(new Thread(Bench::stopAll));
        String machine = machine();
        System.out.println(machine);
        RuntimeException stopped = null;
        try {
            int hotLinks = quick ? 2_000 : 10_000;
            Path unknown = writeCodes("unknown", randomCodes(10_000));
            if (!heapOnly) {
                nginx(unknown);
            }
            if (growthOnly) {
                pgPort = startPostgres();
                redisPort = startRedis();
            } else {
                if (!heapOnly) {
                    sqlite(hotLinks, unknown);
                }
                postgres(hotLinks, quick ? 20_000 : 1_000_000, unknown);
            }
            if (large) {
                costGrowth();
            }
        } catch (RuntimeException e) {
            // The rows measured so far are still figures: print and write them, say where it stopped.
            stopped = e;
            notes.add("This run stopped early: " + e.getMessage() + ". The rows above were measured before that.");
        } finally {
            stopAll();
        }
        String table = table(machine);
        System.out.println();
        System.out.println(table);
        if (!quick && !heapOnly && !growthOnly && !runs.isEmpty()) {
            writeIntoDocs(table);
        }
        if (stopped != null) {
            throw stopped;
        }
        deleteQuietly(work);
    }

    // ---------------------------------------------------------------- the three servers

    static void nginx(Path codes) throws Exception {
        int port = freePort();
        Path conf = work.resolve("nginx.conf");
        Files.writeString(conf, """
                worker_processes %d;
                daemon off;
                pid %s;
                error_log %s warn;
                events { worker_connections 4096; }
                http {
                    access_log off;
                    keepalive_requests 100000000;
                    server {
                        listen 127.0.0.1:%d;
                        location / { return 302 https://example.com/articles/seed/123456?utm_source=bench&utm_medium=wrk; }
                    }
                }
                """.formatted(CORES, work.resolve("nginx.pid"), work.resolve("nginx-error.log"), port));
        Proc nginx = start("nginx", List.of("nginx", "-c", conf.toString(), "-p", work.toString(), "-e",
                work.resolve("nginx-error.log").toString()), Map.of());
        String base = "http://127.0.0.1:" + port;
        waitFor("nginx answering", Duration.ofSeconds(10), () -> status(URI.create(base + "/abc")) == 302);
        wrk(base, "redirect", codes, "-", warmUp);
        Wrk w = wrk(base, "redirect", codes, "-", measured);
        runs.add(new Run("nginx " + nginxVersion(), "redirect (`return 302`, " + CORES + " workers)", w.rps(), w.rps(),
                w.p50(), w.p99(), w.p999(), w.socketErrors() + w.statusErrors(),
                rssKiB(nginx.pid()) + childrenRssKiB(nginx.pid()), -1));
        // nginx stays up, idle, as the reference measured around every kurz run (see measure).
        nginxBase = base;
        nginxCodes = codes;
    }

    static void sqlite(int hotLinks, Path unknown) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("KURZ_DATA_DIR", work.resolve("sqlite").toString());
        String key = adminKey(env);
        Proc kurz = startKurz("kurz-sqlite", env);
        String base = awaitKurz(kurz, env);
        Path hot = writeCodes("sqlite-hot", createLinks(base, key, hotLinks, "sqlite"));
        scenarios("SQLite", kurz, base, key, hot, unknown);
        stop(kurz);
    }

    static int pgPort, redisPort;

    static void postgres(int hotLinks, int coldLinks, Path unknown) throws Exception {
        int pg = pgPort = startPostgres();
        redisPort = startRedis();
        Map<String, String> env = new HashMap<>();
        env.put("KURZ_DATA_DIR", work.resolve("pg-node").toString());
        env.put("KURZ_DB_URL", "jdbc:postgresql://127.0.0.1:" + pg + "/kurz");
        env.put("KURZ_DB_USER", "postgres");
        env.put("KURZ_REDIS_URL", "redis://127.0.0.1:" + redisPort);
        env.put("KURZ_IMPORT_MAX_BYTES", String.valueOf(4L << 30));
        String key = adminKey(env);
        Proc kurz = startKurz("kurz-pg", env);
        String base = awaitKurz(kurz, env);
        Path hot = writeCodes("pg-hot", createLinks(base, key, hotLinks, "pg"));
        List<String> all = importLinks(base, key, coldLinks, "pg-cold");
        Path cold = writeCodes("pg-cold", all);
        String backend = "PostgreSQL 15 + Redis";
        if (heapOnly) {
            stop(kurz);
            heap(env, all);
            return;
        }
        scenarios(backend, kurz, base, key, hot, unknown);

        // redirect-cold: L1 holds a tenth of the links; every link was read once before (so Redis
        // holds them all: the steady state of a cluster), then codes are drawn uniformly.
        walk(base, all);
        record(backend, "redirect-cold (" + count(all.size()) + " links, L1 100,000)", measure(kurz, base, "redirect", cold, key),
                kurz, false);
        stop(kurz);
        heap(env, all);
    }

    /** The heap of 1,000,000 cached links: a node whose L1 holds them all, after a full GC. */
    static void heap(Map<String, String> env, List<String> all) throws Exception {
        Map<String, String> big = new HashMap<>(env);
        big.put("KURZ_CACHE_L1_SIZE", String.valueOf(all.size() + 10_000));
        Proc full = startKurz("kurz-pg-heap", big);
        String fullBase = awaitKurz(full, big);
        long emptyHeap = liveHeapKiB(full.pid());
        walk(fullBase, all);
        settle(fullBase);
        long heap = liveHeapKiB(full.pid());
        long cached = instances(full.pid(), "dev.kurz.redirect.CachedLink");
        if (heapOnly) { // where the heap goes, for a closer look
            output(List.of(jcmd(), String.valueOf(full.pid()), "GC.class_histogram")).lines().limit(20)
                    .forEach(System.out::println);
        }
        notes.add("Heap with %s links cached in L1 (%s `CachedLink` objects in the heap histogram): %s MiB live "
                .formatted(count(all.size()), count(cached), mib(heap))
                + "after a full GC, against %s MiB for the same node before the walk; %s bytes per cached link."
                .formatted(mib(emptyHeap), (heap - emptyHeap) * 1024 / Math.max(1, cached)));
        stop(full);
    }

    /**
     * --large: the cost of growth. redirect-cold on a node with 10,000 links and on one with
     * 10,000,000, each in a database of its own, with L1 sized to a tenth of the links and every
     * link read once before (so Redis holds them all), exactly as in redirect-cold: only the
     * number of links differs.
     */
    static void costGrowth() throws Exception {
        int pg = pgPort;
        Measured small = null;
        for (int links : growthLinks) {
            String db = "kurz_" + links;
            run(List.of("psql", "-q", "-h", "127.0.0.1", "-p", String.valueOf(pg), "-U", "postgres", "-c", "CREATE DATABASE " + db));
            Map<String, String> env = new HashMap<>();
            env.put("KURZ_DATA_DIR", work.resolve("node-" + links).toString());
            env.put("KURZ_DB_URL", "jdbc:postgresql://127.0.0.1:" + pg + "/" + db);
            env.put("KURZ_DB_USER", "postgres");
            env.put("KURZ_REDIS_URL", "redis://127.0.0.1:" + redisPort);
            env.put("KURZ_REDIS_PREFIX", db + ":");
            env.put("KURZ_IMPORT_MAX_BYTES", String.valueOf(4L << 30));
            env.put("KURZ_CACHE_L1_SIZE", String.valueOf(links / 10));
            // Walking ten million links takes longer than the default L2 TTL (10 min): without
            // this, Redis would have dropped most of them again by the time they are measured.
            env.put("KURZ_CACHE_L2_TTL", "6h");
            String key = adminKey(env);
            Proc kurz = startKurz("kurz-" + links, env);
            String base = awaitKurz(kurz, env);
            List<String> codes = importLinks(base, key, links, "growth-" + links);
            walk(base, codes);
            settle(base); // folding the walk's clicks is not what this row measures
            Path file = writeCodes("growth-" + links, codes);
            Measured m = measure(kurz, base, "redirect", file, key);
            String scenario = "redirect-cold (%s links, L1 %s)".formatted(count(links), count(links / 10));
            record("PostgreSQL 15 + Redis", scenario, m, kurz, false);
            if (small == null) {
                small = m;
            } else {
                // The two rows are measured half an hour apart, so each is taken relative to the
                // nginx runs around it: the machine's drift would otherwise read as growth.
                double relative = (m.wrk().rps() / m.nginxRps()) / (small.wrk().rps() / small.nginxRps());
                notes.add(String.format(Locale.ROOT, "Cost growth (`bench/run --large`): redirect-cold at %s links "
                        + "answers %,.0f req/s (%.2f× nginx), against %,.0f req/s (%.2f× nginx) at %s links: "
                        + "%.1f%% of it, relative to nginx in the same minutes (%.1f%% in raw req/s). "
                        + "CPU per redirect: kurz %.1f µs against %.1f, PostgreSQL %.1f against %.1f, Redis %.1f against %.1f.%s",
                        count(links), m.wrk().rps(), m.wrk().rps() / m.nginxRps(), small.wrk().rps(),
                        small.wrk().rps() / small.nginxRps(), count(growthLinks[0]), 100 * relative,
                        100 * m.wrk().rps() / small.wrk().rps(), m.kurzCpuUs(), small.kurzCpuUs(), m.postgresCpuUs(),
                        small.postgresCpuUs(), m.redisCpuUs(), small.redisCpuUs(),
                        Double.isNaN(m.leftoverCoreSeconds()) ? "" : String.format(Locale.ROOT,
                                " With the work left after each run paid within it: %,.0f against %,.0f req/s, %.1f%% raw.",
                                m.sustainedRps(), small.sustainedRps(), 100 * m.sustainedRps() / small.sustainedRps())));
            }
            stop(kurz);
        }
    }

    /** The scenarios every backend runs, on a node with {@code hot} links created. */
    static void scenarios(String backend, Proc kurz, String base, String key, Path hot, Path unknown) throws Exception {
        record(backend, "redirect-hot (" + count(lines(hot)) + " links)", measure(kurz, base, "redirect", hot, key), kurz, false);
        record(backend, "redirect-404 (10,000 unknown codes)", measure(kurz, base, "redirect", unknown, key), kurz, true);
        record(backend, "create", measure(kurz, base, "create", null, key), kurz, false);
        record(backend, "mixed (95% redirect-hot, 5% create)", measure(kurz, base, "mixed", hot, key), kurz, false);
    }

    // ---------------------------------------------------------------- wrk

    /**
     * A warm-up, then the measured run, bracketed by two shorter runs of the idle nginx: the
     * reference for this row is their mean. This machine's speed drifts by 10-20% over minutes
     * (nginx alone measured 55k and 69k req/s a minute apart), so a reference taken once at the
     * start would make the ratio as much luck as measurement.
     *
     * <p>The warm-up lasts until the JIT has settled: 20 s, then 10 s more at a time (60 s at
     * most) while kurz's JIT compiler threads used more than 5% of a core. The redirect paths
     * settle within 20 s; a create touches far more code (Jackson, the JDBC driver, Lettuce) and
     * was measured with C2 still busy at a third of a core 55 s in. A node serves for days: the
     * row should show that, not its first minute. All runs are bounded by time.
     */
    static Measured measure(Proc kurz, String base, String mode, Path codes, String key) throws Exception {
        wrk(base, mode, codes, key, warmUp);
        for (int extra = 0; !quick && extra < 4; extra++) {
            long before = compilerTicks(kurz.pid());
            wrk(base, mode, codes, key, Duration.ofSeconds(10));
            long used = compilerTicks(kurz.pid()) - before; // in 1/100 s
            if (used <= 50) { // 5% of a core over 10 s
                break;
            }
            System.out.printf(Locale.ROOT, "  (JIT compilers used %d%% of a core in 10 s: warming up 10 s more)%n", used / 10);
        }
        Duration reference = quick ? Duration.ofSeconds(2) : Duration.ofSeconds(10);
        // nginx is measured on a quiet machine: not while the node and PostgreSQL still fold the
        // clicks of the run before (with clicks over ten million links that took a third of the
        // machine for seconds, and the reference fell from 78,000 to 41,000 req/s). The run's own
        // CPU per request includes that trailing fold: it is part of what a redirect costs.
        foldedSince(base, System.currentTimeMillis());
        double before = nginxBase == null ? Double.NaN : wrk(nginxBase, "redirect", nginxCodes, "-", reference).rps();
        long kurzTicks = cpuTicks(kurz), redisTicks = cpuTicks(redisProc);
        // The probes first: their psql backends end, and their CPU must not count in this row's.
        Map<String, Long> ioBefore = postgresIo();
        psql("SELECT pg_stat_statements_reset()");
        Map<String, Long> threadsBefore = threadTicks(kurz.pid()), pgBefore = postgresTicks();
        long[] machineBefore = machineTicks();
        Wrk w = wrk(base, mode, codes, key, measured);
        long[] machineAfter = machineTicks();
        double busy = 1 - (double) (machineAfter[1] - machineBefore[1]) / (machineAfter[0] - machineBefore[0]);
        boolean waited = foldedSince(base, System.currentTimeMillis());
        double leftover = waited ? (busyTicks(machineTicks()) - busyTicks(machineAfter)) / 100.0 : Double.NaN; // USER_HZ
        Map<String, Long> pgAfter = postgresTicks();
        printPostgresIo(ioBefore, postgresIo(), w);
        if (hugePagesForAll()) { // that the transparent ones were granted
            System.out.printf(Locale.ROOT, "  in transparent huge pages: kurz %s, Redis %s%n",
                    hugeMiB(kurz), hugeMiB(redisProc));
        }
        // The statements that took PostgreSQL's time in this row, with µs per request.
        psql(String.format(Locale.ROOT, "SELECT round((total_exec_time * 1000 / %d)::numeric, 2) AS us_per_request, calls, rows, "
                + "shared_blks_read AS blks_read, shared_blks_dirtied AS dirtied, shared_blks_written AS written, "
                + "wal_fpi, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query FROM pg_stat_statements "
                + "ORDER BY total_exec_time DESC LIMIT 8", Math.max(1, w.requests()))).lines()
                .forEach(l -> System.out.println("  " + l));
        String threads = breakdown(threadsBefore, threadTicks(kurz.pid()), w);
        String pgParts = breakdown(pgBefore, pgAfter, w);
        double kurzUs = perRequest(cpuTicks(kurz) - kurzTicks, w), redisUs = perRequest(cpuTicks(redisProc) - redisTicks, w),
                pgUs = perRequest(sum(pgAfter) - sum(pgBefore), w);
        double after = nginxBase == null ? Double.NaN : wrk(nginxBase, "redirect", nginxCodes, "-", reference).rps();
        return new Measured(w, (before + after) / 2, kurzUs, pgUs, redisUs, threads, pgParts, busy, leftover);
    }

    /**
     * PostgreSQL's buffer and WAL counters, cluster-wide: where a row's PostgreSQL CPU went
     * besides statements. A block "read" came from the OS (not in shared_buffers); a "backend
     * write" is a dirty buffer a backend had to write out itself to make room; fpi are full-page
     * images (a page's first change after a checkpoint).
     */
    static Map<String, Long> postgresIo() {
        Map<String, Long> io = new LinkedHashMap<>();
        String out = psql("SELECT 'blocks hit', sum(blks_hit) FROM pg_stat_database "
                + "UNION ALL SELECT 'blocks read', sum(blks_read) FROM pg_stat_database "
                + "UNION ALL SELECT 'backend writes', buffers_backend FROM pg_stat_bgwriter "
                + "UNION ALL SELECT 'bgwriter writes', buffers_clean FROM pg_stat_bgwriter "
                + "UNION ALL SELECT 'checkpoint writes', buffers_checkpoint FROM pg_stat_bgwriter "
                + "UNION ALL SELECT 'checkpoints', checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter "
                + "UNION ALL SELECT 'wal bytes', wal_bytes::bigint FROM pg_stat_wal "
                + "UNION ALL SELECT 'wal fpi', wal_fpi FROM pg_stat_wal", "-At", "-F", " ");
        for (String line : out.lines().toList()) {
            int space = line.lastIndexOf(' ');
            try {
                io.put(line.substring(0, space), Long.parseLong(line.substring(space + 1)));
            } catch (RuntimeException e) {
                return Map.of(); // psql failed: print nothing rather than nonsense
            }
        }
        return io;
    }

    /** A query's output on the cluster's postgres database ("" when there is no PostgreSQL), with psql's options. */
    static String psql(String sql, String... options) {
        if (postgresProc == null || !postgresProc.process().isAlive()) {
            return "";
        }
        List<String> cmd = new ArrayList<>(List.of("psql", "-X", "-q", "-h", "127.0.0.1", "-p", String.valueOf(pgPort),
                "-U", "postgres", "-d", "postgres"));
        cmd.addAll(List.of(options));
        cmd.addAll(List.of("-c", sql));
        return output(cmd);
    }

    static void printPostgresIo(Map<String, Long> before, Map<String, Long> after, Wrk w) {
        if (before.isEmpty() || after.isEmpty()) {
            return;
        }
        var line = new StringBuilder("  PostgreSQL per request:");
        after.forEach((name, value) -> line.append(String.format(Locale.ROOT, " %s %.3f;", name,
                (double) (value - before.getOrDefault(name, 0L)) / Math.max(1, w.requests()))));
        System.out.println(line);
    }

    /** All CPUs' ticks so far from {@code /proc/stat}: {total, idle + iowait}. */
    static long[] machineTicks() throws IOException {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
        long total = 0;
        for (int i = 1; i <= 8; i++) { // user nice system idle iowait irq softirq steal (guest is in user)
            total += Long.parseLong(f[i]);
        }
        return new long[] {total, Long.parseLong(f[4]) + Long.parseLong(f[5])};
    }

    /** The machine's CPUs, as {@code /proc/stat} counts them (what {@link #machineTicks} sums). */
    static long machineCpus() {
        try {
            return Files.readAllLines(Path.of("/proc/stat")).stream().filter(l -> l.matches("cpu[0-9]+ .*")).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long busyTicks(long[] machine) {
        return machine[0] - machine[1];
    }

    static long sum(Map<String, Long> ticks) {
        return ticks.values().stream().mapToLong(Long::longValue).sum();
    }

    /** What each part used between two readings, per request, biggest first: "a 12.0, b 3.1". */
    static String breakdown(Map<String, Long> before, Map<String, Long> after, Wrk w) {
        var out = new StringBuilder();
        after.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() > 0).sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> out.append(String.format(Locale.ROOT, "%s%s %.1f", out.isEmpty() ? "" : ", ", e.getKey(),
                        perRequest(e.getValue(), w))));
        return out.toString();
    }

    /**
     * PostgreSQL's CPU ticks by process role, from each process's title ("postgres: checkpointer",
     * "postgres: autovacuum worker", a backend's "postgres: user db address state"). Processes
     * that ended (autovacuum workers) count in the postmaster's reaped children.
     */
    static Map<String, Long> postgresTicks() {
        Map<String, Long> ticks = new HashMap<>();
        if (postgresProc == null || !postgresProc.process().isAlive()) {
            return ticks;
        }
        ticks.put("postmaster and ended workers", statTicks(Path.of("/proc/" + postgresProc.pid() + "/stat"), true));
        for (ProcessHandle child : postgresProc.process().descendants().toList()) {
            try {
                String title = Files.readString(Path.of("/proc/" + child.pid() + "/cmdline")).replace('\0', ' ').strip()
                        .replaceFirst("^postgres: ", "");
                String role = title.startsWith("postgres ") ? "backends" : title.replaceAll("\\s+", " ");
                long t = statTicks(Path.of("/proc/" + child.pid() + "/stat"), false);
                if (t > 0) {
                    ticks.merge(role, t, Long::sum);
                }
            } catch (IOException e) {
                // ended
            }
        }
        return ticks;
    }

    /** CPU ticks of a process's threads, summed by name without its trailing number ("GC Thread#"). */
    static Map<String, Long> threadTicks(long pid) {
        Map<String, Long> ticks = new HashMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String name = Files.readString(task.resolve("comm")).strip().replaceAll("[0-9]+$", "");
                    long t = statTicks(task.resolve("stat"), false);
                    if (t > 0) {
                        ticks.merge(name, t, Long::sum);
                    }
                } catch (IOException e) {
                    // the thread ended
                }
            }
        } catch (IOException e) {
            // the process ended
        }
        return ticks;
    }

    /**
     * CPU time (user + system, clock ticks of 1/100 s) a process has used so far; -1 when it is
     * not running. PostgreSQL's, spread over its processes, is {@link #postgresTicks}.
     */
    static long cpuTicks(Proc p) {
        return p == null || !p.process().isAlive() ? -1 : statTicks(Path.of("/proc/" + p.pid() + "/stat"), false);
    }

    /**
     * utime + stime from a {@code stat} file, with the reaped children's if asked; -1 once it is
     * gone. A thread's is {@code /proc/<pid>/task/<tid>/stat} ({@code /proc/<tid>/stat} reports
     * its whole process).
     */
    static long statTicks(Path stat, boolean withReaped) {
        try {
            String text = Files.readString(stat);
            String[] f = text.substring(text.lastIndexOf(')') + 2).split(" ");
            long own = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
            return withReaped ? own + Long.parseLong(f[13]) + Long.parseLong(f[14]) : own; // cutime, cstime
        } catch (IOException | RuntimeException e) {
            return -1; // ended
        }
    }

    static double perRequest(long ticks, Wrk w) {
        return ticks < 0 || w.requests() == 0 ? -1 : ticks * 10_000.0 / w.requests();
    }

    /** CPU time the JVM's JIT compiler threads (C1 and C2) have used so far, in clock ticks (1/100 s). */
    static long compilerTicks(long pid) {
        return threadTicks(pid).entrySet().stream().filter(e -> e.getKey().contains("CompilerThre"))
                .mapToLong(Map.Entry::getValue).sum();
    }

    static Wrk wrk(String base, String mode, Path codes, String key, Duration d) throws Exception {
        var cmd = List.of("wrk", "-t2", "-c64", "-d" + d.toSeconds() + "s", "--timeout", "5s", "-s", lua.toString(), base,
                "--", mode, codes == null ? "-" : codes.toString(), key, "r" + System.nanoTime(), "2");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        check(p.waitFor(d.toSeconds() + 60, TimeUnit.SECONDS) && p.exitValue() == 0, "wrk failed: " + out);
        Matcher m = Pattern.compile("BENCH \\{(.*)}").matcher(out);
        check(m.find(), "no BENCH line in wrk output: " + out);
        Map<String, Long> f = new HashMap<>();
        for (String pair : m.group(1).split(",")) {
            String[] kv = pair.split(":");
            f.put(kv[0].replace("\"", ""), Long.parseLong(kv[1]));
        }
        return new Wrk(f.get("requests"), f.get("duration_us") / 1e6,
                f.get("connect") + f.get("read") + f.get("write") + f.get("timeout"), f.get("status"),
                f.get("p50"), f.get("p99"), f.get("p999"));
    }

    /** Records a run with the node's memory right after it; 404 answers are that scenario's point. */
    static void record(String backend, String scenario, Measured m, Proc kurz, boolean notFoundExpected) throws Exception {
        Wrk w = m.wrk();
        long errors = w.socketErrors() + (notFoundExpected ? 0 : w.statusErrors());
        long rss = rssKiB(kurz.pid());
        long heap = liveHeapKiB(kurz.pid());
        runs.add(new Run(backend, scenario, w.rps(), m.nginxRps(), w.p50(), w.p99(), w.p999(), errors, rss, heap));
        System.out.printf(Locale.ROOT, "%-24s %-44s %,10.0f req/s (%.2f x nginx)  p50 %s  p99 %s  p99.9 %s  errors %d"
                        + "  CPU/request: kurz %.1f us, postgres %.1f us, redis %.1f us (machine %.0f%% busy during the run)%n"
                        + "    %s%n"
                        + "    kurz threads, us/request: %s%n",
                backend, scenario, w.rps(), w.rps() / m.nginxRps(), latency(w.p50()), latency(w.p99()), latency(w.p999()),
                errors, m.kurzCpuUs(), m.postgresCpuUs(), m.redisCpuUs(), 100 * m.machineBusy(), leftover(m),
                m.kurzThreads());
        if (!m.postgresParts().isEmpty()) {
            System.out.printf("    postgres, us/request: %s%n", m.postgresParts());
        }
    }

    static String leftover(Measured m) {
        if (Double.isNaN(m.leftoverCoreSeconds())) {
            return "after the run: not waited for its clicks to be folded (--quick, or the fold deferred)";
        }
        return String.format(Locale.ROOT, "after the run: %.1f core-seconds of the machine until its clicks were seen folded; "
                + "%,.0f req/s had that been paid within the run", m.leftoverCoreSeconds(), m.sustainedRps());
    }

    // ---------------------------------------------------------------- kurz through its API

    static Proc startKurz(String name, Map<String, String> env) throws IOException {
        int port = freePort();
        Map<String, String> all = new HashMap<>(env);
        // KURZ_* variables in bench/run's own environment reach every node: a way to compare a
        // setting (KURZ_CLICK_FOLD_MS=3600000 bench/run --growth-only ...). They win over the
        // bench's own choices below, except the port, address and base URL.
        System.getenv().forEach((variable, value) -> {
            if (variable.startsWith("KURZ_")) {
                all.put(variable, value);
            }
        });
        all.put("KURZ_PORT", String.valueOf(port));
        all.put("KURZ_HOST", "127.0.0.1");
        all.put("KURZ_BASE_URL", "http://s.kurz.test");
        // One client address sends everything; the per-IP budgets would answer 429 to most of it.
        for (String budget : List.of("KURZ_RATE_CREATE", "KURZ_RATE_CREATE_PER_KEY", "KURZ_RATE_REDIRECT", "KURZ_RATE_NOT_FOUND")) {
            all.putIfAbsent(budget, "off");
        }
        Files.writeString(work.resolve(name + ".port"), String.valueOf(port));
        // The launcher's flags (./kurz): G1 with compact object headers, stop on OutOfMemoryError.
        List<String> cmd = new ArrayList<>(List.of(java(), "-XX:+UseG1GC", "-XX:+UseCompactObjectHeaders",
                "-XX:+ExitOnOutOfMemoryError", "--enable-native-access=ALL-UNNAMED"));
        if (hugePagesForAll()) {
            cmd.add("-XX:+UseTransparentHugePages");
        }
        cmd.addAll(List.of("-jar", jar.toString(), "serve"));
        return start(name, cmd, all);
    }

    static String awaitKurz(Proc kurz, Map<String, String> env) throws Exception {
        String base = "http://127.0.0.1:" + Files.readString(work.resolve(kurz.name() + ".port")).strip();
        waitFor(kurz.name() + " ready", Duration.ofSeconds(60), () -> {
            check(kurz.process().isAlive(), kurz.name() + " exited: " + tail(kurz.log()));
            return status(URI.create(base + "/health/ready")) == 200;
        });
        return base;
    }

    /** `kurz keys create` on the node's database; returns the key it prints. */
    static String adminKey(Map<String, String> env) throws Exception {
        var pb = new ProcessBuilder(java(), "--enable-native-access=ALL-UNNAMED", "-jar", jar.toString(),
                "keys", "create", "--name", "bench", "--role", "admin").redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        check(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "kurz keys create failed: " + out);
        return out.lines().map(String::strip).filter(l -> l.startsWith("kurz_")).findFirst()
                .orElseThrow(() -> new IllegalStateException("no key in: " + out));
    }

    /**
     * Creates {@code n} links through the API's bulk endpoint (1,000 per request, 4 requests at a
     * time, each item a create of its own on the server); returns their codes in order.
     */
    static List<String> createLinks(String base, String key, int n, String tag) throws Exception {
        long t0 = System.nanoTime();
        int chunk = 1_000;
        String[] codes = new String[n];
        AtomicInteger next = new AtomicInteger();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < 4; t++) {
                pool.submit(() -> {
                    for (int from = next.getAndAdd(chunk); from < n; from = next.getAndAdd(chunk)) {
                        int to = Math.min(n, from + chunk);
                        var body = new StringBuilder("[");
                        for (int i = from; i < to; i++) {
                            body.append(i == from ? "" : ",").append(
                                    "{\"url\": \"https://example.com/articles/seed/%s/%d?utm_source=bench&utm_medium=wrk\"}"
                                            .formatted(tag, i));
                        }
                        var r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/links/bulk"))
                                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                                .timeout(Duration.ofMinutes(2))
                                .POST(HttpRequest.BodyPublishers.ofString(body.append("]").toString())).build(),
                                HttpResponse.BodyHandlers.ofString());
                        check(r.statusCode() == 200 && r.body().contains("\"failed\":0"),
                                "bulk create answered " + r.statusCode() + ": " + r.body());
                        Matcher m = CODE.matcher(r.body());
                        for (int i = from; i < to; i++) {
                            check(m.find(), "bulk answer lacks a code for item " + (i - from) + ": " + r.body());
                            codes[i] = m.group(1);
                        }
                    }
                    return null;
                });
            }
        }
        for (String c : codes) {
            check(c != null, "a create did not finish");
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "created %,d links in %.1f s (%,.0f/s)%n", n, s, n / s);
        return List.of(codes);
    }

    /**
     * Creates {@code n} links through the import API (a kurz-csv file with codes of our own: 7
     * base62 characters, spread like generated ones), which is much faster than creates for a
     * million links; waits for the job and returns the codes.
     */
    static List<String> importLinks(String base, String key, int n, String tag) throws Exception {
        long t0 = System.nanoTime();
        long space = 3_521_614_606_208L; // 62^7
        long step = 1_000_003; // odd and not a multiple of 31: i -> i * step mod 62^7 is a bijection
        var codes = new ArrayList<String>(n);
        Path csv = work.resolve(tag + ".csv");
        try (var out = Files.newBufferedWriter(csv)) {
            out.write("code,url\n");
            for (int i = 0; i < n; i++) {
                String code = base62(Math.floorMod((i + 1) * step, space));
                codes.add(code);
                out.write(code + ",https://example.com/articles/seed/" + tag + "/" + i + "?utm_source=bench&utm_medium=wrk\n");
            }
        }
        var r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/imports?format=kurz-csv"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "text/csv")
                .timeout(Duration.ofMinutes(30)).POST(HttpRequest.BodyPublishers.ofFile(csv)).build(),
                HttpResponse.BodyHandlers.ofString());
        check(r.statusCode() == 202, "import answered " + r.statusCode() + ": " + r.body());
        URI job = URI.create(base).resolve(r.headers().firstValue("Location").orElseThrow());
        waitFor("import of " + n + " links", Duration.ofHours(1), () -> {
            String state = jobState(job, key);
            check(!state.contains("\"state\":\"failed\""), "import failed: " + state);
            return state.contains("\"state\":\"done\"");
        });
        String done = jobState(job, key);
        check(done.contains("\"imported\":" + n + ","), "import did not create every link: " + done);
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "imported %,d links in %.1f s (%,.0f/s)%n", n, s, n / s);
        return codes;
    }

    static String jobState(URI job, String key) {
        try {
            return http.send(HttpRequest.newBuilder(job).header("Authorization", "Bearer " + key).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            return "";
        }
    }

    static String base62(long value) {
        String alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        char[] out = new char[7];
        for (int i = 6; i >= 0; i--) {
            out[i] = alphabet.charAt((int) (value % 62));
            value /= 62;
        }
        return new String(out);
    }

    /**
     * GETs every code once, so each link passes through the caches: wrk's walk mode (64
     * connections), stopped once each of its threads has written the marker that says all of
     * its share was answered. wrk needs a fraction of the client CPU the JDK's HttpClient did,
     * so the walk goes as fast as the node's cold path allows (1,000,000 links: 183 s on a node
     * that had read none of them, 80 s when Redis held them all).
     */
    static void walk(String base, List<String> codes) throws Exception {
        long t0 = System.nanoTime();
        Path file = writeCodes("walk", codes);
        String marker = work.resolve("walk-" + System.nanoTime()).toString();
        var cmd = List.of("wrk", "-t2", "-c64", "-d3600s", "--timeout", "10s", "-s", lua.toString(), base, "--",
                "walk", file.toString(), "-", "walk", "2", marker);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve("walk-wrk.log").toFile())
                .start();
        try {
            List<Path> markers = List.of(Path.of(marker + ".0"), Path.of(marker + ".1"));
            waitFor("walk of " + count(codes.size()) + " links", Duration.ofMinutes(50), () -> {
                check(p.isAlive(), "wrk's walk ended early: " + tail(work.resolve("walk-wrk.log")));
                return markers.stream().allMatch(Files::exists);
            });
            long wrong = 0;
            for (Path m : markers) {
                wrong += Long.parseLong(Files.readString(m).strip());
            }
            // The walk only fills the caches, as fast as the node goes: an overloaded node may
            // answer a few 503s (its connection pool's wait is 1 s), which leaves those few links
            // out of Redis. Walking 10,000,000 links on a busy machine met 116. More than one in
            // 10,000 is a failure.
            check(wrong * 10_000 <= codes.size(), wrong + " of the walk's redirects did not answer 302");
            if (wrong > 0) {
                System.out.printf(Locale.ROOT, "  (%d of the walk's answers were not 302)%n", wrong);
            }
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        System.out.printf(Locale.ROOT, "walked %,d links in %.1f s%n", codes.size(), (System.nanoTime() - t0) / 1e9);
    }

    // ---------------------------------------------------------------- PostgreSQL and Redis

    static int startPostgres() throws Exception {
        int port = freePort();
        Path data = work.resolve("pg");
        run(List.of("chown", "-R", "postgres:postgres", work.toString()));
        run(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups",
                PG_BIN + "initdb", "-D", data.toString(), "-U", "postgres", "--auth=trust", "-E", "UTF8"));
        // Durable commits (fsync, synchronous_commit on: the defaults). A quarter of the machine's
        // memory for PostgreSQL's buffers, its manual's starting point for a dedicated server: a
        // fold of clicks over ten million links changes pages all over links and click_days, and
        // with 512 MB every such page was read in from the OS and a dirty one written out to make
        // room (EXPLAIN (ANALYZE, BUFFERS): 8 s for 170,000 look-ups that took 0.9 s in memory).
        // Checkpoints at most every 15 minutes and full-page images compressed: after a checkpoint
        // the first change to a page puts the whole page into the WAL. PostgreSQL's defaults
        // (128 MB, 1 GB, 5 min) are sized for small machines; these are usual for a busy one.
        long sharedMiB = Math.max(512, memTotalKiB() / 4 / 1024);
        String hugePages = reserveHugePages(sharedMiB) ? "on" : "off";
        Files.writeString(data.resolve("postgresql.auto.conf"), """
                listen_addresses = '127.0.0.1'
                shared_buffers = %dMB
                huge_pages = %s
                max_connections = 100
                max_wal_size = 8GB
                checkpoint_timeout = 15min
                wal_compression = lz4
                shared_preload_libraries = 'pg_stat_statements'
                """.formatted(sharedMiB, hugePages), java.nio.file.StandardOpenOption.APPEND);
        Proc pg = postgresProc = start("postgres", List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups",
                PG_BIN + "postgres", "-D", data.toString(), "-p", String.valueOf(port), "-k", work.toString()), Map.of());
        waitFor("PostgreSQL accepting connections", Duration.ofSeconds(30),
                () -> exec(List.of(PG_BIN + "pg_isready", "-q", "-h", "127.0.0.1", "-p", String.valueOf(port))) == 0);
        run(List.of("psql", "-q", "-h", "127.0.0.1", "-p", String.valueOf(port), "-U", "postgres", "-c", "CREATE DATABASE kurz"));
        run(List.of("psql", "-q", "-h", "127.0.0.1", "-p", String.valueOf(port), "-U", "postgres", "-d", "postgres",
                "-c", "CREATE EXTENSION pg_stat_statements"));
        return port;
    }

    /** BENCH_HUGE_PAGES=1: huge pages for PostgreSQL, kurz and Redis ("postgres": PostgreSQL's only). */
    static boolean hugePagesForAll() {
        return "1".equals(System.getenv("BENCH_HUGE_PAGES"));
    }

    /** vm.nr_hugepages before {@link #reserveHugePages} changed it; put back by {@link #stopAll}. */
    static long hugePagesBefore = -1;
    /** Read by line: Files.readString on this file returned "3" for "3329" (its size reads as 0). */
    static final Path NR_HUGEPAGES = Path.of("/proc/sys/vm/nr_hugepages");

    /**
     * BENCH_HUGE_PAGES=1 or postgres: reserves 2 MiB pages for PostgreSQL's shared memory (with 1,
     * kurz's and Redis's heaps also use transparent huge pages, see {@link #startKurz} and
     * {@link #startRedis}). Returns whether enough were reserved.
     */
    static boolean reserveHugePages(long sharedMiB) throws IOException {
        if (!List.of("1", "postgres").contains(String.valueOf(System.getenv("BENCH_HUGE_PAGES")))) {
            return false;
        }
        long wanted = sharedMiB / 2 + sharedMiB / 2 / 16 + 128; // 2 MiB pages: buffers, plus PostgreSQL's other shared memory
        long before = Long.parseLong(Files.readAllLines(NR_HUGEPAGES).getFirst().strip());
        if (before > 0) {
            System.out.println("vm.nr_hugepages was " + before + " already (left by a run that was killed?): reserving on top");
        }
        try {
            Files.writeString(NR_HUGEPAGES, String.valueOf(before + wanted));
        } catch (IOException e) { // not root, or /proc/sys read-only
            System.out.println("huge pages for PostgreSQL: none, " + e);
            return false;
        }
        hugePagesBefore = before;
        long got = Long.parseLong(Files.readAllLines(NR_HUGEPAGES).getFirst().strip()) - hugePagesBefore;
        System.out.printf(Locale.ROOT, "huge pages for PostgreSQL: %d of %d reserved%n", got, wanted);
        if (got < wanted) { // not enough contiguous memory: give them back rather than hold them unused
            Files.writeString(NR_HUGEPAGES, String.valueOf(hugePagesBefore));
            hugePagesBefore = -1;
            return false;
        }
        return true;
    }

    static int startRedis() throws Exception {
        int port = freePort();
        var cmd = new ArrayList<>(List.of("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", work.toString()));
        Map<String, String> env = Map.of();
        if (hugePagesForAll()) {
            // Transparent huge pages for Redis's heap: jemalloc asks for them, and Redis must not
            // refuse them (it does by default). bench/redis-growth measures the difference alone.
            cmd.addAll(List.of("--disable-thp", "no"));
            env = Map.of("MALLOC_CONF", "thp:always");
        }
        redisProc = start("redis", cmd, env);
        waitFor("Redis answering", Duration.ofSeconds(10),
                () -> exec(List.of("redis-cli", "-p", String.valueOf(port), "ping")) == 0);
        return port;
    }

    // ---------------------------------------------------------------- memory

    static long memTotalKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IOException("no MemTotal in /proc/meminfo");
    }

    static long rssKiB(long pid) {
        return procKiB(pid, "status", "VmRSS:");
    }

    static String hugeMiB(Proc p) {
        long kiB = p == null ? -1 : procKiB(p.pid(), "smaps_rollup", "AnonHugePages:");
        return kiB < 0 ? "-" : kiB / 1024 + " MiB";
    }

    /** A kB figure from {@code /proc/<pid>/<file>} (VmRSS in status, AnonHugePages in smaps_rollup), -1 when the process is gone. */
    static long procKiB(long pid, String file, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/" + file))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (IOException e) {
            // gone
        }
        return -1;
    }

    static long childrenRssKiB(long pid) {
        return ProcessHandle.of(pid).map(h -> h.children().mapToLong(c -> rssKiB(c.pid())).sum()).orElse(0L);
    }

    /**
     * Waits until the node has written every click it counted and folded its journal: twice in a
     * row, 2 s apart, its {@code kurz_click_pending} gauge is 0, its last flush ended less than
     * 1.5 s ago and its last fold less than 11 s ago (a batch still being written or folded makes
     * those lags grow: folding the clicks of a million-link walk takes a minute). A batch in flight
     * is click data, not what a measurement of the cache wants to see. At most 5 minutes.
     */
    static void settle(String base) throws Exception {
        settle(base, 0);
    }

    /**
     * Waits until every click counted before {@code millis} (wall clock) is folded: the node's
     * last complete fold began after the flush that followed that moment. With the fold deferred
     * (KURZ_CLICK_FOLD_MS over a minute, to measure without it) only as {@link #settle(String)};
     * {@code --quick} does not wait (it measures nothing). Returns whether it waited.
     */
    static boolean foldedSince(String base, long millis) throws Exception {
        if (quick || foldSeconds() > 60) {
            return false;
        }
        settle(base, millis + 1_500);
        return true;
    }

    static void settle(String base, long foldedAfter) throws Exception {
        int[] idleSamples = {0};
        waitFor("clicks flushed", Duration.ofMinutes(5), () -> {
            idleSamples[0] = clicksIdle(base, foldedAfter) ? idleSamples[0] + 1 : 0;
            if (idleSamples[0] >= 2) {
                return true;
            }
            try {
                Thread.sleep(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        });
    }

    static boolean clicksIdle(String base, long foldedAfter) {
        try {
            String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            double pending = gauge(metrics, "kurz_click_pending");
            double lag = gauge(metrics, "kurz_click_flush_lag_seconds");
            double foldLag = gauge(metrics, "kurz_click_fold_lag_seconds");
            // Folded within one fold interval (KURZ_CLICK_FOLD_MS, 10 s unless set for bench/run):
            // with it set to an hour, a growth run measures redirects without the roll-ups' cost.
            long lastFold = System.currentTimeMillis() - (long) (foldLag * 1000);
            return pending == 0 && lag < 1.5 && foldLag < foldSeconds() + 1 && lastFold >= foldedAfter;
        } catch (Exception e) {
            return false;
        }
    }

    static double foldSeconds() {
        return Long.parseLong(System.getenv().getOrDefault("KURZ_CLICK_FOLD_MS", "10000")) / 1000.0;
    }

    static double gauge(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(name.length() + 1))).orElse(Double.NaN);
    }

    /** The heap in use right after a full GC (jcmd GC.run), in KiB. */
    static long liveHeapKiB(long pid) throws Exception {
        output(List.of(jcmd(), String.valueOf(pid), "GC.run"));
        String info = output(List.of(jcmd(), String.valueOf(pid), "GC.heap_info"));
        Matcher m = Pattern.compile("used (\\d+)([KMG])").matcher(info);
        check(m.find(), "no heap figure in: " + info);
        long v = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "G" -> v * 1024 * 1024;
            case "M" -> v * 1024;
            default -> v;
        };
    }

    /** Instances of {@code className} in the heap histogram (after a full GC). */
    static long instances(long pid, String className) {
        String histogram = output(List.of(jcmd(), String.valueOf(pid), "GC.class_histogram"));
        for (String line : histogram.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4 && f[3].equals(className)) {
                return Long.parseLong(f[1]);
            }
        }
        return 0;
    }

    // ---------------------------------------------------------------- report

    static String machine() {
        String cpu = output(List.of("bash", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2")).strip();
        String mem = output(List.of("bash", "-c", "free -g | awk '/Mem:/ {print $2}'")).strip();
        String kernel = output(List.of("uname", "-r")).strip();
        String wrk = output(List.of("bash", "-c", "wrk -v 2>&1 | head -1")).strip().replaceAll(" \\[.*", "");
        return "%s, %d cores, %s GiB RAM, Linux %s; JDK %s; %s; %s; %s, on %s%s".formatted(cpu, CORES, mem, kernel,
                Runtime.version(), wrk, nginxVersion(), output(List.of(PG_BIN + "postgres", "--version")).strip(),
                LocalDate.now(), quick ? " (--quick: short runs, fewer links)" : "");
    }

    static String nginxVersion() {
        return output(List.of("nginx", "-v")).strip().replace("nginx version: ", "");
    }

    static String table(String machine) {
        var sb = new StringBuilder();
        sb.append("Machine: ").append(machine).append(".\n");
        sb.append("wrk -t2 -c64 on the same cores; ").append(warmUp.toSeconds()).append(" s warm-up, then ")
                .append(measured.toSeconds()).append(" s measured per row. × nginx: against nginx measured for ")
                .append(quick ? 2 : 10).append(" s just before and just after the row's run (the mean of the two). ")
                .append("Memory: RSS and live heap (after a full GC) of the server right after the row's run.\n\n");
        sb.append("| server | scenario | req/s | × nginx | p50 | p99 | p99.9 | errors | RSS | heap |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (Run r : runs) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %.2f | %s | %s | %s | %d | %s | %s |%n", r.backend(),
                    r.scenario(), r.rps(), r.rps() / r.nginxRps(), latency(r.p50()), latency(r.p99()), latency(r.p999()),
                    r.errors(), r.rssKiB() < 0 ? "—" : mib(r.rssKiB()) + " MiB",
                    r.heapKiB() < 0 ? "—" : mib(r.heapKiB()) + " MiB"));
        }
        for (String note : notes) {
            sb.append("\n").append(note).append("\n");
        }
        return sb.toString();
    }

    static void writeIntoDocs(String table) throws IOException {
        Path docs = repo.resolve("docs/BENCHMARKS.md");
        String begin = "<!-- bench/run:begin -->";
        String end = "<!-- bench/run:end -->";
        String text = Files.readString(docs);
        int a = text.indexOf(begin);
        int b = text.indexOf(end);
        check(a >= 0 && b > a, "docs/BENCHMARKS.md has no bench/run markers");
        Files.writeString(docs, text.substring(0, a + begin.length()) + "\n" + table + text.substring(b));
        System.out.println("written to " + repo.relativize(docs));
    }

    static String latency(long micros) {
        return micros >= 10_000 ? String.format(Locale.ROOT, "%.0f ms", micros / 1000.0)
                : String.format(Locale.ROOT, "%.2f ms", micros / 1000.0);
    }

    static String mib(long kib) {
        return String.valueOf(Math.round(kib / 1024.0));
    }

    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    // ---------------------------------------------------------------- processes and files

    static List<String> randomCodes(int n) {
        String alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        var random = ThreadLocalRandom.current();
        var codes = new ArrayList<String>(n);
        for (int i = 0; i < n; i++) {
            var sb = new StringBuilder("z"); // 8 characters: never a code kurz generated (those have 7)
            for (int j = 0; j < 7; j++) {
                sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            codes.add(sb.toString());
        }
        return codes;
    }

    static Path writeCodes(String name, List<String> codes) throws IOException {
        Path file = work.resolve(name + ".codes");
        Files.write(file, codes);
        return file;
    }

    static long lines(Path file) throws IOException {
        try (var l = Files.lines(file)) {
            return l.count();
        }
    }

    static String code(String json) {
        Matcher m = CODE.matcher(json);
        check(m.find(), "no code in " + json);
        return m.group(1);
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static String jcmd() {
        return Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    }

    static Proc start(String name, List<String> cmd, Map<String, String> env) throws IOException {
        Path log = work.resolve(name + ".log");
        var pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Proc p = new Proc(name, pb.start(), log);
        processes.add(p);
        return p;
    }

    /** SIGTERM (PostgreSQL: SIGINT, its fast shutdown) and wait; SIGKILL after 30 s. */
    static void stop(Proc p) {
        if (!p.process().isAlive()) {
            return;
        }
        if (p.name().equals("postgres")) {
            exec(List.of("kill", "-INT", String.valueOf(p.pid())));
        } else {
            p.process().destroy();
        }
        try {
            if (!p.process().waitFor(30, TimeUnit.SECONDS)) {
                p.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.process().destroyForcibly();
        }
        processes.remove(p);
    }

    static void stopAll() {
        // First, so that a kill during the slow stops below cannot leave the pages reserved: pages
        // PostgreSQL still uses become surplus pages, freed when it exits.
        if (hugePagesBefore >= 0) {
            try {
                Files.writeString(NR_HUGEPAGES, String.valueOf(hugePagesBefore));
                hugePagesBefore = -1;
            } catch (IOException e) {
                System.out.println("could not put vm.nr_hugepages back to " + hugePagesBefore + ": " + e);
            }
        }
        List<Proc> all = new ArrayList<>(processes);
        java.util.Collections.reverse(all);
        all.forEach(Bench::stop);
    }

    static void run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        check(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd) + " failed: " + out);
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
            p.waitFor(60, TimeUnit.SECONDS);
            return out;
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

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    static void waitFor(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            check(System.nanoTime() < deadline, "timed out after " + limit.toSeconds() + " s waiting for: " + what);
            Thread.sleep(100);
        }
    }

    static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException(message);
        }
    }

    static int freePort() throws IOException {
        try (var s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static void deleteQuietly(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // temp files
        }
    }
}
