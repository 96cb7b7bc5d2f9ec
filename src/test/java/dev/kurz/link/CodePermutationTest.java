package dev.kurz.link;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.HashSet;
import org.junit.jupiter.api.Test;

class CodePermutationTest {

    private final CodePermutation permutation = new CodePermutation("test-key");

    @Test
    void aMillionIdsGiveAMillionDistinctSevenCharacterCodes() {
        var seen = new HashSet<String>(2_000_000);
        for (long id = 0; id < 1_000_000; id++) {
            String code = permutation.code(id);
            assertThat(code.length()).isEqualTo(7);
            assertThat(seen.add(code)).as("code %s for id %d is new", code, id).isTrue();
        }
        assertThat(seen).hasSize(1_000_000);
        assertThat(seen).allMatch(c -> c.chars().allMatch(ch -> ShortCodes.BASE62.indexOf(ch) >= 0));
    }

    @Test
    void thePermutationIsABijectionOnASmallDomain() {
        // Width 1 (62 values) exercises the same Feistel + cycle walking on a domain we can enumerate.
        var hit = new BitSet(62);
        for (long v = 0; v < 62; v++) {
            long p = permutation.permute(v, 1);
            assertThat(p).isBetween(0L, 61L);
            hit.set((int) p);
        }
        assertThat(hit.cardinality()).isEqualTo(62);
    }

    @Test
    void consecutiveIdsGiveUnrelatedCodes() {
        int samePrefix = 0;
        int sameSuffix = 0;
        int samePositions = 0;
        int pairs = 100_000;
        String previous = permutation.code(0);
        for (long id = 1; id <= pairs; id++) {
            String code = permutation.code(id);
            if (code.charAt(0) == previous.charAt(0)) {
                samePrefix++;
            }
            if (code.charAt(6) == previous.charAt(6)) {
                sameSuffix++;
            }
            for (int i = 0; i < 7; i++) {
                if (code.charAt(i) == previous.charAt(i)) {
                    samePositions++;
                }
            }
            previous = code;
        }
        // Unrelated codes agree in a given position 1/62 of the time (1.6%); sequential ones would
        // share their prefix almost always.
        assertThat(samePrefix / (double) pairs).isLessThan(0.03);
        assertThat(sameSuffix / (double) pairs).isLessThan(0.03);
        assertThat(samePositions / (7.0 * pairs)).isLessThan(0.03);
    }

    @Test
    void aDifferentKeyGivesDifferentCodes() {
        var other = new CodePermutation("another-key");
        int same = 0;
        for (long id = 0; id < 1000; id++) {
            if (permutation.code(id).equals(other.code(id))) {
                same++;
            }
        }
        assertThat(same).isLessThan(2);
        assertThat(new CodePermutation("test-key").code(42)).isEqualTo(permutation.code(42));
    }

    @Test
    void codesGrowToEightCharactersAfterAllSevenCharacterOnesAreUsed() {
        long sevenCharIds = CodePermutation.pow62(7);
        assertThat(permutation.code(sevenCharIds - 1)).hasSize(7);
        assertThat(permutation.code(sevenCharIds)).hasSize(8);
        assertThat(permutation.code(sevenCharIds + CodePermutation.pow62(8))).hasSize(9);
    }
}
