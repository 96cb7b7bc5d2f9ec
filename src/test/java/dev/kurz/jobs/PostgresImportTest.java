package dev.kurz.jobs;

import dev.kurz.support.Backends;
import java.nio.file.Path;
import java.util.Map;

class PostgresImportTest extends ImportSuite {
    @Override
    Map<String, String> backend(Path dataDir) {
        return Backends.postgresSettings();
    }
}
