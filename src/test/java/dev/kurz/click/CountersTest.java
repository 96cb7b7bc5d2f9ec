package dev.kurz.click;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CountersTest {

    @Test
    void drainingWhileWritersAddNeverLosesOrDuplicatesACount() throws Exception {
        var counters = new Counters<Long>();
        var drained = new AtomicLong();
        var writersDone = new AtomicBoolean();
        int writers = 4;
        long perWriter = 500_000;
        try (ExecutorService pool = Executors.newFixedThreadPool(writers + 1)) {
            var drainer = pool.submit(() -> {
                while (!writersDone.get()) {
                    counters.drain((key, n) -> drained.addAndGet(n));
                }
                counters.drain((key, n) -> drained.addAndGet(n));
            });
            var adders = new java.util.ArrayList<java.util.concurrent.Future<?>>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                // Few keys that go idle and get retired often: the racy case.
                adders.add(pool.submit(() -> {
                    for (long i = 0; i < perWriter; i++) {
                        counters.add((i + writer) % 3, 1);
                    }
                }));
            }
            for (var a : adders) {
                a.get();
            }
            writersDone.set(true);
            drainer.get();
        }
        assertThat(drained.get()).isEqualTo(writers * perWriter);
        counters.drain((key, n) -> { throw new AssertionError("nothing should be left"); });
        assertThat(counters.size()).isZero();
    }

    @Test
    void subtractRetiresACounterThatReachesZero() {
        var counters = new Counters<Long>();
        counters.add(7L, 5);
        counters.subtract(7L, 2);
        assertThat(counters.get(7L)).isEqualTo(3);
        counters.subtract(7L, 3);
        assertThat(counters.get(7L)).isZero();
        assertThat(counters.size()).isZero();
        counters.add(7L, 1);
        assertThat(counters.get(7L)).isEqualTo(1);
    }
}
