package dev.kurz.redirect;

/**
 * The L1 cache's key for a code: a {@link Long} for codes of up to 10 base62 characters (every
 * generated code, most aliases), the code itself otherwise.
 *
 * <p>Why: a 7-character String key is 48 bytes of heap (the String and its array), a Long 16,
 * and the key is read straight from the request path without cutting a String out of it. With a
 * million cached links that is 32 MB less. The mapping is a bijection on those codes (length
 * and digits both go into the number), so two codes share a key only if they are equal.
 */
final class CodeKeys {

    private static final int MAX_PACKED = 10; // 62^1 + ... + 62^10 < 2^63
    private static final long[] OFFSET = new long[MAX_PACKED + 1]; // keys of shorter codes come first
    private static final String DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    static {
        long size = 1;
        for (int length = 1; length <= MAX_PACKED; length++) {
            OFFSET[length] = length == 1 ? 0 : OFFSET[length - 1] + size;
            size *= 62;
        }
    }

    private CodeKeys() {}

    /** The key of the code {@code s[from, to)}; the caller has checked it is code-shaped. */
    static Object of(CharSequence s, int from, int to) {
        int length = to - from;
        if (length < 1 || length > MAX_PACKED) {
            return s.subSequence(from, to).toString();
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            int digit = digit(s.charAt(i));
            if (digit < 0) {
                return s.subSequence(from, to).toString();
            }
            value = value * 62 + digit;
        }
        return OFFSET[length] + value;
    }

    static Object of(String code) {
        return of(code, 0, code.length());
    }

    /** The code a key stands for. */
    static String code(Object key) {
        if (key instanceof String code) {
            return code;
        }
        long k = (Long) key;
        int length = MAX_PACKED;
        while (k < OFFSET[length]) {
            length--;
        }
        long value = k - OFFSET[length];
        char[] out = new char[length];
        for (int i = length - 1; i >= 0; i--) {
            out[i] = DIGITS.charAt((int) (value % 62));
            value /= 62;
        }
        return new String(out);
    }

    private static int digit(char ch) {
        if (ch >= '0' && ch <= '9') {
            return ch - '0';
        }
        if (ch >= 'A' && ch <= 'Z') {
            return ch - 'A' + 10;
        }
        if (ch >= 'a' && ch <= 'z') {
            return ch - 'a' + 36;
        }
        return -1;
    }
}
