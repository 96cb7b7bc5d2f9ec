package dev.kurz.link;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * Turns sequential ids into codes that look random, without ever colliding.
 *
 * <p>Design: ids are numbered across widths: ids {@code [0, 62^7)} become 7-character codes,
 * the next {@code 62^8} ids 8-character codes, and so on up to 10 characters. Within a width the
 * id goes through a keyed permutation of {@code [0, 62^w)}: a balanced Feistel network on the
 * smallest even number of bits that covers the range, with AES-128 (keyed from the instance's
 * code key) as the round function, and <em>cycle walking</em> (re-encrypting while the result is
 * outside the range) to stay inside it. A Feistel network is a bijection whatever its round
 * function, and cycle walking on a bijection is a bijection of the subset, so distinct ids give
 * distinct codes by construction: no lookup, no retry. Because {@code 2^bits / 62^w < 1.6}, the
 * walk takes fewer than two steps on average.
 *
 * <p>Changing the key changes future codes only; issued codes are stored, never recomputed.
 * Four rounds of a PRF make the mapping a strong pseudo-random permutation (Luby-Rackoff): without
 * the key, consecutive ids give unrelated codes and the next code can't be predicted.
 *
 * <p>Not thread-safe (the cipher holds state); {@link CodeMinter} serialises access.
 */
final class CodePermutation {

    static final int MIN_WIDTH = 7;
    static final int MAX_WIDTH = 10;
    private static final int ROUNDS = 4;

    private final Cipher aes;
    private final byte[] block = new byte[16];
    private final byte[] out = new byte[16];

    CodePermutation(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            aes = Cipher.getInstance("AES/ECB/NoPadding");
            aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(digest, 0, 16, "AES"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES is required by the Java platform", e);
        }
    }

    /** The code for id {@code id >= 0}: 7 characters until {@code 62^7} ids are used, then longer. */
    String code(long id) {
        if (id < 0) {
            throw new IllegalArgumentException("id must be >= 0, got " + id);
        }
        long rest = id;
        for (int width = MIN_WIDTH; width <= MAX_WIDTH; width++) {
            long size = pow62(width);
            if (rest < size) {
                return ShortCodes.base62(permute(rest, width), width);
            }
            rest -= size;
        }
        throw new IllegalArgumentException("id " + id + " is beyond the largest code width");
    }

    /** A bijection of {@code [0, 62^width)}. */
    long permute(long value, int width) {
        long size = pow62(width);
        int halfBits = (64 - Long.numberOfLeadingZeros(size - 1) + 1) / 2;
        long x = value;
        do {
            x = feistel(x, halfBits, width);
        } while (x >= size);
        return x;
    }

    private long feistel(long x, int halfBits, int width) {
        long mask = (1L << halfBits) - 1;
        long left = x >>> halfBits;
        long right = x & mask;
        for (int round = 0; round < ROUNDS; round++) {
            long next = left ^ (roundFunction(round, width, right) & mask);
            left = right;
            right = next;
        }
        return (left << halfBits) | right;
    }

    private long roundFunction(int round, int width, long half) {
        ByteBuffer.wrap(block).putInt(0, round).putInt(4, width).putLong(8, half);
        try {
            aes.doFinal(block, 0, 16, out, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return ByteBuffer.wrap(out).getLong(0);
    }

    static long pow62(int width) {
        long p = 1;
        for (int i = 0; i < width; i++) {
            p *= 62;
        }
        return p;
    }
}
