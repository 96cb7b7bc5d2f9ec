package dev.kurz.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.support.Backends;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** The worker suite on PostgreSQL, plus what needs several workers on one server. */
class PostgresWorkerTest extends WorkerSuite {

    @Override
    Map<String, String> backend(Path dataDir) {
        return Backends.postgresSettings();
    }

    @Test
    void twoWorkersTakeDisjointJobs() {
        open(Map.of());
        var ids = new ArrayList<Long>();
        for (int k = 0; k < 8; k++) {
            var file = new StringBuilder("url,alias\n");
            for (int i = 0; i < 3_000; i++) {
                file.append("https://example.com/").append(k).append('/').append(i).append(",j").append(k).append('-')
                        .append(i).append('\n');
            }
            ids.add(jobs.enqueue(ImportFormat.CSV, file.toString().getBytes()));
        }
        Worker one = jobs.worker("one").start(2);
        Worker two = jobs.worker("two").start(2);
        try {
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (!ids.stream().allMatch(id -> jobs.job(id).finished())) {
                assertThat(System.nanoTime()).as("all jobs done in time").isLessThan(deadline);
                LockSupport.parkNanos(50_000_000);
            }
        } finally {
            one.close();
            two.close();
        }
        for (long id : ids) {
            Job job = jobs.job(id);
            assertThat(job.state()).isEqualTo("done");
            assertThat(job.attempts()).as("job %d was claimed once", id).isEqualTo(1);
            assertThat(job.claimedBy()).isIn("one", "two");
            assertThat(job.imported()).isEqualTo(3_000);
        }
        assertThat(jobs.count("SELECT count(*) FROM links")).isEqualTo(24_000);
    }

    @Test
    void thePurgeRunsOncePerPeriodAcrossWorkers() throws Exception {
        open(Map.of("KURZ_PURGE_AFTER", "1d", "KURZ_PURGE_EVERY", "1h"));
        Worker one = jobs.worker("one");
        Worker two = jobs.worker("two");
        try (var pool = Executors.newFixedThreadPool(2)) {
            for (int period = 0; period < 3; period++) {
                var barrier = new CyclicBarrier(2);
                Future<Optional<Long>> a = pool.submit(() -> {
                    barrier.await();
                    return one.purgeIfDue();
                });
                Future<Optional<Long>> b = pool.submit(() -> {
                    barrier.await();
                    return two.purgeIfDue();
                });
                List<Optional<Long>> runs = List.of(a.get(), b.get());
                assertThat(runs.stream().filter(Optional::isPresent).count()).as("period %d", period).isEqualTo(1);
                assertThat(one.purgeIfDue()).isEmpty();
                assertThat(two.purgeIfDue()).isEmpty();
                jobs.clock.advance(Duration.ofHours(1));
            }
        } finally {
            one.close();
            two.close();
        }
        assertThat(jobs.count("SELECT count(*) FROM jobs WHERE kind = 'purge'")).isEqualTo(3);
        assertThat(jobs.count("SELECT count(DISTINCT period_key) FROM jobs WHERE kind = 'purge'")).isEqualTo(3);
    }
}
