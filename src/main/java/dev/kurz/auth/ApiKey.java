package dev.kurz.auth;

/**
 * An API key as stored, without its secret (only a hash of that is kept, and never leaves
 * {@link ApiKeys}). Times are epoch milliseconds.
 *
 * @param revokedAt when the key was revoked, or null while it is valid
 */
public record ApiKey(long id, String name, Role role, long createdAt, Long revokedAt) {

    public boolean isRevoked() {
        return revokedAt != null;
    }
}
