package dev.kurz.click;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import ua_parser.Client;
import ua_parser.Parser;

/**
 * What a {@code User-Agent} says about a visitor: bot or not, browser family, OS family, device
 * type (desktop, mobile, tablet or bot).
 *
 * <p>Two speeds, on purpose. Whether a click is a bot decides whether it counts toward a link's
 * {@code maxClicks}, so the redirect path must know it at once: {@link #isBot} is a keyword scan
 * with no regex and no allocation, a few hundred nanoseconds at most. Browser and OS families
 * come from uap-java (uap-core's maintained regexes), which costs about a millisecond per string
 * because it tries its patterns one by one; so it never runs on an event loop. The flusher
 * resolves each distinct string once through {@link #resolve}, and a bounded Caffeine cache keeps
 * the answers, so a busy node parses only the strings it has not seen lately. The redirect path
 * looks in that cache ({@link #cached}) only to reuse the canonical string instance, which keeps
 * memory per pending counter small.
 *
 * <p>Bot-ness is always {@link #isBot} of the (truncated) string, whether the answer came from the
 * cache or not, so a click is classified the same way on every node and at every time.
 *
 * <p>Thread-safe.
 */
final class UserAgents {

    /** A classified user agent; {@code userAgent} is the canonical instance for counter keys. */
    record Agent(String userAgent, boolean bot, String browser, String os, String device) {}

    /** Longer strings are cut here before anything else looks at them: bounds memory per counter. */
    static final int MAX_LENGTH = 512;
    static final int CACHE_SIZE = 10_000;
    private static final int MAX_FAMILY = 64;

    private final Cache<String, Agent> cache = Caffeine.newBuilder().maximumSize(CACHE_SIZE).build();

    /** The parser loads ~6,000 lines of YAML (half a second): once per JVM, on first use. */
    private static final class Uap {
        static final Parser PARSER = new Parser();
    }

    /** The header value as kurz keys it: never null, at most {@link #MAX_LENGTH} characters. */
    static String normalize(String header) {
        if (header == null) {
            return "";
        }
        return header.length() > MAX_LENGTH ? header.substring(0, MAX_LENGTH) : header;
    }

    /** The classification if it is cached; never parses. Cheap enough for the event loop. */
    Agent cached(String userAgent) {
        return cache.getIfPresent(userAgent);
    }

    /** The classification, parsing on a miss (about 1 ms): call from the flusher, never an event loop. */
    Agent resolve(String userAgent) {
        return cache.get(userAgent, UserAgents::classify);
    }

    static Agent classify(String ua) {
        boolean bot = isBot(ua);
        Client c;
        try {
            c = Uap.PARSER.parse(ua);
        } catch (RuntimeException e) {
            // A parser bug must not cost the batch its counts: the families just stay unknown.
            c = new Client(null, null, null);
        }
        String browser = family(c.userAgent == null ? null : c.userAgent.family);
        String os = family(c.os == null ? null : c.os.family);
        String device = bot ? "bot" : deviceType(ua, os, c.device == null ? "" : c.device.family);
        return new Agent(ua, bot, browser, os, device);
    }

    private static String family(String f) {
        if (f == null || f.isBlank()) {
            return "Other";
        }
        return f.length() > MAX_FAMILY ? f.substring(0, MAX_FAMILY) : f;
    }

    /**
     * Tablet before mobile: Android tablets are Android without "Mobile" (Google's own rule), and
     * iPads say "Mobile" too. iPadOS 13+ Safari sends a Mac desktop string and counts as desktop;
     * no parser can tell it apart. Anything that is neither (including scripts such as curl) is
     * desktop.
     */
    static String deviceType(String ua, String os, String deviceFamily) {
        if (deviceFamily.equals("iPad") || ua.contains("iPad") || containsIgnoreCase(ua, "tablet")
                || ua.contains("Kindle") || ua.contains("Silk/") || ua.contains("PlayBook")
                || (os.equals("Android") && !ua.contains("Mobile"))) {
            return "tablet";
        }
        if (ua.contains("Mobi") || deviceFamily.equals("iPhone") || deviceFamily.equals("iPod")
                || os.equals("iOS") || os.equals("Android") || os.startsWith("Windows Phone")
                || os.startsWith("BlackBerry") || os.equals("KaiOS") || os.startsWith("Symbian")) {
            return "mobile";
        }
        return "desktop";
    }

    /*
     * Keywords of self-declared crawlers, link-preview fetchers (the unfurlers of chat apps and
     * social networks, the main source of phantom clicks on short links), uptime monitors,
     * scanners and headless browsers; drawn from uap-core's spider patterns. "bot" is matched as
     * a word ending (Googlebot/2.1, Slackbot-LinkExpanding, "AhrefsBot;") except after "cu", a
     * phone brand (CUBOT). HTTP libraries (curl, wget, Java, Python) are not bots here: they are
     * usually a person or their script. An empty User-Agent is: every browser and every common
     * library sends one, a hand-rolled scanner doesn't.
     */
    private static final String[] KEYWORDS = {
            "crawl", "spider", "slurp", "scrape", "archiver", "indexer", "preview", "externalhit",
            "facebookcatalog", "whatsapp", "headless", "lighthouse", "phantomjs", "embedly", "iframely",
            "feedfetcher", "mediapartners", "apis-google", "googleother", "pagerenderer", "favicon", "ptst/",
            "pingdom", "uptime", "monitor", "validator", "checklink", "linkcheck", "check_http", "nagios",
            "zgrab", "masscan", "nmap", "nuclei", "censys", "datanyze", "qwantify", "vkshare"};
    private static final String[][] BY_FIRST_LETTER = new String[26][];

    static {
        for (char c = 'a'; c <= 'z'; c++) {
            char first = c;
            BY_FIRST_LETTER[c - 'a'] = java.util.Arrays.stream(KEYWORDS).filter(k -> k.charAt(0) == first)
                    .toArray(String[]::new);
        }
    }

    /** Whether the string announces a bot (see above). No allocation; safe on the event loop. */
    static boolean isBot(String ua) {
        int n = ua.length();
        if (n == 0 || ua.isBlank()) {
            return true;
        }
        for (int i = 0; i < n; i++) {
            char c = lower(ua.charAt(i));
            if (c < 'a' || c > 'z') {
                continue;
            }
            if (c == 'b' && i + 3 <= n && lower(ua.charAt(i + 1)) == 'o' && lower(ua.charAt(i + 2)) == 't'
                    && (i + 3 == n || !Character.isLetter(ua.charAt(i + 3)))
                    && !(i >= 2 && lower(ua.charAt(i - 2)) == 'c' && lower(ua.charAt(i - 1)) == 'u')) {
                return true;
            }
            for (String k : BY_FIRST_LETTER[c - 'a']) {
                if (ua.regionMatches(true, i, k, 0, k.length())) {
                    return true;
                }
            }
        }
        return false;
    }

    private static char lower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
    }

    private static boolean containsIgnoreCase(String s, String lowerNeedle) {
        int n = lowerNeedle.length();
        for (int i = 0; i + n <= s.length(); i++) {
            if (s.regionMatches(true, i, lowerNeedle, 0, n)) {
                return true;
            }
        }
        return false;
    }
}
