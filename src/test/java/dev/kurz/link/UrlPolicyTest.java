package dev.kurz.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kurz.http.Problem;
import java.net.URI;
import java.time.Clock;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UrlPolicyTest {

    private final UrlPolicy local = new UrlPolicy(4096, Set.of("http", "https"), URI.create("http://localhost:8080"),
            new Blocklist(Optional.empty(), Clock.systemUTC()));

    @Test
    void everyNameOfThisMachineOnOurPortIsALoop() {
        for (String url : new String[] {"http://localhost:8080/x", "http://127.0.0.1:8080/x", "http://127.1.2.3:8080/x",
                "http://[::1]:8080/x", "http://LOCALHOST.:8080/x"}) {
            assertThatThrownBy(() -> local.normalize("url", url)).as(url).isInstanceOf(Problem.class)
                    .hasMessageContaining("loop");
        }
        assertThat(local.normalize("url", "http://localhost:3000/other-app")).isEqualTo("http://localhost:3000/other-app");
    }

    @Test
    void idnHostsBecomePunycodeButDeviationCharactersAreRefused() {
        assertThat(local.normalize("url", "https://Bücher.example/ä?q=ü"))
                .isEqualTo("https://xn--bcher-kva.example/%C3%A4?q=%C3%BC");
        assertThatThrownBy(() -> local.normalize("url", "https://faß.de/")).hasMessageContaining("host");
        assertThatThrownBy(() -> local.normalize("url", "https://σοφoς.gr/")).hasMessageContaining("host");
        assertThat(local.normalize("url", "https://xn--fa-hia.de/")).isEqualTo("https://xn--fa-hia.de/");
    }
}
