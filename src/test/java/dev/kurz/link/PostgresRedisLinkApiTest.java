package dev.kurz.link;

import dev.kurz.support.Backends;
import java.util.Map;

/** The link API suite on PostgreSQL with the Redis L2 cache and invalidation channel. */
class PostgresRedisLinkApiTest extends LinkApiSuite {
    @Override
    Map<String, String> backend() {
        return Backends.postgresRedisSettings();
    }
}
