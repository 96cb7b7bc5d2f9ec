package dev.kurz.db;

import dev.kurz.db.Jdbc.SqlWork;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;

/**
 * Group commit: concurrent writes share one transaction and one durable commit.
 *
 * <p>Why: SQLite has one writer, and with {@code synchronous=FULL} every commit waits for an
 * fsync of the write-ahead log, so one transaction per write caps creates at the disk's fsync
 * rate (about 400 a second on the project's machine). Here a caller queues its work, and the
 * first caller that finds no batch in progress becomes the leader: it takes everything queued
 * (its own work and all that arrived while the previous batch was committing), runs each piece
 * under a savepoint of its own, commits once, and hands every caller its result. Batches size
 * themselves: alone, a write is a batch of one and costs what a plain transaction costs; under
 * load a batch holds what arrived during one commit, up to {@code maxBatch}.
 *
 * <p>Guarantees: {@link #run} returns only after the commit that holds its work, so an
 * acknowledged write is as durable as with a transaction of its own. A piece that throws rolls
 * back to its savepoint and fails alone; the others commit. If the batch itself fails (no
 * connection, a failed commit), every piece in it fails with that error and nothing of it was
 * applied. Pieces must not commit, roll back or change the connection's settings.
 *
 * <p>Thread-safe. Blocks on I/O: call from a virtual thread.
 */
public final class GroupCommit {

    private record Piece<T>(SqlWork<T> work, CompletableFuture<T> result) {}

    private final DataSource pool;
    private final int maxBatch;
    private final ConcurrentLinkedQueue<Piece<?>> queue = new ConcurrentLinkedQueue<>();
    private final ReentrantLock leader = new ReentrantLock();
    private final LongAdder batches = new LongAdder();
    private final LongAdder pieces = new LongAdder();

    public GroupCommit(DataSource pool, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1, was " + maxBatch);
        }
        this.pool = pool;
        this.maxBatch = maxBatch;
    }

    /** Runs {@code work} in the next batch and returns its result once that batch has committed. */
    public <T> T run(SqlWork<T> work) {
        var piece = new Piece<>(work, new CompletableFuture<T>());
        queue.add(piece);
        // Whoever holds the lock is committing a batch; when we get it, either that batch held our
        // piece (done) or we lead the next one, which holds it for sure.
        while (!piece.result().isDone()) {
            leader.lock();
            try {
                if (!piece.result().isDone()) {
                    commitQueued();
                }
            } finally {
                leader.unlock();
            }
        }
        try {
            return piece.result().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    private void commitQueued() {
        List<Piece<?>> batch = new ArrayList<>();
        for (Piece<?> p; batch.size() < maxBatch && (p = queue.poll()) != null; ) {
            batch.add(p);
        }
        batches.increment();
        pieces.add(batch.size());
        Object[] outcomes;
        try {
            outcomes = Jdbc.inTransaction(pool, c -> runEach(c, batch));
        } catch (RuntimeException e) {
            batch.forEach(p -> p.result().completeExceptionally(e));
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            complete(batch.get(i), outcomes[i]);
        }
    }

    /** Batches run so far (committed or failed). */
    public long batches() {
        return batches.sum();
    }

    /** Pieces run so far, in all batches. */
    public long pieces() {
        return pieces.sum();
    }

    /** Pieces waiting for the next batch. */
    int queued() {
        return queue.size();
    }

    /** Each piece's result, or the exception it threw (its savepoint rolled back). */
    private static Object[] runEach(Connection c, List<Piece<?>> batch) throws SQLException {
        Object[] outcomes = new Object[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            Savepoint savepoint = c.setSavepoint();
            try {
                outcomes[i] = batch.get(i).work().apply(c);
                c.releaseSavepoint(savepoint);
            } catch (SQLException | RuntimeException e) {
                c.rollback(savepoint);
                outcomes[i] = new Failed(e instanceof SQLException sql ? new StoreException(sql) : (RuntimeException) e);
            }
        }
        return outcomes;
    }

    private record Failed(RuntimeException error) {}

    @SuppressWarnings("unchecked")
    private static <T> void complete(Piece<T> piece, Object outcome) {
        if (outcome instanceof Failed failed) {
            piece.result().completeExceptionally(failed.error());
        } else {
            piece.result().complete((T) outcome);
        }
    }
}
