package dev.kurz.jobs;

import dev.kurz.config.Settings;
import dev.kurz.db.Database;
import dev.kurz.link.CodeMinter;
import dev.kurz.link.UrlPolicy;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * {@code kurz import}, {@code kurz export} and {@code kurz jobs}: thin CLIs over the same code the
 * API and the workers use, talking to the database the settings name (like {@code kurz keys}).
 * Directly rather than through the HTTP API because they are operator tools: a multi-gigabyte
 * file needs no upload limit, an API key or a reachable node, and an export of every link needs
 * no admin key. A file given to {@code kurz import} is stored in the database as an upload would
 * be, so any worker can run (or resume) the job.
 */
public final class JobsCommand {

    private JobsCommand() {}

    static final String USAGE = """
            usage: kurz import FILE --format FORMAT [--owner KEY_ID] [--wait]
                       store FILE as an import job; with --wait, run it here (or follow the worker that
                       runs it) with a progress bar. FORMAT: %s. Links belong to key KEY_ID
                       (default 0: anonymous links, which only admins can edit).
                   kurz export [--format csv|jsonl] [--out FILE] [--owner KEY_ID]
                       write all links (or KEY_ID's) to FILE or standard output
                   kurz jobs [ID]
                       list recent jobs, or show one with its refused rows""".formatted(ImportFormat.names());

