package dev.kurz.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        Settings s = Settings.from(Map.of());
        assertThat(s.port()).isEqualTo(8080);
        assertThat(s.dataDir()).isEqualTo(Path.of("data"));
        assertThat(s.usesPostgres()).isFalse();
        assertThat(s.redisUrl()).isEmpty();
        assertThat(s.baseUrl().toString()).isEqualTo("http://localhost:8080");
        assertThat(s.clickFlushInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.maxBodyBytes()).isEqualTo(16 * 1024);
        assertThat(s.maxUrlLength()).isEqualTo(4096);
        assertThat(s.cacheL1Ttl()).isEqualTo(Duration.ofSeconds(60));
        assertThat(s.allowedSchemes()).containsExactlyInAnyOrder("http", "https");
        assertThat(s.blocklistFile()).isEmpty();
        assertThat(s.ioTransport()).isEqualTo("auto");
    }

    @Test
    void aBadValueStopsTheStartNamingTheVariable() {
        assertThatThrownBy(() -> Settings.from(Map.of("KURZ_PORT", "eighty")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("KURZ_PORT").hasMessageContaining("eighty");
        assertThatThrownBy(() -> Settings.from(Map.of("KURZ_PORT", "70000"))).hasMessageContaining("KURZ_PORT");
        assertThatThrownBy(() -> Settings.from(Map.of("KURZ_CACHE_L1_TTL", "10 parsecs")))
                .hasMessageContaining("KURZ_CACHE_L1_TTL");
        assertThatThrownBy(() -> Settings.from(Map.of("KURZ_BASE_URL", "ftp://x")))
                .hasMessageContaining("KURZ_BASE_URL");
        assertThatThrownBy(() -> Settings.from(Map.of("KURZ_ALLOWED_SCHEMES", "http,javascript")))
                .hasMessageContaining("KURZ_ALLOWED_SCHEMES");
        assertThatThrownBy(() -> Settings.from(Map.of("KURZ_IO_TRANSPORT", "kqueue")))
                .hasMessageContaining("KURZ_IO_TRANSPORT").hasMessageContaining("io_uring");
        assertThatThrownBy(() -> Settings.from(Map.of("KURZ_LOG_LEVEL", "LOUD")))
                .hasMessageContaining("KURZ_LOG_LEVEL");
        assertThatThrownBy(() -> Settings.from(Map.of("KURZ_CLICK_FLUSH_MS", "0")))
                .hasMessageContaining("KURZ_CLICK_FLUSH_MS");
        assertThatThrownBy(() -> Settings.from(Map.of("KURZ_DB_URL", "jdbc:mysql://db/kurz")))
                .hasMessageContaining("KURZ_DB_URL");
        assertThatThrownBy(() -> Settings.from(Map.of("KURZ_DB_READ_URL", "jdbc:postgresql://replica/kurz")))
                .hasMessageContaining("KURZ_DB_READ_URL");
        assertThatThrownBy(() -> Settings.from(Map.of("KURZ_REDIS_URL", "http://user:secret@cache")))
                .hasMessageContaining("KURZ_REDIS_URL").hasMessageNotContaining("secret");
        assertThatThrownBy(() -> Settings.from(Map.of("KURZ_DB_PASSWORD_FILE", "/nonexistent/secret")))
                .hasMessageContaining("KURZ_DB_PASSWORD_FILE");
    }

    @Test
    void thePasswordFileWinsAndThePasswordNeverShowsInToString(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path secret = dir.resolve("pw");
        Files.writeString(secret, "s3cret\n");
        Settings s = Settings.from(Map.of("KURZ_DB_URL", "jdbc:postgresql://db/kurz", "KURZ_DB_PASSWORD", "other",
                "KURZ_DB_PASSWORD_FILE", secret.toString(), "KURZ_REDIS_URL", "redis://:hunter2@cache:6379"));
        assertThat(s.dbPassword()).isEqualTo("s3cret");
        assertThat(s.toString()).doesNotContain("s3cret").doesNotContain("hunter2");
    }

    @Test
    void durationsAcceptTheUsualUnits() {
        assertThat(Settings.from(Map.of("KURZ_CACHE_L1_TTL", "500ms")).cacheL1Ttl()).isEqualTo(Duration.ofMillis(500));
        assertThat(Settings.from(Map.of("KURZ_CACHE_L1_TTL", "5m")).cacheL1Ttl()).isEqualTo(Duration.ofMinutes(5));
        assertThat(Settings.from(Map.of("KURZ_BASE_URL", "https://s.example.com/")).baseUrl().toString())
                .isEqualTo("https://s.example.com");
    }

    @Test
    void readmeListsEverySettingWithItsDefault() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        for (Setting s : Setting.ALL) {
            String row = "| `" + s.name() + "` | " + (s.defaultValue().isEmpty() ? "—" : "`" + s.defaultValue() + "`");
            assertThat(readme).as("README row for %s", s.name()).contains(row);
        }
    }
}
