package dev.kurz.link;

import java.util.Map;

class SqliteBulkTest extends BulkSuite {
    @Override
    Map<String, String> backend() {
        return Map.of();
    }
}
