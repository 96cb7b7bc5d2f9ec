package dev.kurz.redirect;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CodeKeysTest {

    private static final String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-";

    @Test
    void everyCodeMapsToItsOwnKeyAndBack() {
        var random = new Random(42);
        Map<Object, String> seen = new HashMap<>();
        for (int i = 0; i < 200_000; i++) {
            int length = 1 + random.nextInt(i % 10 == 0 ? 64 : 12);
            var sb = new StringBuilder();
            for (int j = 0; j < length; j++) {
                // Mostly base62; now and then '_' or '-', which keep a code a String key.
                sb.append(ALPHABET.charAt(random.nextInt(random.nextInt(20) == 0 ? 64 : 62)));
            }
            String code = sb.toString();
            Object key = CodeKeys.of(code);
            assertThat(CodeKeys.code(key)).isEqualTo(code);
            String before = seen.putIfAbsent(key, code);
            assertThat(before == null || before.equals(code)).as("%s and %s share a key", before, code).isTrue();
        }
    }

    @Test
    void shortBase62CodesArePackedAndLeadingZerosCount() {
        assertThat(CodeKeys.of("0")).isInstanceOf(Long.class);
        assertThat(CodeKeys.of("zzzzzzzzzz")).isInstanceOf(Long.class);
        assertThat(CodeKeys.of("0")).isNotEqualTo(CodeKeys.of("00"));
        assertThat(CodeKeys.of("00")).isNotEqualTo(CodeKeys.of("000"));
        assertThat(CodeKeys.of("zzzzzzzzzz0")).isEqualTo("zzzzzzzzzz0");
        assertThat(CodeKeys.of("my-alias")).isEqualTo("my-alias");
        assertThat(CodeKeys.of("/abc1234", 1, 8)).isEqualTo(CodeKeys.of("abc1234"));
        assertThat(CodeKeys.code(CodeKeys.of("zzzzzzzzzz"))).isEqualTo("zzzzzzzzzz");
    }
}
