package dev.kurz.link;

import dev.kurz.support.Backends;
import java.util.Map;

/** The link API suite on a real PostgreSQL (a fresh database per test). */
class PostgresLinkApiTest extends LinkApiSuite {
    @Override
    Map<String, String> backend() {
        return Backends.postgresSettings();
    }
}
