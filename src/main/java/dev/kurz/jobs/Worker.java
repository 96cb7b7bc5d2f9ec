package dev.kurz.jobs;

import dev.kurz.config.Settings;
import dev.kurz.link.CodeMinter;
import dev.kurz.link.UrlPolicy;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker role: runs import jobs and the periodic purge. Any number of workers (processes, or
 * the worker inside {@code kurz serve}) may run against one database; they coordinate only through
 * it (see {@link JobStore} for claiming, {@link Importer} for checkpoints, {@link Purger} for
 * once-per-period runs).
 *
 * <p>Each of {@code KURZ_WORKER_THREADS} loops claims the oldest claimable import, runs it, and
 * polls again after {@link #POLL} when there is none. A heartbeat renews the leases this worker
 * holds every third of {@code KURZ_JOB_LEASE}; every committed batch renews its job's lease too.
 * If the heartbeat finds a lease gone (the worker stalled past it and another one took over), the
 * job's loop stops at its next batch, which would be refused anyway.
 *
 * <p>Stopping: {@link #close} lets each running import finish its batch, then hands the job back
 * (queued, no lease) so another worker takes it at once. A killed process hands nothing back: its
 * jobs wait for their leases to run out, then resume from their checkpoints.
 */
public final class Worker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Worker.class);
    static final Duration POLL = Duration.ofSeconds(1);

    private final String id;
    private final JobStore store;
    private final Importer importer;
    private final Purger purger;
    private final Duration lease;
    private final LongConsumer afterBatch;
    private final Set<Long> held = ConcurrentHashMap.newKeySet();
    private final Set<Long> lost = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService heartbeat;
    private final List<Thread> loops = new ArrayList<>();
    private volatile boolean stopping;

    /**
     * A worker named {@code id} (unique per process; see {@link #newId}). {@code afterBatch} is
     * told each committed checkpoint, on the job's thread (progress displays; tests).
     */
    public Worker(String id, JobStore store, Settings settings, UrlPolicy urls, CodeMinter minter, LongConsumer afterBatch) {
        this.id = id;
        this.store = store;
        this.lease = settings.jobLease();
        this.importer = new Importer(store, urls, minter, store.clock(), lease);
        this.purger = new Purger(store, settings);
        this.afterBatch = afterBatch;
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("kurz-heartbeat-" + id).factory());
        long every = Math.max(50, lease.toMillis() / 3);
        heartbeat.scheduleWithFixedDelay(this::renewLeases, every, every, TimeUnit.MILLISECONDS);
    }

    /** A worker id that names the host and process, for {@code claimed_by} and logs. */
    public static String newId() {
        return ManagementFactory.getRuntimeMXBean().getName() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public String id() {
        return id;
    }

    /** Starts {@code threads} job loops (plus the purge schedule) in the background. */
    public Worker start(int threads) {
        for (int i = 0; i < threads; i++) {
            Thread t = Thread.ofPlatform().daemon().name("kurz-worker-" + i).start(this::loop);
            loops.add(t);
        }
        log.info("worker {} started: {} job threads, lease {}", id, threads, lease);
        return this;
    }

    private void loop() {
        while (!stopping && !Thread.currentThread().isInterrupted()) {
            boolean worked = false;
            try {
                purger.runIfDue(id);
                worked = runOnce();
            } catch (RuntimeException e) {
                log.warn("worker {}: {}; retrying in {}", id, e.getMessage(), POLL);
            }
            if (!worked) {
                LockSupport.parkNanos(POLL.toNanos());
            }
        }
    }

    /** Claims the oldest claimable import and runs it on this thread; false if there was none. */
    public boolean runOnce() {
        Optional<Job> job = store.claimNext(id, lease);
        job.ifPresent(this::run);
        return job.isPresent();
    }

    /** Runs import {@code jobId} on this thread if it can be claimed now; false if not. */
    public boolean runJob(long jobId) {
        Optional<Job> job = store.claim(jobId, id, lease);
        job.ifPresent(this::run);
        return job.isPresent();
    }

    /** Runs this period's purge now if no worker has yet (tests; the loops call it on their own). */
    public Optional<Long> purgeIfDue() {
        return purger.runIfDue(id);
    }

    private void run(Job job) {
        held.add(job.id());
        lost.remove(job.id());
        log.info("worker {}: running import job {} ({}) from record {}", id, job.id(), job.format(), job.checkpoint());
        Importer.Outcome outcome;
        try {
            outcome = importer.run(job, id, () -> stopping || lost.contains(job.id()), afterBatch);
        } catch (RuntimeException e) {
            // The database failed or a bug: keep the lease, so the job resumes (here or elsewhere)
            // once it has run out; after MAX_ATTEMPTS such stops it is given up.
            held.remove(job.id());
            throw e;
        }
        if (outcome == Importer.Outcome.STOPPED && stopping && !Thread.currentThread().isInterrupted()) {
            store.release(job.id(), id);
            log.info("worker {}: handed import job {} back", id, job.id());
        }
        if (!Thread.currentThread().isInterrupted()) {
            held.remove(job.id());
        }
    }

    private void renewLeases() {
        try {
            var ids = List.copyOf(held);
            List<Long> kept = store.renew(ids, id, lease);
            for (Long jobId : ids) {
                if (!kept.contains(jobId) && held.contains(jobId)) {
                    lost.add(jobId);
                }
            }
        } catch (RuntimeException e) {
            log.warn("worker {}: lease renewal failed: {}", id, e.getMessage());
        }
    }

    /** Graceful stop: running imports finish their batch and are handed back. */
    @Override
    public void close() {
        stopping = true;
        for (Thread t : loops) {
            try {
                t.join(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        heartbeat.shutdownNow();
    }

    /**
     * Stops like a killed process: the heartbeat stops and the job threads are interrupted without
     * handing anything back, so their jobs wait for their leases to run out. A test seam.
     */
    public void crash() {
        heartbeat.shutdownNow();
        loops.forEach(Thread::interrupt);
    }

    /** Stops renewing leases, as a crashed process would (tests crash job threads of their own). */
    public void stopHeartbeat() {
        heartbeat.shutdownNow();
    }

    /** Used by {@code kurz serve} and {@code kurz worker}. */
    public static Worker create(JobStore store, Settings settings, UrlPolicy urls, CodeMinter minter) {
        return new Worker(newId(), store, settings, urls, minter, checkpoint -> {});
    }
}
