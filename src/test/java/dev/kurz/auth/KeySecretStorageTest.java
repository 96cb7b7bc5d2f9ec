package dev.kurz.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.support.Backends;
import dev.kurz.support.TestNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Stored only as a hash" must hold on disk too: PostgreSQL keeps old row versions (dead tuples)
 * and logs every inserted row in its WAL, so a secret written even briefly would stay readable
 * in the files. This reads the raw files of a real server.
 */
class KeySecretStorageTest {

    @TempDir
    Path dir;

    @Test
    void aKeysSecretIsInNoFileOfTheDatabase() throws Exception {
        var env = Backends.postgresSettings();
        String secret;
        try (var node = TestNode.start(dir, env)) {
            String key = node.key("disk-check", Role.USER);
            // kurz_<id>_<secret>; the secret is base64url and may itself contain '_'.
            secret = key.substring(key.indexOf('_', "kurz_".length()) + 1);
            assertThat(secret).hasSize(43);
        }
        Path heap;
        Path wal;
        try (var c = DriverManager.getConnection(env.get("KURZ_DB_URL"), "postgres", "")) {
            c.createStatement().execute("CHECKPOINT"); // every page on disk, not only in shared buffers
            try (var rs = c.createStatement().executeQuery(
                    "SELECT current_setting('data_directory'), pg_relation_filepath('api_keys')")) {
                rs.next();
                heap = Path.of(rs.getString(1)).resolve(rs.getString(2));
                wal = Path.of(rs.getString(1)).resolve("pg_wal");
            }
        }
        byte[] needle = secret.getBytes(StandardCharsets.US_ASCII);
        assertThat(contains(Files.readAllBytes(heap), needle)).as("secret in the table's heap file").isFalse();
        try (Stream<Path> segments = Files.list(wal)) {
            for (Path segment : segments.filter(Files::isRegularFile).toList()) {
                assertThat(contains(Files.readAllBytes(segment), needle)).as("secret in WAL %s", segment).isFalse();
            }
        }
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
