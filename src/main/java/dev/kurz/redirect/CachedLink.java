package dev.kurz.redirect;

import dev.kurz.link.Link;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the L1 cache holds for a code: what a redirect needs of its link, or {@link #MISSING} for a
 * code known not to exist (the negative cache). For links with {@code maxClicks} it also refers to
 * the link's running click count (one per link, shared with the entries before it, see
 * {@link LinkCache}), so the limit is enforced exactly on this node without a database round trip.
 *
 * <p>Compact on purpose: a node may hold a million of these. Only the fields the redirect reads,
 * primitives instead of boxed values, no copy of the code (the cache key has it), the target as
 * the bytes that go on the wire rather than a String around them, and what few links have (an
 * expiry, a click limit) in an object of its own: 32 bytes plus the URL's bytes, where the full
 * {@link Link} with its code and URL String took about 170.
 */
final class CachedLink {

    private static final byte DISABLED = 1;
    private static final byte PASSWORD = 2;

    static final CachedLink MISSING = new CachedLink(0, null, (short) 0, (byte) 0, null);

    /** An expiry, a click limit or both. */
    private static final class Limits {
        /** Epoch milliseconds; {@code Long.MAX_VALUE}: never. */
        final long expiresAt;
        final long maxClicks;
        /**
         * The link's clicks as this node knows them, against {@link #maxClicks}; null without a
         * click limit. One per link, shared by the entries that replace one another ({@link LinkCache}).
         */
        final AtomicLong clicks;

        Limits(long expiresAt, Long maxClicks, AtomicLong clicks) {
            this.expiresAt = expiresAt;
            this.maxClicks = maxClicks != null ? maxClicks : Long.MAX_VALUE;
            this.clicks = clicks;
        }
    }

    final long id;
    /**
     * The target as ISO-8859-1 bytes: what Netty writes for a header String anyway (stored URLs
     * are ASCII, {@link dev.kurz.link.UrlPolicy} percent-encodes the rest). Null for {@link #MISSING}.
     */
    private final byte[] url;
    final short redirectStatus;
    private final byte flags;
    /** Null for a link that neither expires nor has a click limit (most of them). */
    private final Limits limits;

    private CachedLink(long id, byte[] url, short redirectStatus, byte flags, Limits limits) {
        this.id = id;
        this.url = url;
        this.redirectStatus = redirectStatus;
        this.flags = flags;
        this.limits = limits;
    }

    /**
     * The entry for a link as read from the store or L2. {@code clicks} is the link's running
     * click count if it has a click limit, null otherwise.
     */
    static CachedLink of(Link link, AtomicLong clicks) {
        if ((link.maxClicks() != null) != (clicks != null)) {
            throw new IllegalArgumentException("a click count goes with a click limit, and only with one");
        }
        byte flags = (byte) ((link.disabled() ? DISABLED : 0) | (link.passwordProtected() ? PASSWORD : 0));
        Limits limits = link.expiresAt() == null && link.maxClicks() == null ? null
                : new Limits(link.expiresAt() == null ? Long.MAX_VALUE : link.expiresAt(), link.maxClicks(), clicks);
        return new CachedLink(link.id(), link.url().getBytes(StandardCharsets.ISO_8859_1),
                (short) link.redirectStatus(), flags, limits);
    }

    /** The Location header value: a view of the stored bytes (32 bytes, nothing copied). */
    CharSequence location() {
        return new AsciiString(url, false);
    }

    /** The target URL as a String. */
    String url() {
        return new String(url, StandardCharsets.ISO_8859_1);
    }

    boolean exists() {
        return this != MISSING;
    }

    boolean disabled() {
        return (flags & DISABLED) != 0;
    }

    boolean passwordProtected() {
        return (flags & PASSWORD) != 0;
    }

    boolean isExpired(long now) {
        return expiresAt() <= now;
    }

    boolean expires() {
        return expiresAt() != Long.MAX_VALUE;
    }

    /** Epoch milliseconds; {@code Long.MAX_VALUE}: never. */
    long expiresAt() {
        return limits == null ? Long.MAX_VALUE : limits.expiresAt;
    }

    /** The same link as a new entry (resets its cache timers), sharing the click count. */
    CachedLink renewed() {
        return this == MISSING ? MISSING : new CachedLink(id, url, redirectStatus, flags, limits);
    }

    boolean hasClickLimit() {
        return limits != null && limits.clicks != null;
    }

    /** Takes one click from the link's budget; false if the budget was already used up. */
    boolean tryClick() {
        if (!hasClickLimit()) {
            return true;
        }
        AtomicLong clicks = limits.clicks;
        while (true) {
            long current = clicks.get();
            if (current >= limits.maxClicks) {
                return false;
            }
            if (clicks.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    boolean exhausted() {
        return hasClickLimit() && limits.clicks.get() >= limits.maxClicks;
    }
}
