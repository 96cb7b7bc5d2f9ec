package dev.kurz.link;

import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Where links live. One implementation per storage engine family ({@link SqlLinkStore} covers
 * SQLite and PostgreSQL). Every method may block on I/O: call from a virtual thread.
 *
 * <p>Failures reaching the database surface as {@link dev.kurz.db.StoreException}.
 */
public interface LinkStore {

    /**
     * The link, read where reads are cheapest: the replica if there is one (falling back to the
     * primary when the replica lacks the code). May be slightly behind the primary.
     */
    Optional<Link> findByCode(String code);

    /** The link as the primary has it now: for reads right after a change, and for exact counts. */
    Optional<Link> findByCodeOnPrimary(String code);

    /** The link a repeat of the same create request by the same owner should return. */
    Optional<Link> findByDedupKey(long ownerKeyId, String dedupKey);

    /**
     * Inserts the link, or returns empty if its code or its (owner, dedup key) already exists.
     * Never overwrites.
     */
    Optional<Link> insert(NewLink link);

    /**
     * Applies {@code change} to the current row and writes the result in one transaction.
     * Returns the updated link, or empty if no link has that code.
     */
    Optional<Link> update(String code, UnaryOperator<Link> change);

    /**
     * Like {@link #update}, and also sets the link's password hash ({@code null} removes the
     * password) in the same transaction.
     */
    Optional<Link> update(String code, UnaryOperator<Link> change, String passwordHash);

    /** The password hash of the link, if it has one. */
    Optional<String> passwordHash(String code);

    /** Deletes the link and its click statistics; false if no link has that code. */
    boolean delete(String code);

    /**
     * Links with id below {@code beforeId} (all if null), newest first; only those owned by
     * {@code ownerKeyId} unless it is null, and only those whose code, URL or title contains
     * {@code search} (ignoring ASCII case) unless it is null.
     */
    List<Link> newestFirst(Long ownerKeyId, Long beforeId, String search, int limit);

    /**
     * Reserves {@code count} consecutive ids for generated codes and returns the first.
     * Atomic across nodes: two callers never get overlapping blocks.
     */
    long reserveIds(int count);
}
