package dev.kurz.bench;

import dev.kurz.App;
import dev.kurz.config.Settings;
import dev.kurz.db.Database;
import dev.kurz.jobs.ImportFormat;
import dev.kurz.jobs.Job;
import dev.kurz.jobs.JobStore;
import dev.kurz.jobs.Worker;
import dev.kurz.link.UrlPolicy;
import dev.kurz.support.Backends;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Arrays;
import java.util.Map;

/**
 * How long one worker takes to import 1,000,000 links on PostgreSQL (issue 9: "under 60 s"). Run
 * with {@code bench/import [ROWS]}; the figures go to docs/BENCHMARKS.md, "Import".
 *
 * <p>The file is the generic CSV (url, alias, title, created): half the rows keep an alias, half get
 * generated codes, as a migration from another shortener plus a list of bare URLs would. It is
 * stored in the database as an upload would be (timed apart), then one worker runs the job on one
 * thread, as {@code kurz worker} does, with the same validation as the API. Not a test: nothing
 * here asserts a duration.
 */
public final class ImportBenchmark {

    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        String url = Backends.freshDatabase(Backends.postgres());
        Settings settings = Settings.from(Map.of("KURZ_DB_URL", url, "KURZ_DB_USER", "postgres",
                "KURZ_BASE_URL", "http://kurz.test"));
        try (Database db = Database.open(settings)) {
            var store = new JobStore(db, Clock.systemUTC());
            byte[] file = csv(rows);
            long t0 = System.nanoTime();
            long id = store.createImport(0, 0, ImportFormat.CSV);
            int seq = 0;
            for (int from = 0; from < file.length; from += 1 << 20) {
                store.appendInput(id, seq++, Arrays.copyOfRange(file, from, Math.min(file.length, from + (1 << 20))));
            }
            store.finishUpload(id, file.length);
            long t1 = System.nanoTime();
            var worker = Worker.create(store, settings, UrlPolicy.from(settings, Clock.systemUTC()), App.minter(settings, db));
            if (!worker.runOnce()) {
                throw new IllegalStateException("no job to run");
            }
            long t2 = System.nanoTime();
            worker.close();
            Job job = store.find(id).orElseThrow();
            System.out.printf("| rows | file | store the upload | import (one worker) | rows/s | imported | refused |%n");
            System.out.printf("|---:|---:|---:|---:|---:|---:|---:|%n");
            System.out.printf("| %,d | %.0f MB | %.1f s | %.1f s | %,.0f | %,d | %,d |%n", rows, file.length / 1e6,
                    (t1 - t0) / 1e9, (t2 - t1) / 1e9, rows / ((t2 - t1) / 1e9), job.imported(), job.failed());
        }
        System.exit(0);
    }

    private static byte[] csv(int rows) {
        var out = new ByteArrayOutputStream(rows * 80);
        var line = new StringBuilder("url,alias,title,created\n");
        for (int i = 0; i < rows; i++) {
            line.append("https://example.com/articles/").append(i).append("?utm_source=import,")
                    .append(i % 2 == 0 ? "a" + i : "").append(",Article ").append(i).append(",2021-03-04T05:06:07Z\n");
            if (line.length() > 1 << 16) {
                out.writeBytes(line.toString().getBytes(StandardCharsets.UTF_8));
                line.setLength(0);
            }
        }
        out.writeBytes(line.toString().getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }
}
