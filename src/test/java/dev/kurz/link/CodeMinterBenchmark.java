package dev.kurz.link;

import dev.kurz.config.Settings;
import dev.kurz.db.Database;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of a generated code: the keyed permutation alone (AES rounds with cycle walking, then
 * base62), and {@link CodeMinter#next} with its id blocks reserved in a real SQLite file (one
 * durable UPDATE per 1,000 codes). Run with {@code bench/jmh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CodeMinterBenchmark {

    private Path dir;
    private Database db;
    private CodeMinter minter;
    private CodePermutation permutation;
    private long id;

    @Setup(Level.Trial)
    public void start() throws Exception {
        dir = Files.createTempDirectory("kurz-jmh");
        db = Database.open(Settings.from(Map.of("KURZ_DATA_DIR", dir.toString())));
        minter = new CodeMinter(new SqlLinkStore(db), "benchmark-key-benchmark-key-0123", 1_000);
        permutation = new CodePermutation("benchmark-key-benchmark-key-0123");
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        db.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public String permutation() {
        return permutation.code(id++);
    }

    @Benchmark
    public String minterNext() {
        return minter.next();
    }
}
