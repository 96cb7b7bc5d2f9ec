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
        this.link = link;
        this.clicks = link != null && link.maxClicks() != null ? new AtomicLong(link.clicks()) : null;
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
