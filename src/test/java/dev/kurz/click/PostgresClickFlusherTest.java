package dev.kurz.click;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.support.Backends;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** The flusher's retry and bound tests on PostgreSQL, where the ledger's upsert is its own SQL path. */
class PostgresClickFlusherTest extends ClickFlusherTest {
    @Override
    Map<String, String> backend() {
        return Backends.postgresSettings();
    }

    private long stat(String column) {
        return count("SELECT " + column + " FROM pg_stat_user_tables WHERE relname = 'links'");
    }

    /**
     * A fold touches the links that were clicked, found by key: it never reads the whole catalogue.
     * Given thousands of ids, PostgreSQL's planner would rather scan every row of {@code links}
     * (a sequential scan, or a hash join over every row), which made each fold cost in
     * proportion to the number of links. The database's table statistics tell which it did.
     */
    @Test
    void aFoldFindsItsLinksByKeyAndReadsNoOthers() {
        FaultyStore store = store();
        sql("INSERT INTO links (code, url, created_at, updated_at) "
                + "SELECT 'g' || g, 'https://example.com/' || g, 0, 0 FROM generate_series(1, 20000) g");
        sql("ANALYZE links");
        ClickRecorder recorder = start(store, Map.of());
        int clicked = 10_000;
        for (long id = 1; id <= clicked; id++) {
            click(recorder, id, 1, CHROME, "a.example");
        }

        flusher.flushNow();
        flusher.abandon();
        db.close(); // a backend reports its table statistics for sure when it ends

        // Wait for the fold's statistics: its backend reports them as it ends, its updates with them.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (stat("n_tup_upd") < clicked) {
            assertThat(System.nanoTime()).as("the fold's table statistics reported in time").isLessThan(deadline);
            LockSupport.parkNanos(50_000_000);
        }
        assertThat(stat("seq_tup_read")).as("rows of links read by scanning the table").isZero();
        assertThat(stat("idx_tup_fetch")).as("one look-up per link, which locks it and adds to its total")
                .isEqualTo(clicked);
        assertThat(count("SELECT sum(clicks) FROM links")).isEqualTo(clicked); // a scan, so only now
    }
}
