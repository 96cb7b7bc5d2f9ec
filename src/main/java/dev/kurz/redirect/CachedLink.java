package dev.kurz.redirect;

import dev.kurz.link.Link;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the L1 cache holds for a code: what a redirect needs of its link, or {@link #MISSING} for a
 * code known not to exist (the negative cache). For links with {@code maxClicks} it also holds the
 * running click total, so the limit is enforced exactly on this node without a database round trip.
 *
 * <p>Compact on purpose: a node may hold a million of these. Only the fields the redirect reads,
 * primitives instead of boxed values, and no copy of the code (the cache key has it): 48 bytes
 * plus the URL, where the full {@link Link} with its code took about 130.
 */
final class CachedLink {

    private static final byte DISABLED = 1;
    private static final byte PASSWORD = 2;

    static final CachedLink MISSING = new CachedLink(0, null, Long.MAX_VALUE, Long.MAX_VALUE, (short) 0, (byte) 0, null);

    final long id;
    /** The target; null only for {@link #MISSING}. */
    final String url;
    /** Epoch milliseconds; {@code Long.MAX_VALUE}: never. */
    private final long expiresAt;
    private final long maxClicks;
    final short redirectStatus;
    private final byte flags;
    /** Total clicks (stored + unflushed at load time, plus clicks since); null without a limit. */
    private final AtomicLong clicks;

    private CachedLink(long id, String url, long expiresAt, long maxClicks, short redirectStatus, byte flags,
                       AtomicLong clicks) {
        this.id = id;
        this.url = url;
        this.expiresAt = expiresAt;
        this.maxClicks = maxClicks;
        this.redirectStatus = redirectStatus;
        this.flags = flags;
        this.clicks = clicks;
    }

    /** The entry for a link as read from the store or L2. */
    static CachedLink of(Link link) {
        byte flags = (byte) ((link.disabled() ? DISABLED : 0) | (link.passwordProtected() ? PASSWORD : 0));
        return new CachedLink(link.id(), link.url(), link.expiresAt() == null ? Long.MAX_VALUE : link.expiresAt(),
                link.maxClicks() == null ? Long.MAX_VALUE : link.maxClicks(), (short) link.redirectStatus(), flags,
                link.maxClicks() != null ? new AtomicLong(link.clicks()) : null);
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
        return expiresAt <= now;
    }

    boolean expires() {
        return expiresAt != Long.MAX_VALUE;
    }

    long expiresAt() {
        return expiresAt;
    }

    /**
     * A fresh entry that keeps counting where {@code previous} left off: clicks taken on the old
     * entry while the new one was loading must not be forgotten, so the budget never goes back.
     */
    CachedLink continuing(CachedLink previous) {
        if (clicks != null && previous.clicks != null) {
            clicks.accumulateAndGet(previous.clicks.get(), Math::max);
        }
        return this;
    }

    /** The same link as a new entry (resets its cache timers), sharing the click budget. */
    CachedLink renewed() {
        return this == MISSING ? MISSING
                : new CachedLink(id, url, expiresAt, maxClicks, redirectStatus, flags, clicks);
    }

    boolean hasClickLimit() {
        return clicks != null;
    }

    /** Takes one click from the link's budget; false if the budget was already used up. */
    boolean tryClick() {
        if (clicks == null) {
            return true;
        }
        while (true) {
            long current = clicks.get();
            if (current >= maxClicks) {
                return false;
            }
            if (clicks.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    boolean exhausted() {
        return clicks != null && clicks.get() >= maxClicks;
    }
}
