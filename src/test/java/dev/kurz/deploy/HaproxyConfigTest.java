package dev.kurz.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * deploy/haproxy/haproxy.cfg and compose.yaml describe one stack: the config's defaults must name
 * the Compose services and ports. (haproxy -c and the real-process checks run in scripts/cluster-test.)
 */
class HaproxyConfigTest {

    private static final Path CFG = Path.of("deploy/haproxy/haproxy.cfg");

    @Test
    void defaultsNameTheComposeServicesAndPorts() throws Exception {
        String cfg = Files.readString(CFG);
        String compose = Files.readString(Path.of("compose.yaml"));
        for (int i = 1; i <= 3; i++) {
            assertThat(cfg).contains("\"${KURZ_NODE" + i + "-kurz-" + i + ":8080}\"");
            assertThat(compose).containsPattern("(?m)^  kurz-" + i + ":");
        }
        assertThat(cfg).contains("bind \"${KURZ_LB_BIND-:8080}\"");
        assertThat(compose).contains("\"8080:8080\"");
        assertThat(compose).contains("./deploy/haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro");
    }

    @Test
    void redirectsHashAndRetryWhileTheApiOnlyRetriesUnsentRequests() throws Exception {
        String cfg = Files.readString(CFG);
        String redirects = section(cfg, "backend kurz_redirects");
        String api = section(cfg, "backend kurz_api");
        assertThat(redirects).contains("balance uri").contains("hash-type consistent")
                .contains("retry-on all-retryable-errors").contains("option redispatch");
        assertThat(api).contains("balance leastconn").contains("retry-on conn-failure")
                .doesNotContain("all-retryable-errors");
        // Only safe methods reach the backend that replays requests.
        assertThat(cfg).contains("acl read_method method GET HEAD")
                .contains("use_backend kurz_redirects if read_method !api_path");
        // Balancers check /health/serving, never the database-dependent /health/ready.
        assertThat(redirects).contains("option httpchk GET /health/serving");
        assertThat(api).contains("option httpchk GET /health/serving");
        assertThat(cfg).doesNotContain("/health/ready");
    }

    private static String section(String cfg, String header) {
        var m = Pattern.compile("(?ms)^" + Pattern.quote(header) + "\\n(.*?)(?=^\\S|\\z)").matcher(cfg);
        assertThat(m.find()).as("section %s", header).isTrue();
        return m.group(1);
    }
}
