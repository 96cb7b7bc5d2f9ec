package dev.kurz.link;

import dev.kurz.support.Backends;
import java.util.Map;

class PostgresBulkTest extends BulkSuite {
    @Override
    Map<String, String> backend() {
        return Backends.postgresSettings();
    }
}
