package dev.kurz.click;

import java.util.Map;

/** The click statistics suite on the embedded default: a SQLite file in a temp directory. */
class SqliteClickStatsTest extends ClickStatsSuite {
    @Override
    Map<String, String> backend() {
        return Map.of();
    }
}
