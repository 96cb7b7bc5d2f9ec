package dev.kurz.click;

/**
 * What the redirect path learns about one click, read once from the request by
 * {@link ClickRecorder#visit}. Never the client's address: kurz stores no IP.
 *
 * @param bot       whether the user agent announces a bot ({@link UserAgents#isBot}); bots don't
 *                  count toward {@code maxClicks}
 * @param userAgent the User-Agent, cut to {@value UserAgents#MAX_LENGTH} characters ("" if none);
 *                  families are resolved from it at flush time
 * @param referrer  the referring host, lower-case, or {@code direct} / {@code unknown}
 * @param country   ISO 3166 alpha-2 from a trusted proxy's header, or null
 */
public record Visit(boolean bot, String userAgent, String referrer, String country) {}
