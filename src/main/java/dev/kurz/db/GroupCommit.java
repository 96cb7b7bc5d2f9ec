package dev.kurz.db;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit: concurrent writes share one statement and one durable commit.
 *
 * <p>Why: a commit is what a durable write costs most. SQLite has one writer, and with {@code
 * synchronous=FULL} every commit waits for an fsync, so one transaction per write caps creates at
 * the disk's fsync rate (about 400 a second on the project's machine). On PostgreSQL a create in a
 * transaction of its own spent more of the server's CPU on its statement's round and its commit's
 * WAL flush than on its row ({@code bench/create-pg} in docs/BENCHMARKS.md). Here a caller queues
 * its input, and the first caller that finds no batch in progress becomes the leader: it takes
 * everything queued (its own input and all that arrived while the previous batch was committing),
 * writes it with one call of the {@link BatchWrite} (for links, one multi-row {@code INSERT}), and
 * hands every caller its output. Batches size themselves: alone, a write is a batch of one and
 * costs what it always did; under load a batch holds what arrived during one commit, up to {@code
 * maxBatch}.
 *
 * <p>Guarantees: {@link #run} returns only after the commit that holds its input, so an
 * acknowledged write is as durable as with a transaction of its own. If the database refuses a
 * batch's data (a constraint, a value that does not fit), nothing of it was written, and each input
 * is written again in a batch of its own, so the bad one fails alone and the others commit. Any
 * other failure (the database unreachable, a commit whose outcome is unknown) fails every input of
 * the batch with it, at once: writing them again could write some twice, and waiting for a dead
 * database once per input would hold every caller that long.
 *
 * <p>Thread-safe. Blocks on I/O: call from a virtual thread.
 *
 * @param <I> what a caller writes
 * @param <O> what it gets back
 */
public final class GroupCommit<I, O> {

    /** Writes a batch in one commit. */
    @FunctionalInterface
    public interface BatchWrite<I, O> {
        /**
         * Writes {@code inputs} all or nothing and returns once they are committed.
         *
         * @return one output per input, in the same order
         */
        List<O> write(List<I> inputs);
    }

    private record Piece<I, O>(I input, CompletableFuture<O> result) {}

    private final int maxBatch;
    private final BatchWrite<I, O> write;
    private final ConcurrentLinkedQueue<Piece<I, O>> queue = new ConcurrentLinkedQueue<>();
    private final ReentrantLock leader = new ReentrantLock();
    private final LongAdder batches = new LongAdder();
    private final LongAdder pieces = new LongAdder();

    public GroupCommit(int maxBatch, BatchWrite<I, O> write) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1, was " + maxBatch);
        }
        this.maxBatch = maxBatch;
        this.write = write;
    }

    /** Writes {@code input} in the next batch and returns its output once that batch has committed. */
    public O run(I input) {
        var piece = new Piece<I, O>(input, new CompletableFuture<>());
        queue.add(piece);
        // Whoever holds the lock is committing a batch; when we get it, either that batch held our
        // piece (done) or we lead the next one, which holds it unless maxBatch pieces were queued
        // ahead of it (then we go round again).
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
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    private void commitQueued() {
        List<Piece<I, O>> batch = new ArrayList<>();
        for (Piece<I, O> p; batch.size() < maxBatch && (p = queue.poll()) != null; ) {
            batch.add(p);
        }
        if (batch.isEmpty()) {
            return;
        }
        try {
            write(batch);
        } catch (Throwable t) {
            // An Error (or a bug) must not leave a caller waiting for a batch that is over.
            fail(batch, t);
            throw t;
        }
    }

    private void write(List<Piece<I, O>> batch) {
        try {
            complete(batch, writeBatch(batch));
            return;
        } catch (RuntimeException e) {
            if (batch.size() == 1 || !Jdbc.isRefusedData(e)) {
                fail(batch, e);
                return;
            }
        }
        // The database refused a row of it, so nothing was written: find the bad ones.
        for (Piece<I, O> p : batch) {
            try {
                complete(List.of(p), writeBatch(List.of(p)));
            } catch (RuntimeException e) {
                if (!Jdbc.isRefusedData(e)) { // the database went away meanwhile: stop here
                    fail(batch, e);
                    return;
                }
                p.result().completeExceptionally(e);
            }
        }
    }

    /** Fails the pieces of {@code batch} that have no outcome yet. */
    private static <I, O> void fail(List<Piece<I, O>> batch, Throwable error) {
        batch.forEach(p -> p.result().completeExceptionally(error));
    }

    private List<O> writeBatch(List<Piece<I, O>> batch) {
        batches.increment();
        pieces.add(batch.size());
        List<O> outputs = write.write(batch.stream().map(Piece::input).toList());
        if (outputs.size() != batch.size()) {
            throw new IllegalStateException(outputs.size() + " outputs for a batch of " + batch.size());
        }
        return outputs;
    }

    private static <I, O> void complete(List<Piece<I, O>> batch, List<O> outputs) {
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).result().complete(outputs.get(i));
        }
    }

    /** Batches written so far (committed or failed; a failed batch's inputs written again alone count again). */
    public long batches() {
        return batches.sum();
    }

    /** Inputs written so far, in all batches. */
    public long pieces() {
        return pieces.sum();
    }

    /** Inputs waiting for the next batch. */
    int queued() {
        return queue.size();
    }
}
