package dev.kurz.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The settings of click statistics: KURZ_CLICK_MAX_PENDING, KURZ_COUNTRY_HEADER, KURZ_STATS_MAX_RANGE. */
class ClickSettingsTest {

    @Test
    void defaultsKeepABoundNoCountryAndAYearAndABit() {
        Settings s = Settings.from(Map.of());
        assertThat(s.clickMaxPending()).isEqualTo(100_000);
        assertThat(s.countryHeader()).isEmpty();
        assertThat(s.statsMaxRange()).isEqualTo(Duration.ofDays(400));
    }

    @Test
    void goodValuesAreTaken() {
        Settings s = Settings.from(Map.of("KURZ_CLICK_MAX_PENDING", "5000", "KURZ_COUNTRY_HEADER", "CF-IPCountry",
                "KURZ_STATS_MAX_RANGE", "90d"));
        assertThat(s.clickMaxPending()).isEqualTo(5000);
        assertThat(s.countryHeader()).contains("CF-IPCountry");
        assertThat(s.statsMaxRange()).isEqualTo(Duration.ofDays(90));
    }

    @Test
    void badValuesStopTheStartNamingTheVariable() {
        assertThatThrownBy(() -> Settings.from(Map.of("KURZ_CLICK_MAX_PENDING", "0")))
                .hasMessageContaining("KURZ_CLICK_MAX_PENDING");
        assertThatThrownBy(() -> Settings.from(Map.of("KURZ_COUNTRY_HEADER", "CF IPCountry")))
                .hasMessageContaining("KURZ_COUNTRY_HEADER").hasMessageContaining("CF IPCountry");
        assertThatThrownBy(() -> Settings.from(Map.of("KURZ_COUNTRY_HEADER", "X-Country:\r\nEvil")))
                .hasMessageContaining("KURZ_COUNTRY_HEADER");
        assertThatThrownBy(() -> Settings.from(Map.of("KURZ_STATS_MAX_RANGE", "1h")))
                .hasMessageContaining("KURZ_STATS_MAX_RANGE");
    }
}
