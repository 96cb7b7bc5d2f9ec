package dev.kurz.click;

import dev.kurz.support.Backends;
import java.util.Map;

/** The click statistics suite on PostgreSQL (a fresh database per node). */
class PostgresClickStatsTest extends ClickStatsSuite {
    @Override
    Map<String, String> backend() {
        return Backends.postgresSettings();
    }
}
