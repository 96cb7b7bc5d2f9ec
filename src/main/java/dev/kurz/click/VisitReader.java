package dev.kurz.click;

import dev.kurz.http.TrustedProxies;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

/**
 * Reads a {@link Visit} from a redirect request, on the event loop: a few header lookups, a scan
 * of the User-Agent for bot keywords, the referrer's host cut out of its URL. The only allocations
 * are the Visit and the host string.
 *
 * <p>The country header is believed only from a trusted proxy ({@code KURZ_TRUSTED_PROXIES}):
 * anyone else could claim any country.
 */
final class VisitReader {

    static final String DIRECT = "direct";
    static final String UNKNOWN = "unknown";
    private static final int MAX_HOST = 253;

    private final UserAgents agents;
    private final TrustedProxies proxies;
    private final String countryHeader;

    /** {@code countryHeader} null: no country is recorded. */
    VisitReader(UserAgents agents, TrustedProxies proxies, String countryHeader) {
        this.agents = agents;
        this.proxies = proxies;
        this.countryHeader = countryHeader;
    }

    Visit read(HttpServerRequest request) {
        String country = countryHeader != null && proxies.isTrustedPeer(request) ? request.getHeader(countryHeader) : null;
        return read(request.getHeader(HttpHeaders.USER_AGENT), request.getHeader(HttpHeaders.REFERER), country);
    }

    /** The visit of a request with these header values ({@code country} only from a trusted proxy). */
    Visit read(String userAgent, String referer, String country) {
        String ua = UserAgents.normalize(userAgent);
        UserAgents.Agent known = agents.cached(ua);
        boolean bot = known != null ? known.bot() : UserAgents.isBot(ua);
        return new Visit(bot, known != null ? known.userAgent() : ua, referrerHost(referer), country(country));
    }

    /**
     * The host of a Referer URL, lower-case and without port or credentials: {@code direct} when
     * there is none, {@code unknown} when it is not a URL with a plausible host. Any scheme
     * (android-app://com.google.android.gm/ names the Gmail app).
     */
    static String referrerHost(String referer) {
        if (referer == null || referer.isBlank()) {
            return DIRECT;
        }
        int sep = referer.indexOf("://");
        if (sep <= 0 || sep > 32) {
            return UNKNOWN;
        }
        for (int i = 0; i < sep; i++) {
            char ch = referer.charAt(i);
            if (!(Character.isLetterOrDigit(ch) && ch < 128) && ch != '+' && ch != '-' && ch != '.') {
                return UNKNOWN;
            }
        }
        int start = sep + 3;
        int end = start;
        int n = referer.length();
        while (end < n) {
            char ch = referer.charAt(end);
            if (ch == '/' || ch == '?' || ch == '#' || ch == '\\') {
                break;
            }
            if (ch == '@') {
                start = end + 1; // credentials: never part of the host, never kept
            }
            end++;
        }
        int hostEnd = end;
        if (start < end && referer.charAt(start) == '[') {
            int close = referer.indexOf(']', start);
            hostEnd = close < 0 || close > end ? -1 : close + 1;
        } else {
            int colon = referer.indexOf(':', start);
            if (colon >= 0 && colon < end) {
                hostEnd = colon;
            }
        }
        if (hostEnd <= start || hostEnd - start > MAX_HOST) {
            return UNKNOWN;
        }
        if (referer.charAt(hostEnd - 1) == '.') {
            hostEnd--;
        }
        boolean upper = false;
        for (int i = start; i < hostEnd; i++) {
            char ch = referer.charAt(i);
            boolean ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_'
                    || ch == '[' || ch == ']' || ch == ':';
            if (ch >= 'A' && ch <= 'Z') {
                upper = true;
            } else if (!ok) {
                return UNKNOWN;
            }
        }
        if (hostEnd <= start) {
            return UNKNOWN;
        }
        String host = referer.substring(start, hostEnd);
        return upper ? host.toLowerCase(java.util.Locale.ROOT) : host;
    }

    /** Two ASCII letters, upper-cased; "XX" (unknown, as Cloudflare says it) and anything else: null. */
    static String country(String value) {
        if (value == null || value.length() != 2) {
            return null;
        }
        char a = value.charAt(0);
        char b = value.charAt(1);
        if (!isAsciiLetter(a) || !isAsciiLetter(b)) {
            return null;
        }
        String code = Character.isUpperCase(a) && Character.isUpperCase(b) ? value
                : value.toUpperCase(java.util.Locale.ROOT);
        return code.equals("XX") ? null : code;
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }
}
