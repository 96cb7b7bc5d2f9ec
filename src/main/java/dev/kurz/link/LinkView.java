package dev.kurz.link;

import java.net.URI;
import java.time.Instant;

/** A link as the API shows it. Times are ISO-8601 instants; absent values are JSON null. */
public record LinkView(
        String code,
        String shortUrl,
        String url,
        String title,
        String createdAt,
        String updatedAt,
        String expiresAt,
        Long maxClicks,
        int redirectStatus,
        boolean disabled,
        boolean passwordProtected,
        long clicks) {

    public static LinkView of(Link l, URI baseUrl) {
        return new LinkView(l.code(), baseUrl + "/" + l.code(), l.url(), l.title(), iso(l.createdAt()),
                iso(l.updatedAt()), l.expiresAt() == null ? null : iso(l.expiresAt()), l.maxClicks(),
                l.redirectStatus(), l.disabled(), l.passwordProtected(), l.clicks());
    }

    private static String iso(long millis) {
        return Instant.ofEpochMilli(millis).toString();
    }
}
