package dev.kurz.click;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VisitReaderTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "NULL", value = {
            "NULL | direct",
            "'' | direct",
            "https://news.ycombinator.com/item?id=1 | news.ycombinator.com",
            "https://WWW.Example.COM:8443/path#frag | www.example.com",
            "http://user:secret@example.org/ | example.org",
            "https://example.net. | example.net",
            "android-app://com.google.android.gm/ | com.google.android.gm",
            "http://[2001:db8::1]:8080/x | [2001:db8::1]",
            "https://t.co | t.co",
            "not a url | unknown",
            "https:///nohost | unknown",
            "https://bad host/ | unknown",
            "javascript:alert(1) | unknown",
            "https://ex<script>.com/ | unknown",
    })
    void theReferrerIsItsHostOnly(String referer, String host) {
        assertThat(VisitReader.referrerHost(referer)).isEqualTo(host);
    }

    @Test
    void aCountryIsTwoLettersUpperCased() {
        assertThat(VisitReader.country("DE")).isEqualTo("DE");
        assertThat(VisitReader.country("ch")).isEqualTo("CH");
        assertThat(VisitReader.country("XX")).isNull(); // Cloudflare's "unknown"
        assertThat(VisitReader.country("T1")).isNull(); // Cloudflare's Tor
        assertThat(VisitReader.country("DEU")).isNull();
        assertThat(VisitReader.country("")).isNull();
        assertThat(VisitReader.country(null)).isNull();
        assertThat(VisitReader.country("Ü1")).isNull();
    }
}
