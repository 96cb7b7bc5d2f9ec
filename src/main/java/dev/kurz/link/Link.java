package dev.kurz.link;

/**
 * A short link as stored. Times are epoch milliseconds; {@code null} means "not set".
 *
 * @param passwordProtected whether the redirect asks for a password first; the hash itself stays
 *                          in the database (never in caches), see {@link LinkStore#passwordHash}
 *
 * @param clicks total clicks known when this value was read (flushed, plus this node's
 *               unflushed counts where the reader added them)
 */
public record Link(
        long id,
        String code,
        String url,
        String title,
        long ownerKeyId,
        long createdAt,
        long updatedAt,
        Long expiresAt,
        Long maxClicks,
        int redirectStatus,
        boolean disabled,
        boolean passwordProtected,
        long clicks) {

    /** Owner id of links created without an API key. */
    public static final long ANONYMOUS = 0;

    public boolean isExpired(long now) {
        return expiresAt != null && expiresAt <= now;
    }

    public boolean isExhausted(long totalClicks) {
        return maxClicks != null && totalClicks >= maxClicks;
    }

    public Link withClicks(long total) {
        return new Link(id, code, url, title, ownerKeyId, createdAt, updatedAt, expiresAt, maxClicks,
                redirectStatus, disabled, passwordProtected, total);
    }
}
