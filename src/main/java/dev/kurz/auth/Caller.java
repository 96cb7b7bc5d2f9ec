package dev.kurz.auth;

/**
 * Who sent an API request: an API key (its id and role) or nobody ({@link #ANONYMOUS}).
 *
 * @param keyId the key's id, which is also the {@code owner_key_id} of the links it creates;
 *              0 for no key (the owner id of anonymous links)
 * @param role  the key's role; null for anonymous callers
 */
public record Caller(long keyId, Role role) {

    /** The owner id of links created without a key. */
    public static final long NO_KEY = 0;

    public static final Caller ANONYMOUS = new Caller(NO_KEY, null);

    public Caller {
        if ((keyId == NO_KEY) != (role == null)) {
            throw new IllegalArgumentException("a caller has a key and a role, or neither: " + keyId + "/" + role);
        }
    }

    public boolean isAnonymous() {
        return role == null;
    }

    public boolean isAdmin() {
        return role == Role.ADMIN;
    }

    /** Whether this caller manages links owned by {@code ownerKeyId}: admins all, users their own, anonymous none. */
    public boolean manages(long ownerKeyId) {
        return isAdmin() || (!isAnonymous() && ownerKeyId == keyId);
    }
}
