package dev.kurz.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Group commit on a real SQLite file with one writer connection, as the node uses it: each batch one multi-row INSERT. */
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
        config.setConnectionTimeout(250);
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

    /** Inserts each value as a row of {@code t}, all in one statement; value 0 first waits for {@code release}. */
    private List<Integer> insertAll(List<Integer> values) {
        if (values.contains(0)) {
            insideFirst.countDown();
            await(release);
        }
        return Jdbc.inAutoCommit(pool, c -> {
            String rows = String.join(", ", java.util.Collections.nCopies(values.size(), "(?)"));
            try (var ps = c.prepareStatement("INSERT INTO t (v) VALUES " + rows)) {
                for (int i = 0; i < values.size(); i++) {
                    ps.setInt(i + 1, values.get(i));
                }
                ps.executeUpdate();
            }
            return values.stream().map(v -> -v).toList();
        });
    }

    final CountDownLatch insideFirst = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    /** Starts writing 0, whose batch stays open until {@code release}; returns once it is inside. */
    private Future<Integer> openFirstBatch(GroupCommit<Integer, Integer> group) throws InterruptedException {
        Future<Integer> first = threads.submit(() -> group.run(0));
        insideFirst.await();
        return first;
    }

    /** Queues {@code values} behind the open batch, in this order. */
    private List<Future<Integer>> queueBehind(GroupCommit<Integer, Integer> group, int... values)
            throws InterruptedException {
        List<Future<Integer>> queued = new ArrayList<>();
        for (int v : values) {
            queued.add(threads.submit(() -> group.run(v)));
            awaitQueued(group, queued.size());
        }
        return queued;
    }

    @Test
    void writesThatArriveDuringACommitShareTheNextOne() throws Exception {
        var group = new GroupCommit<Integer, Integer>(256, this::insertAll);
        Future<Integer> first = openFirstBatch(group);
        List<Future<Integer>> later = queueBehind(group, IntStream.rangeClosed(1, 20).toArray());
        release.countDown();

        assertThat(first.get()).isEqualTo(0);
        for (int i = 1; i <= 20; i++) {
            assertThat(later.get(i - 1).get()).as("each caller gets its own output").isEqualTo(-i);
        }
        assertThat(group.batches()).isEqualTo(2);
        assertThat(group.pieces()).isEqualTo(21);
        assertThat(count()).isEqualTo(21);
    }

    @Test
    void aRowTheDatabaseRefusesFailsAloneAndTheRestOfItsBatchCommits() throws Exception {
        var group = new GroupCommit<Integer, Integer>(256, this::insertAll);
        group.run(7);
        Future<Integer> first = openFirstBatch(group);
        List<Future<Integer>> queued = queueBehind(group, 101, 7, 103);
        Future<Integer> before = queued.get(0);
        Future<Integer> duplicate = queued.get(1);
        Future<Integer> after = queued.get(2);
        release.countDown();

        assertThat(first.get()).isEqualTo(0);
        assertThat(before.get()).isEqualTo(-101);
        assertThat(after.get()).isEqualTo(-103);
        assertThatThrownBy(duplicate::get).hasCauseInstanceOf(StoreException.class);
        assertThat(values()).containsExactly(0, 7, 101, 103);
        // 7, then 0, then the batch of three that failed, then each of the three alone.
        assertThat(group.batches()).isEqualTo(6);
    }

    @Test
    void whenTheDatabaseCannotBeReachedEveryWriteInTheBatchFailsAtOnceWithoutBeingWrittenAgainAlone() throws Exception {
        var group = new GroupCommit<Integer, Integer>(256, this::insertAll);
        Future<Integer> first = openFirstBatch(group);
        List<Future<Integer>> later = queueBehind(group, 1, 2, 3, 4, 5);
        try (var held = pool.getConnection()) { // the pool's only connection: the batches time out waiting
            release.countDown();
            assertThatThrownBy(first::get).hasCauseInstanceOf(StoreException.class);
            for (Future<Integer> f : later) {
                assertThatThrownBy(f::get).hasCauseInstanceOf(StoreException.class)
                        .cause().hasCauseInstanceOf(SQLTransientConnectionException.class);
            }
        }
        assertThat(Jdbc.isRefusedData((StoreException) catchThrowable(() -> later.get(0).get()).getCause())).isFalse();
        assertThat(group.batches()).as("the batch of five was not tried again one by one").isEqualTo(2);
        assertThat(count()).isZero();
        assertThat(group.run(9)).as("works again once a connection is free").isEqualTo(-9);
    }

    @Test
    void whenTheDatabaseGoesAwayWhileABatchIsWrittenAgainOneByOneTheRestFailAtOnce() throws Exception {
        var sevenAlone = new CountDownLatch(1);
        var connectionHeld = new CountDownLatch(1);
        var group = new GroupCommit<Integer, Integer>(256, values -> {
            if (values.equals(List.of(7))) {
                sevenAlone.countDown();
                await(connectionHeld);
            }
            return insertAll(values);
        });
        insertAll(List.of(42, 7)); // 7 exists: the batch below is refused
        Future<Integer> first = openFirstBatch(group);
        List<Future<Integer>> queued = queueBehind(group, 101, 7, 103);
        Future<Integer> before = queued.get(0);
        Future<Integer> duplicate = queued.get(1);
        Future<Integer> after = queued.get(2);
        release.countDown();
        sevenAlone.await();
        try (var held = pool.getConnection()) { // the pool's only connection: 7's write times out
            connectionHeld.countDown();
            assertThatThrownBy(duplicate::get).cause().cause().isInstanceOf(SQLTransientConnectionException.class);
            assertThatThrownBy(after::get).cause().cause().isInstanceOf(SQLTransientConnectionException.class);
        }
        assertThat(first.get()).isZero();
        assertThat(before.get()).isEqualTo(-101);
        // 0; the refused batch; 101 alone; 7 alone, which found no connection: 103 was not tried.
        assertThat(group.batches()).isEqualTo(4);
        assertThat(values()).containsExactly(0, 7, 42, 101);
    }

    @Test
    void anErrorInTheWriteFailsEveryCallerOfItsBatchInsteadOfLeavingThemWaiting() throws Exception {
        var group = new GroupCommit<Integer, Integer>(256, values -> {
            if (values.size() > 1) {
                throw new AssertionError("a bug in the batch write");
            }
            return insertAll(values);
        });
        Future<Integer> first = openFirstBatch(group);
        List<Future<Integer>> later = queueBehind(group, 1, 2, 3, 4, 5);
        release.countDown();

        assertThat(first.get()).isZero();
        for (Future<Integer> f : later) {
            assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(AssertionError.class);
        }
        assertThat(group.run(9)).as("the next batch is written").isEqualTo(-9);
        assertThat(values()).containsExactly(0, 9);
    }

    @Test
    void aBatchIsNeverLargerThanItsLimit() throws Exception {
        release.countDown();
        var largest = new java.util.concurrent.atomic.AtomicInteger();
        var group = new GroupCommit<Integer, Integer>(4, values -> {
            largest.accumulateAndGet(values.size(), Math::max);
            return insertAll(values);
        });
        List<Future<Integer>> all = new ArrayList<>();
        for (int i = 1; i <= 200; i++) {
            int v = i;
            all.add(threads.submit(() -> group.run(v)));
        }
        for (Future<Integer> f : all) {
            assertThat(f.get()).isNegative();
        }
        assertThat(count()).isEqualTo(200);
        assertThat(largest.get()).isBetween(1, 4);
        assertThat(group.batches()).isGreaterThanOrEqualTo(50);
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

    private static void awaitQueued(GroupCommit<?, ?> group, int n) throws InterruptedException {
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
