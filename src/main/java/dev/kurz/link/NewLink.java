package dev.kurz.link;

/**
 * A validated link about to be inserted. {@code dedupKey} is null when repeats must not find it;
 * {@code passwordHash} is null for a link without a password.
 */
public record NewLink(
        String code,
        String url,
        String dedupKey,
        long ownerKeyId,
        String title,
        long createdAt,
        Long expiresAt,
        Long maxClicks,
        int redirectStatus,
        String passwordHash) {}
