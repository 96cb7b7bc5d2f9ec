package dev.kurz.auth;

import dev.kurz.config.Settings;
import dev.kurz.db.Database;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * {@code kurz keys create|list|revoke}: manages API keys in the database the settings name (the
 * SQLite file in {@code KURZ_DATA_DIR}, or {@code KURZ_DB_URL}), exactly as {@code kurz serve}
 * would open it. A thin shell over {@link ApiKeys}.
 */
public final class KeysCommand {

    private KeysCommand() {}

    static final String USAGE = """
            usage: kurz keys create --name NAME [--role admin|user]   create a key and print it (once)
                   kurz keys list                                     list keys (never the keys themselves)
                   kurz keys revoke ID                                revoke a key from now on""";

    /** Runs {@code args} (after {@code keys}); returns the process exit code. */
    public static int run(List<String> args, Settings settings, Clock clock, PrintStream out, PrintStream err) {
        if (args.isEmpty()) {
            err.println(USAGE);
            return 2;
        }
        try {
            return switch (args.getFirst()) {
                case "create" -> {
                    Create c = Create.parse(args.subList(1, args.size()));
                    try (Database db = Database.open(settings)) {
                        ApiKeys.Issued issued = new ApiKeys(db, clock).create(c.name(), c.role());
                        out.println("Created " + issued.key().role().label() + " key " + issued.key().id()
                                + " (\"" + issued.key().name() + "\"). Store it now: it is not shown again.");
                        out.println();
                        out.println(issued.secret());
                        out.println();
                        out.println("Send it as the header: Authorization: Bearer <the key above>");
                    }
                    yield 0;
                }
                case "list" -> {
                    if (args.size() != 1) {
                        throw new IllegalArgumentException("'keys list' takes no arguments");
                    }
                    try (Database db = Database.open(settings)) {
                        List<ApiKey> keys = new ApiKeys(db, clock).list();
                        out.printf("%-6s %-6s %-24s %-26s %s%n", "ID", "ROLE", "CREATED", "REVOKED", "NAME");
                        for (ApiKey k : keys) {
                            out.printf("%-6d %-6s %-24s %-26s %s%n", k.id(), k.role().label(),
                                    Instant.ofEpochMilli(k.createdAt()),
                                    k.revokedAt() == null ? "-" : Instant.ofEpochMilli(k.revokedAt()).toString(), k.name());
                        }
                        if (keys.isEmpty()) {
                            out.println("(no keys yet: kurz keys create --name admin --role admin)");
                        }
                    }
                    yield 0;
                }
                case "revoke" -> {
                    if (args.size() != 2 || !args.get(1).matches("[0-9]{1,18}")) {
                        throw new IllegalArgumentException("'keys revoke' takes one key id (see 'kurz keys list')");
                    }
                    long id = Long.parseLong(args.get(1));
                    try (Database db = Database.open(settings)) {
                        if (!new ApiKeys(db, clock).revoke(id)) {
                            err.println("kurz: no valid key with id " + id + " (unknown or already revoked)");
                            yield 1;
                        }
                    }
                    out.println("Revoked key " + id + ": it is refused from now on, on every node.");
                    yield 0;
                }
                default -> throw new IllegalArgumentException("unknown keys command '" + args.getFirst() + "'");
            };
        } catch (IllegalArgumentException e) {
            err.println("kurz: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
    }

    private record Create(String name, Role role) {
        static Create parse(List<String> args) {
            String name = null;
            Role role = Role.USER;
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                String value;
                if (a.startsWith("--name=") || a.startsWith("--role=")) {
                    value = a.substring(a.indexOf('=') + 1);
                    a = a.substring(0, a.indexOf('='));
                } else if ((a.equals("--name") || a.equals("--role")) && i + 1 < args.size()) {
                    value = args.get(++i);
                } else {
                    throw new IllegalArgumentException("unexpected argument '" + a + "'");
                }
                if (a.equals("--name")) {
                    name = value;
                } else {
                    role = Role.parse(value);
                }
            }
            if (name == null) {
                throw new IllegalArgumentException("'keys create' needs --name NAME");
            }
            return new Create(name, role);
        }
    }
}
