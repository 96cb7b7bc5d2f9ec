package dev.kurz.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Group commit on a real SQLite file with one writer connection, as the node uses it. */
class GroupCommitTest {

    @TempDir
    Path dir;
    HikariDataSource pool;
    ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    @BeforeEach
    void openDatabase() {
        var config = new HikariConfig();
        config.setJdbcUrl("jdbc:sqlite:" + dir.resolve("g.db"));
        config.setMaximumPoolSize(1);
        config.addDataSourceProperty("journal_mode", "WAL");
        config.addDataSourceProperty("synchronous", "FULL");
        pool = new HikariDataSource(config);
        Jdbc.inTransaction(pool, c -> c.createStatement().execute("CREATE TABLE t (v INTEGER NOT NULL UNIQUE)"));
    }

    @AfterEach
    void close() {
        threads.close();
        pool.close();
    }

    @Test
    void writesThatArriveDuringACommitShareTheNextOne() throws Exception {
        var group = new GroupCommit(pool, 256);
        var insideFirst = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        Future<Integer> first = threads.submit(() -> group.run(c -> {
            insideFirst.countDown();
            await(release);
            return insert(c, 0);
        }));
        insideFirst.await();
        List<Future<Integer>> later = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            int v = i;
            later.add(threads.submit(() -> group.run(c -> insert(c, v))));
        }
        awaitQueued(group, 20);
        release.countDown();

        assertThat(first.get()).isEqualTo(1);
        for (Future<Integer> f : later) {
            assertThat(f.get()).isEqualTo(1);
        }
        assertThat(group.batches()).isEqualTo(2);
        assertThat(group.pieces()).isEqualTo(21);
        assertThat(count()).isEqualTo(21);
    }

    @Test
    void aFailingWriteFailsAloneAndTheRestOfItsBatchCommits() throws Exception {
        var group = new GroupCommit(pool, 256);
        group.run(c -> insert(c, 7));
        var insideFirst = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        Future<Integer> first = threads.submit(() -> group.run(c -> {
            insideFirst.countDown();
            await(release);
            return insert(c, 100);
        }));
        insideFirst.await();
        Future<Integer> before = threads.submit(() -> group.run(c -> insert(c, 101)));
        awaitQueued(group, 1);
        Future<Integer> duplicate = threads.submit(() -> group.run(c -> insert(c, 102) + insert(c, 7)));
        awaitQueued(group, 2);
        Future<Integer> after = threads.submit(() -> group.run(c -> insert(c, 103)));
        awaitQueued(group, 3);
        release.countDown();

        assertThat(first.get()).isEqualTo(1);
        assertThat(before.get()).isEqualTo(1);
        assertThat(after.get()).isEqualTo(1);
        assertThatThrownBy(duplicate::get).hasCauseInstanceOf(StoreException.class);
        // 102 was written by the failing piece before it failed: rolled back with it.
        assertThat(values()).containsExactly(7, 100, 101, 103);
        assertThat(group.batches()).isEqualTo(3);
    }

    @Test
    void aBatchIsNeverLargerThanItsLimit() throws Exception {
        var group = new GroupCommit(pool, 4);
        List<Future<Integer>> all = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int v = i;
            all.add(threads.submit(() -> group.run(c -> insert(c, v))));
        }
        for (Future<Integer> f : all) {
            assertThat(f.get()).isEqualTo(1);
        }
        assertThat(count()).isEqualTo(200);
        assertThat(group.batches()).isGreaterThanOrEqualTo(50);
    }

    private static int insert(java.sql.Connection c, int v) throws SQLException {
        try (var ps = c.prepareStatement("INSERT INTO t (v) VALUES (?)")) {
            ps.setInt(1, v);
            return ps.executeUpdate();
        }
    }

    private int count() {
        return values().size();
    }

    private List<Integer> values() {
        return Jdbc.withConnection(pool, c -> {
            var out = new ArrayList<Integer>();
            try (var rs = c.createStatement().executeQuery("SELECT v FROM t ORDER BY v")) {
                while (rs.next()) {
                    out.add(rs.getInt(1));
                }
            }
            return out;
        });
    }

    private static void awaitQueued(GroupCommit group, int n) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (group.queued() < n) {
            assertThat(System.nanoTime()).as("pieces queued in time").isLessThan(deadline);
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
