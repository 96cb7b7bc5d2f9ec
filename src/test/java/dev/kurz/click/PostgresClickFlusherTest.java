package dev.kurz.click;

import dev.kurz.support.Backends;
import java.util.Map;

/** The flusher's retry and bound tests on PostgreSQL, where the ledger's upsert is its own SQL path. */
class PostgresClickFlusherTest extends ClickFlusherTest {
    @Override
    Map<String, String> backend() {
        return Backends.postgresSettings();
    }
}
