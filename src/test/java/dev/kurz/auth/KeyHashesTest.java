package dev.kurz.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class KeyHashesTest {

    @Test
    void aKeyMatchesOnlyItsOwnHash() {
        String key = "kurz_7_" + "a".repeat(43);
        String stored = KeyHashes.hex(KeyHashes.sha256(key));
        assertThat(stored).hasSize(64).matches("[0-9a-f]+").doesNotContain(key);
        assertThat(KeyHashes.matches(stored, key)).isTrue();
        assertThat(KeyHashes.matches(stored, key.substring(0, key.length() - 1) + "b")).isFalse();
        assertThat(KeyHashes.matches(stored, "b" + key.substring(1))).isFalse();
        assertThat(KeyHashes.matches(stored, key + "a")).isFalse();
        assertThat(KeyHashes.matches(stored, "")).isFalse();
        assertThat(KeyHashes.matches("not hex", key)).isFalse();
        assertThat(KeyHashes.matches(stored.substring(0, 62), key)).isFalse();
    }

    /**
     * A review guard: the comparison must stay a constant-time one. {@code MessageDigest.isEqual}
     * looks at every byte whatever differs; {@code equals} or {@code Arrays.equals} stop at the
     * first difference and would leak how much of a guess was right.
     */
    @Test
    void keysAreComparedInConstantTime() throws Exception {
        String hashes = Files.readString(Path.of("src/main/java/dev/kurz/auth/KeyHashes.java"));
        String keys = Files.readString(Path.of("src/main/java/dev/kurz/auth/ApiKeys.java"));
        String passwords = Files.readString(Path.of("src/main/java/dev/kurz/auth/PasswordHasher.java"));
        assertThat(hashes).contains("MessageDigest.isEqual(stored, sha256(presentedKey))")
                .doesNotContain("Arrays.equals").doesNotContain(".equals(stored");
        assertThat(keys).contains("KeyHashes.matches(rs.getString(\"key_hash\"), presentedKey)")
                .doesNotContain("key_hash = ?\")").doesNotContain("WHERE key_hash");
        assertThat(passwords).contains("MessageDigest.isEqual(expected, actual)").doesNotContain("Arrays.equals(");
    }
}
