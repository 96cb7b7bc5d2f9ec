package dev.kurz.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.config.Settings;
import dev.kurz.db.Database;
import dev.kurz.support.Backends;
import dev.kurz.support.TestNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kurz keys ...} against the same database settings as {@code kurz serve}. */
class KeysCommandTest {

    private static final Pattern KEY = Pattern.compile("kurz_(\\d+)_[A-Za-z0-9_-]{43}");

    @TempDir
    Path dataDir;

    private record Run(int exit, String out, String err) {}

    private static Run keys(Settings settings, String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int exit = KeysCommand.run(List.of(args), settings, Clock.systemUTC(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void createListRevokeOnTheSqliteFileServeUses() {
        Map<String, String> env = Map.of("KURZ_DATA_DIR", dataDir.toString(), "KURZ_PORT", "0",
                "KURZ_HOST", "127.0.0.1", "KURZ_RATE_CREATE", "off");
        exercise(Settings.from(env), env, dataDir);
    }

    @Test
    void createListRevokeOnPostgres() {
        var env = new HashMap<>(Backends.postgresSettings());
        env.put("KURZ_PORT", "0");
        env.put("KURZ_HOST", "127.0.0.1");
        exercise(Settings.from(env), env, dataDir);
    }

    private void exercise(Settings settings, Map<String, String> env, Path dir) {
        Run created = keys(settings, "create", "--name", "ci bot", "--role", "admin");
        assertThat(created.exit()).as(created.err()).isZero();
        Matcher m = KEY.matcher(created.out());
        assertThat(m.find()).as(created.out()).isTrue();
        String key = m.group();
        long id = Long.parseLong(m.group(1));

        // Only the hash is stored.
        try (Database db = Database.open(settings)) {
            assertThat(new ApiKeys(db, Clock.systemUTC()).authenticate(key)).contains(new Caller(id, Role.ADMIN));
        }
        try (TestNode node = TestNode.start(dir, env)) {
            assertThat(node.count("SELECT count(*) FROM api_keys WHERE key_hash = '"
                    + KeyHashes.hex(KeyHashes.sha256(key)) + "'")).isEqualTo(1);
            assertThat(node.count("SELECT count(*) FROM api_keys WHERE key_hash LIKE '%" + key.substring(8) + "%' "
                    + "OR name LIKE '%" + key.substring(8) + "%'")).isZero();
            // The node accepts the key the CLI printed: same database.
            assertThat(node.get("/api/v1/links", TestNode.bearer(key)).status()).isEqualTo(200);
        }

        Run list = keys(settings, "list");
        assertThat(list.exit()).isZero();
        assertThat(list.out()).contains("ci bot").contains("admin").doesNotContain(key.substring(8));

        Run revoked = keys(settings, "revoke", Long.toString(id));
        assertThat(revoked.exit()).as(revoked.err()).isZero();
        assertThat(keys(settings, "revoke", Long.toString(id)).exit()).isEqualTo(1);
        try (Database db = Database.open(settings)) {
            assertThat(new ApiKeys(db, Clock.systemUTC()).authenticate(key)).isEmpty();
        }
        assertThat(keys(settings, "list").out()).containsPattern("\\d{4}-\\d\\d-\\d\\dT.*ci bot");

        Run user = keys(settings, "create", "--name=reader");
        assertThat(user.exit()).isZero();
        assertThat(user.out()).contains("user key");
    }

    @Test
    void badArgumentsExplainTheUsage() {
        Settings settings = Settings.from(Map.of("KURZ_DATA_DIR", dataDir.toString()));
        for (String[] args : new String[][] {{}, {"create"}, {"create", "--role", "root", "--name", "x"},
                {"create", "--name", ""}, {"revoke"}, {"revoke", "abc"}, {"frobnicate"}, {"list", "extra"}}) {
            Run r = keys(settings, args);
            assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err()).contains("usage: kurz keys");
        }
    }
}
