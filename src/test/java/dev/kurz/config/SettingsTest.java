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
        assertThat(s.dataDir()).isEqualTo(Path.of("./data"));
        assertThat(s.baseUrl().toString()).isEqualTo("http://localhost:8080");
        assertThat(s.clickFlushInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.maxBodyBytes()).isEqualTo(16 * 1024);
        assertThat(s.maxUrlLength()).isEqualTo(4096);
        assertThat(s.cacheL1Ttl()).isEqualTo(Duration.ofSeconds(60));
        assertThat(s.allowedSchemes()).containsExactlyInAnyOrder("http", "https");
        assertThat(s.blocklistFile()).isEmpty();
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
        assertThatThrownBy(() -> Settings.from(Map.of("KURZ_LOG_LEVEL", "LOUD")))
                .hasMessageContaining("KURZ_LOG_LEVEL");
        assertThatThrownBy(() -> Settings.from(Map.of("KURZ_CLICK_FLUSH_MS", "0")))
                .hasMessageContaining("KURZ_CLICK_FLUSH_MS");
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
