package dev.kurz.link;

import java.util.Map;

/** The link API suite on the embedded default: a SQLite file in a temp directory. */
class SqliteLinkApiTest extends LinkApiSuite {
    @Override
    Map<String, String> backend() {
        return Map.of();
    }
}
