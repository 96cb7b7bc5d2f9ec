package dev.kurz.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Leases, crash recovery and the purge, on each backend; time moves by the fixture's clock. */
abstract class WorkerSuite {

    @TempDir
    Path dataDir;

    JobsFixture jobs;

    abstract Map<String, String> backend(Path dataDir);

    JobsFixture open(Map<String, String> extra) {
        var env = new HashMap<>(backend(dataDir));
        env.putAll(extra);
        jobs = new JobsFixture(env);
        return jobs;
    }

    @AfterEach
    void close() {
        if (jobs != null) {
            jobs.close();
        }
    }

    /** {@code rows} links, even rows with an alias, odd rows without (those would duplicate on a bad resume). */
    static byte[] mixed(int rows) {
        var out = new StringBuilder("url,alias\n");
        for (int i = 0; i < rows; i++) {
            out.append("https://example.com/m/").append(i).append(',').append(i % 2 == 0 ? "m-" + i : "").append('\n');
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aWorkerThatDiesMidImportIsTakenOverAfterItsLeaseAndNothingIsImportedTwice() throws Exception {
        open(Map.of("KURZ_JOB_LEASE", "30s"));
        int rows = 20_000;
        long id = jobs.enqueue(ImportFormat.CSV, mixed(rows));
        var dying = new CountDownLatch(1);
        Worker a = jobs.worker("worker-a", checkpoint -> {
            if (checkpoint >= 5_000) {
                dying.countDown();
                while (!Thread.currentThread().isInterrupted()) {
                    LockSupport.park(); // hangs here until "killed"
                }
            }
        });
        Thread threadA = Thread.ofPlatform().start(a::runOnce);
        assertThat(dying.await(60, TimeUnit.SECONDS)).as("worker a got 5,000 records in").isTrue();
        // Killed: no more heartbeats, the thread stops without handing anything back.
        a.stopHeartbeat();
        threadA.interrupt();
        threadA.join(Duration.ofSeconds(30));
        assertThat(threadA.isAlive()).isFalse();

        Job orphaned = jobs.job(id);
        assertThat(orphaned.state()).isEqualTo("running");
        assertThat(orphaned.claimedBy()).isEqualTo("worker-a");
        assertThat(orphaned.checkpoint()).isEqualTo(5_000);
        assertThat(jobs.count("SELECT count(*) FROM links")).as("links match the checkpoint").isEqualTo(5_000);

        Worker b = jobs.worker("worker-b");
        try {
            assertThat(b.runOnce()).as("a's lease has not run out yet").isFalse();
            jobs.clock.advance(Duration.ofSeconds(31));
            assertThat(b.runOnce()).as("b takes the job over").isTrue();
        } finally {
            b.close();
            a.close();
        }
        Job done = jobs.job(id);
        assertThat(done.state()).isEqualTo("done");
        assertThat(done.claimedBy()).isEqualTo("worker-b");
        assertThat(done.attempts()).isEqualTo(2);
        assertThat(done.checkpoint()).isEqualTo(rows);
        assertThat(done.imported()).isEqualTo(rows);
        assertThat(done.failed()).isZero();
        assertThat(jobs.count("SELECT count(*) FROM links")).as("no duplicates").isEqualTo(rows);
        assertThat(jobs.count("SELECT count(DISTINCT url) FROM links")).isEqualTo(rows);
        assertThat(jobs.count("SELECT count(*) FROM links WHERE code LIKE 'm-%'")).isEqualTo(rows / 2);
    }

    @Test
    void aWorkerStoppedGracefullyHandsItsJobBackAtOnce() throws Exception {
        open(Map.of());
        long id = jobs.enqueue(ImportFormat.CSV, mixed(6_000));
        var reached = new CountDownLatch(1);
        var proceed = new CountDownLatch(1);
        Worker a = jobs.worker("worker-a", checkpoint -> {
            if (checkpoint == 2_000) {
                reached.countDown();
                try {
                    proceed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        a.start(1);
        assertThat(reached.await(60, TimeUnit.SECONDS)).isTrue();
        Thread closer = Thread.ofPlatform().start(a::close);
        while (closer.getState() != Thread.State.TIMED_WAITING && closer.getState() != Thread.State.WAITING) {
            Thread.onSpinWait();
        }
        proceed.countDown();
        closer.join(Duration.ofSeconds(30));
        Job handedBack = jobs.job(id);
        assertThat(handedBack.state()).isEqualTo("queued");
        assertThat(handedBack.claimedBy()).isNull();
        assertThat(handedBack.checkpoint()).isEqualTo(2_000);

        Worker b = jobs.worker("worker-b");
        try {
            assertThat(b.runOnce()).as("no lease to wait for").isTrue();
        } finally {
            b.close();
        }
        assertThat(jobs.job(id).state()).isEqualTo("done");
        assertThat(jobs.count("SELECT count(*) FROM links")).isEqualTo(6_000);
    }

    @Test
    void purgeArchivesLinksExpiredLongerThanPurgeAfterAndDeletesOldRollups() {
        open(Map.of("KURZ_PURGE_AFTER", "7d", "KURZ_STATS_RETENTION", "30d", "KURZ_PURGE_MODE", "archive"));
        long now = jobs.clock.millis();
        long day = 86_400_000L;
        insertLink(1, "long-gone", now - 8 * day);
        insertLink(2, "just-expired", now - 2 * day);
        insertLink(3, "live", now + day);
        insertLink(4, "forever", null);
        long today = now / day;
        jobs.execute("INSERT INTO click_days (link_id, day, clicks, bots, hours, dims) VALUES "
                + "(1, " + today + ", 5, 0, '{\"3\": [5, 0]}', '{\"browser\": {\"Firefox\": 5}}'), "
                + "(3, " + (today - 31) + ", 7, 0, '{\"3\": [7, 0]}', '{\"browser\": {\"Firefox\": 7}}'), "
                + "(3, " + today + ", 9, 0, '{\"3\": [9, 0]}', '{\"browser\": {\"Firefox\": 9}}')");
        jobs.execute("INSERT INTO orphan_visits (day, code, visits) VALUES (" + (today - 40) + ", 'nope', 1), (" + today
                + ", 'nope', 2)");

        Worker w = jobs.worker("w");
        try {
            assertThat(w.purgeIfDue()).isPresent();
            assertThat(w.purgeIfDue()).as("once per period").isEmpty();
        } finally {
            w.close();
        }
        assertThat(jobs.count("SELECT count(*) FROM links WHERE code = 'long-gone'")).isZero();
        assertThat(jobs.count("SELECT count(*) FROM archived_links WHERE code = 'long-gone'")).isEqualTo(1);
        assertThat(jobs.count("SELECT count(*) FROM links")).isEqualTo(3);
        assertThat(jobs.count("SELECT count(*) FROM click_days WHERE link_id = 1")).as("statistics of the purged link").isZero();
        assertThat(jobs.count("SELECT sum(clicks) FROM click_days")).as("old day gone, recent kept").isEqualTo(9);
        assertThat(jobs.count("SELECT sum(visits) FROM orphan_visits")).isEqualTo(2);
        assertThat(jobs.count("SELECT clicks FROM links WHERE code = 'live'")).as("link totals stay").isEqualTo(16);
        Job purge = jobs.store.list(null, 10).getFirst();
        assertThat(purge.kind()).isEqualTo("purge");
        assertThat(purge.state()).isEqualTo("done");
        assertThat(purge.imported()).as("links purged").isEqualTo(1);
        assertThat(purge.existing()).as("old rows deleted: a day of the live link, a day of orphans").isEqualTo(2);
    }

    @Test
    void purgeInDeleteModeDeletesAndOffDoesNothing() {
        open(Map.of("KURZ_PURGE_AFTER", "1d", "KURZ_PURGE_MODE", "delete"));
        long now = jobs.clock.millis();
        insertLink(1, "old", now - 3 * 86_400_000L);
        insertLink(2, "new", now - 3_600_000L);
        Worker w = jobs.worker("w");
        try {
            assertThat(w.purgeIfDue()).isPresent();
        } finally {
            w.close();
        }
        assertThat(jobs.count("SELECT count(*) FROM links")).isEqualTo(1);
        assertThat(jobs.count("SELECT count(*) FROM archived_links")).isZero();
        jobs.close();

        open(Map.of("KURZ_DATA_DIR", dataDir.resolve("off").toString()));
        insertLink(1, "old", now - 300 * 86_400_000L);
        Worker off = jobs.worker("w");
        try {
            assertThat(off.purgeIfDue()).as("KURZ_PURGE_AFTER and KURZ_STATS_RETENTION are off").isEmpty();
        } finally {
            off.close();
        }
        assertThat(jobs.count("SELECT count(*) FROM links")).isEqualTo(1);
    }

    private void insertLink(long id, String code, Long expiresAt) {
        jobs.execute("INSERT INTO links (code, url, owner_key_id, created_at, updated_at, expires_at, redirect_status, "
                + "disabled, clicks) VALUES ('" + code + "', 'https://example.com/" + code + "', 0, 1, 1, "
                + (expiresAt == null ? "NULL" : expiresAt) + ", 302, '0', " + (code.equals("live") ? 16 : 0) + ")");
    }
}
