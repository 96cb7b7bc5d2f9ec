package dev.kurz.redirect;

import dev.kurz.link.Link;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A cache shared by all nodes, between each node's L1 and the database. Optional: without one
 * ({@link #NONE}) a node reads the database on every L1 miss.
 *
 * <p>Implementations never fail a caller: an unreachable cache is a miss.
 */
public interface L2Cache {

    /** The cached link for {@code code}, or empty on a miss or any failure. Never fails. */
    CompletableFuture<Optional<Link>> get(String code);

    /** Offers a link just read from the database; never replaces a newer entry or a tombstone. */
    void put(Link link);

    /**
     * After a committed write: drops the entry everywhere and tells every node to evict it from
     * L1. Waits at most the cache's timeout; a failure is remembered and retried on recovery.
     */
    void invalidate(String code);

    /** After a create: tells every node to drop a cached "unknown code" answer for it. */
    void announce(String code);

    /** Hits so far (for tests and metrics). */
    long hits();

    /** Lookups that found nothing usable so far (for metrics). */
    long misses();

    L2Cache NONE = new L2Cache() {
        @Override
        public CompletableFuture<Optional<Link>> get(String code) {
            return CompletableFuture.completedFuture(Optional.empty());
        }

        @Override
        public void put(Link link) {}

        @Override
        public void invalidate(String code) {}

        @Override
        public void announce(String code) {}

        @Override
        public long hits() {
            return 0;
        }

        @Override
        public long misses() {
            return 0;
        }
    };
}
