package dev.kurz.link;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ShortCodesTest {

    @Test
    void aliasesFollowTheDocumentedShape() {
        assertThat(ShortCodes.aliasProblem("abc")).isNull();
        assertThat(ShortCodes.aliasProblem("A-b_9".repeat(12) + "abcd")).isNull(); // 64 chars
        assertThat(ShortCodes.aliasProblem("ab")).contains("3 to 64");
        assertThat(ShortCodes.aliasProblem("a".repeat(65))).contains("3 to 64");
        assertThat(ShortCodes.aliasProblem("a/b")).contains("may contain only");
        assertThat(ShortCodes.aliasProblem("café")).contains("may contain only");
        assertThat(ShortCodes.aliasProblem("Metrics")).contains("reserved");
    }

    @Test
    void base62IsFixedWidthAndOrdered() {
        assertThat(ShortCodes.base62(0, 7)).isEqualTo("0000000");
        assertThat(ShortCodes.base62(61, 7)).isEqualTo("000000z");
        assertThat(ShortCodes.base62(62, 7)).isEqualTo("0000010");
        assertThat(ShortCodes.base62(CodePermutation.pow62(7) - 1, 7)).isEqualTo("zzzzzzz");
    }
}