    /** Runs {@code command} ({@code import}, {@code export} or {@code jobs}); returns the exit code. */
    public static int run(String command, List<String> args, Settings settings, Clock clock,
                          Function<Database, CodeMinter> minters, PrintStream out, PrintStream err) {
        try {
            Options o = Options.parse(args);
            return switch (command) {
                case "import" -> importFile(o, settings, clock, minters, out, err);
                case "export" -> export(o, settings, out, err);
                case "jobs" -> jobs(o, settings, clock, out);
                default -> throw new IllegalArgumentException("unknown command " + command);
            };
        } catch (IllegalArgumentException e) {
            err.println("kurz: " + e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (IOException e) {
            err.println("kurz: " + e.getMessage());
            return 1;
        }
    }

    private record Options(List<String> positional, String format, String out, Long owner, boolean waitFlag) {
        static Options parse(List<String> args) {
            var positional = new java.util.ArrayList<String>();
            String format = null;
            String out = null;
            Long owner = null;
            boolean wait = false;
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
                switch (name) {
                    case "--wait" -> wait = true;
                    case "--format", "--out", "--owner" -> {
                        String value;
                        if (a.contains("=")) {
                            value = a.substring(a.indexOf('=') + 1);
                        } else if (i + 1 < args.size()) {
                            value = args.get(++i);
                        } else {
                            throw new IllegalArgumentException(name + " needs a value");
                        }
                        switch (name) {
                            case "--format" -> format = value;
                            case "--out" -> out = value;
                            default -> {
                                if (!value.matches("[0-9]{1,18}")) {
                                    throw new IllegalArgumentException("--owner takes an API key id (see 'kurz keys list')");
                                }
                                owner = Long.parseLong(value);
                            }
                        }
                    }
                    default -> {
                        if (a.startsWith("--")) {
                            throw new IllegalArgumentException("unknown option " + a);
                        }
                        positional.add(a);
                    }
                }
            }
            return new Options(positional, format, out, owner, wait);
        }
    }

    private static int importFile(Options o, Settings settings, Clock clock, Function<Database, CodeMinter> minters,
                                  PrintStream out, PrintStream err) throws IOException {
        if (o.positional().size() != 1) {
            throw new IllegalArgumentException("'import' takes one FILE");
        }
        if (o.format() == null) {
            throw new IllegalArgumentException("'import' needs --format (" + ImportFormat.names() + ")");
        }
        ImportFormat format;
        try {
            format = ImportFormat.parse(o.format());
        } catch (dev.kurz.http.Problem p) {
            throw new IllegalArgumentException(p.detail());
        }
        Path file = Path.of(o.positional().getFirst());
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException("cannot read " + file);
        }
        try (Database db = Database.open(settings)) {
            var store = new JobStore(db, clock);
            long owner = o.owner() == null ? 0 : o.owner();
            long id = store.createImport(0, owner, format);
            long size = 0;
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buffer = new byte[JobStore.CHUNK];
                int seq = 0;
                int n;
                while ((n = in.readNBytes(buffer, 0, buffer.length)) > 0) {
                    store.appendInput(id, seq++, java.util.Arrays.copyOf(buffer, n));
                    size += n;
                }
            } catch (IOException | RuntimeException e) {
                store.discard(id);
                throw e;
            }
            store.finishUpload(id, size);
            err.println("kurz: import job " + id + " queued (" + size + " bytes, format " + format.id() + ")");
            if (!o.waitFlag()) {
                out.println(id);
                return 0;
            }
            var worker = Worker.create(store, settings, UrlPolicy.from(settings, clock), minters.apply(db));
            Thread runner = Thread.ofPlatform().name("kurz-import").start(() -> {
                // Runs it here unless a worker took it first; then this only follows its progress.
                while (!Thread.currentThread().isInterrupted()) {
                    if (worker.runJob(id) || store.find(id).map(Job::finished).orElse(true)) {
                        return;
                    }
                    LockSupport.parkNanos(Worker.POLL.toNanos());
                }
            });
            Job last = follow(store, id, err);
            runner.interrupt();
            worker.close();
            printJob(last, store, out);
            return last.state().equals("done") ? 0 : 1;
        }
    }

    /** Draws a progress bar on {@code err} until the job ends; returns the ended job. */
    private static Job follow(JobStore store, long id, PrintStream err) {
        boolean console = System.console() != null;
        long started = System.nanoTime();
        long lastLine = 0;
        while (true) {
            Job j = store.find(id).orElseThrow(() -> new IllegalStateException("job " + id + " vanished"));
            double seconds = Math.max(0.001, (System.nanoTime() - started) / 1e9);
            int percent = j.finished() ? 100 : j.inputBytes() == 0 ? 0 : (int) Math.min(99, j.bytesDone() * 100 / j.inputBytes());
            String line = String.format(Locale.ROOT, "import %d [%-30s] %3d%%  %,d records  %,.0f/s  %s", id,
                    "#".repeat(percent * 30 / 100), percent, j.checkpoint(), j.checkpoint() / seconds, j.state());
            if (console) {
                err.print("\r" + line);
            } else if (j.finished() || System.nanoTime() - lastLine > 5_000_000_000L) {
                err.println(line);
                lastLine = System.nanoTime();
            }
            if (j.finished()) {
                if (console) {
                    err.println();
                }
                return j;
            }
            LockSupport.parkNanos(200_000_000L);
        }
    }

    private static int export(Options o, Settings settings, PrintStream out, PrintStream err) throws IOException {
        if (!o.positional().isEmpty()) {
            throw new IllegalArgumentException("'export' takes no positional arguments");
        }
        LinkExport.Format format;
        try {
            format = LinkExport.Format.parse(o.format());
        } catch (dev.kurz.http.Problem p) {
            throw new IllegalArgumentException("--format must be csv or jsonl");
        }
        try (Database db = Database.open(settings);
             OutputStream target = new BufferedOutputStream(o.out() == null ? out : Files.newOutputStream(Path.of(o.out())), 1 << 16)) {
            long n = new LinkExport(db).write(o.owner(), format, target::write);
            target.flush();
            err.println("kurz: exported " + n + " links" + (o.out() == null ? "" : " to " + o.out()));
            return 0;
        }
    }

    private static int jobs(Options o, Settings settings, Clock clock, PrintStream out) {
        try (Database db = Database.open(settings)) {
            var store = new JobStore(db, clock);
            if (o.positional().isEmpty()) {
                out.printf("%-6s %-7s %-9s %-11s %-24s %10s %10s %8s %8s%n", "ID", "KIND", "STATE", "FORMAT", "CREATED",
                        "RECORDS", "IMPORTED", "EXISTING", "FAILED");
                for (Job j : store.list(null, 50)) {
                    out.printf("%-6d %-7s %-9s %-11s %-24s %10d %10d %8d %8d%n", j.id(), j.kind(), j.state(),
                            j.format() == null ? "-" : j.format(), Instant.ofEpochMilli(j.createdAt()), j.checkpoint(),
                            j.imported(), j.existing(), j.failed());
                }
                return 0;
            }
            String raw = o.positional().getFirst();
            if (o.positional().size() != 1 || !raw.matches("[0-9]{1,18}")) {
                throw new IllegalArgumentException("'jobs' takes at most one job id");
            }
            Optional<Job> job = store.find(Long.parseLong(raw));
            if (job.isEmpty()) {
                out.println("no job with id " + raw);
                return 1;
            }
            printJob(job.get(), store, out);
            return 0;
        }
    }

    private static void printJob(Job j, JobStore store, PrintStream out) {
        out.printf("job %d (%s%s): %s; %d records read, %d imported, %d already there, %d refused%n", j.id(), j.kind(),
                j.format() == null ? "" : ", " + j.format(), j.state(), j.checkpoint(), j.imported(), j.existing(), j.failed());
        if (j.error() != null) {
            out.println("  error: " + j.error());
        }
        List<RowError> errors = store.errors(j.id(), 20);
        for (RowError e : errors) {
            out.println("  line " + e.line() + ": " + e.message());
        }
        if (j.failed() > errors.size()) {
            out.println("  ... " + (j.failed() - errors.size()) + " more refused rows (the API shows up to "
                    + JobRoutes.SHOWN_ERRORS + "; " + JobStore.MAX_ERRORS + " are kept)");
        }
    }
}
