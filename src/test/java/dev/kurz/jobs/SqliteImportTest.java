package dev.kurz.jobs;

import java.nio.file.Path;
import java.util.Map;

class SqliteImportTest extends ImportSuite {
    @Override
    Map<String, String> backend(Path dataDir) {
        return Map.of("KURZ_DATA_DIR", dataDir.toString());
    }
}
