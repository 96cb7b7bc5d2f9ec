package dev.kurz.redirect;

import dev.kurz.link.Link;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the L1 cache holds for a code: the link, or {@link #MISSING} for a code known not to exist
 * (the negative cache). For links with {@code maxClicks} it also holds the running click total, so
 * the limit is enforced exactly on this node without a database round trip.
 */
final class CachedLink {

    static final CachedLink MISSING = new CachedLink(null);

    final Link link;
    /** Total clicks (stored + unflushed at load time, plus clicks since); null without a limit. */
    private final AtomicLong clicks;

    CachedLink(Link link) {
        this(link, link != null && link.maxClicks() != null ? new AtomicLong(link.clicks()) : null);
    }

    private CachedLink(Link link, AtomicLong clicks) {
        this.link = link;
        this.clicks = clicks;
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
        return this == MISSING ? MISSING : new CachedLink(link, clicks);
    }

    boolean hasClickLimit() {
        return clicks != null;
    }

    /** Takes one click from the link's budget; false if the budget was already used up. */
    boolean tryClick() {
        if (clicks == null) {
            return true;
        }
        long max = link.maxClicks();
        while (true) {
            long current = clicks.get();
            if (current >= max) {
                return false;
            }
            if (clicks.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    boolean exhausted() {
        return clicks != null && clicks.get() >= link.maxClicks();
    }
}
