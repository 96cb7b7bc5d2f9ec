package dev.kurz.link;

import dev.kurz.config.Settings;
import dev.kurz.http.Problem;
import java.net.IDN;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides which target URLs a link may have, and puts accepted ones in one normal form.
 *
 * <p>Accepted: absolute {@code http}/{@code https} URLs up to the configured length, with a
 * host, without userinfo ({@code user:pass@}), without whitespace or control characters (which
 * is what makes CR/LF header injection impossible), not pointing back at kurz itself (loops),
 * and not on the blocklist. The scheme and host are lower-cased and IDN hosts become punycode,
 * so {@code HTTPS://Bücher.example} and {@code https://xn--bcher-kva.example} are the same link.
 * Path, query and fragment are kept as given.
 *
 * <p>Thread-safe.
 */
public final class UrlPolicy {

    // scheme "://" authority rest; the authority ends at the first '/', '?' or '#'.
    private static final Pattern SHAPE = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)", Pattern.DOTALL);
    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");
    private static final Pattern LOOPBACK_V4 = Pattern.compile("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");

    private final int maxLength;
    private final Set<String> schemes;
    private final String ownHost;
    private final int ownPort;
    private final Blocklist blocklist;

    UrlPolicy(int maxLength, Set<String> schemes, URI baseUrl, Blocklist blocklist) {
        this.maxLength = maxLength;
        this.schemes = Set.copyOf(schemes);
        this.ownHost = loopbackAsOne(withoutTrailingDot(baseUrl.getHost().toLowerCase(Locale.ROOT)));
        this.ownPort = effectivePort(baseUrl.getScheme().toLowerCase(Locale.ROOT), baseUrl.getPort());
        this.blocklist = blocklist;
    }

    public static UrlPolicy from(Settings settings, Clock clock) {
        return new UrlPolicy(settings.maxUrlLength(), settings.allowedSchemes(), settings.baseUrl(),
                new Blocklist(settings.blocklistFile(), clock));
    }

    /**
     * The normal form of {@code raw}, or a {@link Problem} naming {@code field} and what is wrong.
     */
    public String normalize(String field, String raw) {
        if (raw.isEmpty()) {
            throw Problem.invalid(field, "must not be empty");
        }
        if (raw.length() > maxLength) {
            throw Problem.invalid(field, "must be at most " + maxLength + " characters long");
        }
        if (hasUnpairedSurrogate(raw)) {
            throw Problem.invalid(field, "must be valid Unicode text (it has an unpaired surrogate)");
        }
        for (int i = 0; i < raw.length(); i++) {
            char ch = raw.charAt(i);
            if (ch <= 0x20 || ch == 0x7f || (ch >= 0x80 && ch <= 0x9f) || Character.isWhitespace(ch)
                    || ch == '\u2028' || ch == '\u2029' || ch == '\\') {
                throw Problem.invalid(field, "must not contain spaces, control characters or backslashes "
                        + "(percent-encode them)");
            }
        }
        Matcher m = SHAPE.matcher(raw);
        if (!m.matches()) {
            throw Problem.invalid(field, "must be an absolute URL starting with " + String.join(":// or ", schemes) + "://");
        }
        String scheme = m.group(1).toLowerCase(Locale.ROOT);
        if (!schemes.contains(scheme)) {
            throw Problem.invalid(field, "scheme '" + scheme + "' is not allowed; use " + String.join(" or ", schemes));
        }
        String authority = m.group(2);
        if (authority.contains("@")) {
            throw Problem.invalid(field, "must not contain credentials (user:password@)");
        }
        String host;
        String portPart = "";
        int port = -1;
        if (authority.startsWith("[")) { // IPv6 literal
            int close = authority.indexOf(']');
            if (close < 0) {
                throw Problem.invalid(field, "has a malformed IPv6 host");
            }
            host = authority.substring(0, close + 1).toLowerCase(Locale.ROOT);
            portPart = authority.substring(close + 1);
        } else {
            int colon = authority.lastIndexOf(':');
            String rawHost = colon < 0 ? authority : authority.substring(0, colon);
            portPart = colon < 0 ? "" : authority.substring(colon);
            host = asciiHost(rawHost).orElseThrow(() -> Problem.invalid(field, "has an invalid host name"));
        }
        if (!portPart.isEmpty()) {
            String digits = portPart.substring(1);
            if (!portPart.startsWith(":") || !PORT.matcher(digits).matches()
                    || (port = Integer.parseInt(digits)) < 1 || port > 65_535) {
                throw Problem.invalid(field, "has an invalid port");
            }
        }
        String normalized = scheme + "://" + host + (port < 0 ? "" : ":" + port) + encodeRest(m.group(3));
        try {
            URI uri = new URI(normalized);
            if (uri.getHost() == null) {
                throw Problem.invalid(field, "has an invalid host name");
            }
        } catch (URISyntaxException e) {
            throw Problem.invalid(field, "is not a valid URL (" + e.getReason() + ")");
        }
        // "kurz.test." (a fully qualified name) is the same host as "kurz.test".
        if (loopbackAsOne(withoutTrailingDot(host)).equals(ownHost) && pointsAtUs(effectivePort(scheme, port))) {
            throw Problem.invalid(field, "must not point to this shortener (that would make a loop)");
        }
        if (blocklist.blocks(host)) {
            throw Problem.invalid(field, "points to a blocked domain");
        }
        return normalized;
    }

    // Characters a URI may carry as they are after the authority (RFC 3986), besides '%' escapes.
    private static final String URI_SAFE =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#@!$&'()*+,;=";

    /**
     * Percent-encodes what a URI may not contain in its path, query and fragment (non-ASCII,
     * {@code <>"{}|^`[]}, a second {@code #}, a stray {@code %}), the way browsers do, so the
     * {@code Location} header is always plain ASCII. Existing escapes are kept as they are.
     */
    static String encodeRest(String rest) {
        var out = new StringBuilder(rest.length() + 16);
        boolean inFragment = false;
        int i = 0;
        while (i < rest.length()) {
            int cp = rest.codePointAt(i);
            int len = Character.charCount(cp);
            if (cp == '%' && isHex(rest, i + 1) && isHex(rest, i + 2)) {
                out.append(rest, i, i + 3);
                i += 3;
                continue;
            }
            boolean safe = cp < 0x80 && URI_SAFE.indexOf(cp) >= 0 && !(cp == '#' && inFragment);
            if (cp == '#') {
                inFragment = true;
            }
            if (safe) {
                out.append((char) cp);
            } else {
                for (byte b : new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                    out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xF, 16)))
                            .append(Character.toUpperCase(Character.forDigit(b & 0xF, 16)));
                }
            }
            i += len;
        }
        return out.toString();
    }

    private static boolean isHex(String s, int i) {
        return i < s.length() && Character.digit(s.charAt(i), 16) >= 0;
    }

    /**
     * The host in lower-case ASCII (punycode for IDN), or empty if it is not a valid host name.
     *
     * <p>Java's IDN implements IDNA2003, which maps the "deviation" characters ß, ς, ZWJ and ZWNJ
     * away ({@code faß.de} becomes {@code fass.de}) where browsers, following UTS #46, keep them
     * ({@code xn--fa-hia.de}): a different domain. Hosts containing them are refused rather than
     * silently sent somewhere else; their punycode form is accepted.
     */
    static Optional<String> asciiHost(String host) {
        if (host.isEmpty() || host.length() > 253) {
            return Optional.empty();
        }
        if (host.chars().anyMatch(c -> c == '\u00df' || c == '\u03c2' || c == '\u200c' || c == '\u200d')) {
            return Optional.empty();
        }
        try {
            String ascii = IDN.toASCII(host, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
            if (ascii.isEmpty() || ascii.startsWith(".") || ascii.contains("..")) {
                return Optional.empty();
            }
            return Optional.of(ascii);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether {@code s} has a surrogate that is not half of a pair: not text at all, and what
     * UTF-8 encoders silently turn into {@code ?}.
     */
    static boolean hasUnpairedSurrogate(String s) {
        return s.codePoints().anyMatch(cp -> cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE);
    }

    /** localhost, 127.x.x.x and [::1] all reach this machine: compare them as one host. */
    private static String loopbackAsOne(String host) {
        boolean loopback = host.equals("localhost") || host.endsWith(".localhost") || host.equals("[::1]")
                || (host.startsWith("127.") && LOOPBACK_V4.matcher(host).matches());
        return loopback ? "localhost" : host;
    }

    private static String withoutTrailingDot(String host) {
        return host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    }

    /**
     * Whether a URL to our host on {@code port} reaches kurz. The default ports count as one: behind
     * a TLS-terminating proxy, http://s.example and https://s.example are the same shortener.
     */
    private boolean pointsAtUs(int port) {
        boolean defaultPort = port == 80 || port == 443;
        boolean ownDefault = ownPort == 80 || ownPort == 443;
        return port == ownPort || (defaultPort && ownDefault);
    }

    private static int effectivePort(String scheme, int port) {
        if (port > 0) {
            return port;
        }
        return scheme.equals("https") ? 443 : 80;
    }
}
