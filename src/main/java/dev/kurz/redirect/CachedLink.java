package dev.kurz.redirect;

import dev.kurz.link.Link;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the L1 cache holds for a code: what a redirect needs of its link, or {@link #MISSING} for a
 * code known not to exist (the negative cache). For links with {@code maxClicks} it also holds the
 * running click total, so the limit is enforced exactly on this node without a database round trip.
 *
 * <p>Compact on purpose: a node may hold a million of these. Only the fields the redirect reads,
 * primitives instead of boxed values, no copy of the code (the cache key has it), the click limit
 * only on links that have one, and the target as the bytes that go on the wire rather than a
 * String around them: 40 bytes plus the URL's bytes, where the full {@link Link} with its code
 * and URL String took about 170.
 */
final class CachedLink {

    private static final byte DISABLED = 1;
    private static final byte PASSWORD = 2;

    static final CachedLink MISSING = new CachedLink(0, null, Long.MAX_VALUE, (short) 0, (byte) 0, null);

    /** A click limit and the running total against it. */
    private static final class Budget extends AtomicLong {
        final long max;

        Budget(long max, long clicks) {
            super(clicks);
            this.max = max;
        }
    }

    final long id;
    /**
     * The target as ISO-8859-1 bytes: what Netty writes for a header String anyway (stored URLs
     * are ASCII, {@link dev.kurz.link.UrlPolicy} percent-encodes the rest). Null for {@link #MISSING}.
     */
    private final byte[] url;
    /** Epoch milliseconds; {@code Long.MAX_VALUE}: never. */
    private final long expiresAt;
    final short redirectStatus;
    private final byte flags;
    /** Clicks so far (stored + unflushed at load time, plus clicks since); null without a limit. */
    private final Budget clicks;

    private CachedLink(long id, byte[] url, long expiresAt, short redirectStatus, byte flags, Budget clicks) {
        this.id = id;
        this.url = url;
        this.expiresAt = expiresAt;
        this.redirectStatus = redirectStatus;
        this.flags = flags;
        this.clicks = clicks;
    }

    /** The entry for a link as read from the store or L2. */
    static CachedLink of(Link link) {
        byte flags = (byte) ((link.disabled() ? DISABLED : 0) | (link.passwordProtected() ? PASSWORD : 0));
        return new CachedLink(link.id(), link.url().getBytes(StandardCharsets.ISO_8859_1),
                link.expiresAt() == null ? Long.MAX_VALUE : link.expiresAt(), (short) link.redirectStatus(), flags,
                link.maxClicks() != null ? new Budget(link.maxClicks(), link.clicks()) : null);
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
                : new CachedLink(id, url, expiresAt, redirectStatus, flags, clicks);
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
            if (current >= clicks.max) {
                return false;
            }
            if (clicks.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    boolean exhausted() {
        return clicks != null && clicks.get() >= clicks.max;
    }
}
