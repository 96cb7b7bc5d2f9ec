package dev.kurz.link;

import java.util.Set;

/**
 * What a code may look like. Generated codes are base62; aliases add {@code _} and {@code -}.
 * Both share one namespace (the unique {@code code} column), which is why aliases may not take
 * the words kurz uses for its own paths.
 */
public final class ShortCodes {

    private ShortCodes() {}

    static final String BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    public static final int MIN_ALIAS = 3;
    public static final int MAX_ALIAS = 64;

    /** Path segments kurz serves itself, compared case-insensitively. */
    public static final Set<String> RESERVED = Set.of(
            "api", "health", "metrics", "static", "admin", "openapi.json", "openapi", "favicon.ico",
            "robots.txt", "login", "logout", "docs", "ui", "assets", "stats", "qr", "new", "kurz",
            "well-known", ".well-known", "sitemap.xml", "humans.txt", "security.txt", "apple-touch-icon.png",
            // /api/v1/links/export and /api/v1/links/bulk: a link with such a code couldn't be read by the API.
            "export", "bulk");

    private static final String[] RESERVED_WORDS = RESERVED.toArray(String[]::new);

    /** Whether {@code segment} is one of kurz's own path words. */
    public static boolean isReserved(String segment) {
        return isReserved(segment, 0, segment.length());
    }

    /** Whether {@code s[from, to)} is one of kurz's own path words; allocates nothing (the redirect path asks). */
    public static boolean isReserved(String s, int from, int to) {
        int length = to - from;
        for (String word : RESERVED_WORDS) {
            if (word.length() == length && s.regionMatches(true, from, word, 0, length)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether {@code s} has the shape of any code (generated or alias): 1-64 characters of
     * {@code [A-Za-z0-9_-]}. Cheap enough for the redirect path; no regex, no allocation.
     */
    public static boolean isCodeShaped(CharSequence s, int from, int to) {
        int length = to - from;
        if (length < 1 || length > MAX_ALIAS) {
            return false;
        }
        for (int i = from; i < to; i++) {
            char ch = s.charAt(i);
            boolean ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
                    || ch == '_' || ch == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Why {@code alias} is not acceptable, or null if it is. */
    public static String aliasProblem(String alias) {
        if (alias.length() < MIN_ALIAS || alias.length() > MAX_ALIAS) {
            return "must be " + MIN_ALIAS + " to " + MAX_ALIAS + " characters long";
        }
        if (!isCodeShaped(alias, 0, alias.length())) {
            return "may contain only letters A-Z and a-z, digits, '_' and '-'";
        }
        if (isReserved(alias)) {
            return "'" + alias + "' is reserved for kurz's own pages";
        }
        return null;
    }

    /** Encodes {@code value} in base62, left-padded with '0' to {@code width} characters. */
    static String base62(long value, int width) {
        char[] out = new char[width];
        for (int i = width - 1; i >= 0; i--) {
            out[i] = BASE62.charAt((int) (value % 62));
            value /= 62;
        }
        if (value != 0) {
            throw new IllegalArgumentException("value does not fit in " + width + " base62 characters");
        }
        return new String(out);
    }
}
