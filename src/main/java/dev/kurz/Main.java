package dev.kurz;

import dev.kurz.auth.KeysCommand;
import dev.kurz.config.Setting;
import dev.kurz.config.Settings;
import dev.kurz.db.Database;
import dev.kurz.jobs.JobsCommand;
import java.time.Clock;
import java.util.Arrays;

/** Reads the settings and runs a subcommand. Nothing else lives here. */
public final class Main {

    private Main() {}

    public static void main(String[] args) {
        String command = args.length == 0 ? "help" : args[0];
        Settings settings;
        try {
            settings = Settings.fromEnvironment();
        } catch (IllegalArgumentException e) {
            System.err.println("kurz: " + e.getMessage());
            System.exit(2);
            return;
        }
        switch (command) {
            case "serve" -> serve(settings);
            case "migrate" -> {
                try (Database db = Database.open(settings)) {
                    System.out.println("kurz: schema is up to date (" + db.description() + ")");
                }
            }
            case "keys" -> System.exit(KeysCommand.run(Arrays.asList(args).subList(1, args.length), settings,
                    Clock.systemUTC(), System.out, System.err));
            case "worker" -> worker(settings);
            case "import", "export", "jobs" -> System.exit(JobsCommand.run(command,
                    Arrays.asList(args).subList(1, args.length), settings, Clock.systemUTC(),
                    db -> App.minter(settings, db), System.out, System.err));
            case "version", "--version" -> System.out.println("kurz " + App.version());
            case "help", "--help", "-h" -> help();
            default -> {
                System.err.println("kurz: unknown command '" + command + "'");
                help();
                System.exit(2);
            }
        }
    }

    private static void serve(Settings settings) {
        App app;
        try {
            app = App.start(settings, Clock.systemUTC());
        } catch (RuntimeException e) {
            System.err.println("kurz: cannot start: " + e.getMessage());
            e.printStackTrace(System.err);
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "kurz-shutdown"));
    }

    private static void worker(Settings settings) {
        AutoCloseable worker;
        try {
            worker = App.startWorker(settings, Clock.systemUTC());
        } catch (RuntimeException e) {
            System.err.println("kurz: cannot start the worker: " + e.getMessage());
            e.printStackTrace(System.err);
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                worker.close();
            } catch (Exception e) {
                System.err.println("kurz: worker stop: " + e.getMessage());
            }
        }, "kurz-shutdown"));
    }

    private static void help() {
        System.out.println("""
                usage: kurz <command>

                commands:
                  serve     run an HTTP node (settings from KURZ_* environment variables)
                  migrate   create or upgrade the database schema, then exit
                  keys      manage API keys: keys create --name NAME [--role admin|user], keys list,
                            keys revoke ID (same database settings as serve)
                  worker    run background jobs (imports, purges); any number may run
                  import    import FILE --format FORMAT [--owner KEY_ID] [--wait]: store a file of links
                            (kurz-csv, kurz-jsonl, csv, yourls-csv, yourls-sql, bitly-csv, shlink-csv) as
                            an import job; --wait runs it here with a progress bar
                  export    export [--format csv|jsonl] [--out FILE] [--owner KEY_ID]: write links out
                  jobs      jobs [ID]: list recent jobs, or show one with its refused rows
                  version   print the version

                settings:""");
        for (Setting s : Setting.ALL) {
            System.out.printf("  %-26s %s (default: %s)%n", s.name(), s.description(),
                    s.defaultValue().isEmpty() ? "none" : s.defaultValue());
        }
    }
}
