package dev.kurz.link;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Hands out generated codes. Ids come from blocks reserved in the database (one UPDATE per
 * {@code blockSize} codes, atomic across nodes), then go through {@link CodePermutation}.
 *
 * <p>Failure modes: a node that dies wastes the rest of its block (codes are sparse anyway, never
 * reused). If the database is down when a block runs out, {@link #next()} throws
 * {@link dev.kurz.db.StoreException} and no code is handed out.
 *
 * <p>Thread-safe. Blocks while reserving a block: call from a virtual thread.
 */
public final class CodeMinter {

    private final LinkStore store;
    private final CodePermutation permutation;
    private final int blockSize;
    private final ReentrantLock lock = new ReentrantLock();
    private long next;
    private long end;

    public CodeMinter(LinkStore store, String key, int blockSize) {
        this.store = store;
        this.permutation = new CodePermutation(key);
        this.blockSize = blockSize;
    }

    /** A code no other call, on this node or another, has returned or will return. */
    public String next() {
        lock.lock();
        try {
            if (next == end) {
                next = store.reserveIds(blockSize);
                end = next + blockSize;
            }
            return permutation.code(next++);
        } finally {
            lock.unlock();
        }
    }
}
