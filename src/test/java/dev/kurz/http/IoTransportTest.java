package dev.kurz.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kurz.support.Backends;
import dev.kurz.support.TestNode;
import io.vertx.core.transport.Transport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code KURZ_IO_TRANSPORT}: each transport that loads here serves, the Redis client runs on the
 * same one, and one that cannot load stops the start.
 */
class IoTransportTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void aNamedTransportServesRedirectsOrStopsTheStartWhenItCannotLoad(String name) {
        var env = Map.of("KURZ_IO_TRANSPORT", name);
        if (!transport(name).available()) {
            assertThatThrownBy(() -> TestNode.start(dir, env)).hasMessageContaining("KURZ_IO_TRANSPORT=" + name)
                    .hasMessageContaining("cannot load here");
            return;
        }
        try (var node = TestNode.start(dir, env)) {
            assertThat(node.app.ioTransport()).isEqualTo(name);
            String code = node.create("{\"url\": \"https://example.com/over/" + name + "\"}");
            var redirect = node.get("/" + code);
            assertThat(redirect.status()).isEqualTo(302);
            assertThat(redirect.header("Location")).isEqualTo("https://example.com/over/" + name);
        }
    }

    @Test
    void autoTakesIoUringWhereItLoadsThenEpollThenNio() {
        String expected = Transport.IO_URING.available() ? "io_uring" : Transport.EPOLL.available() ? "epoll" : "nio";
        try (var node = TestNode.start(dir, Backends.postgresRedisSettings())) {
            assertThat(node.app.ioTransport()).isEqualTo(expected);
            assertThat(node.app.redisAvailable()).isTrue();
            String code = node.create("{\"url\": \"https://example.com/over/redis\"}");
            assertThat(node.get("/" + code).header("Location")).isEqualTo("https://example.com/over/redis");
        }
    }

    /**
     * Lettuce settles its transport once per process, when its classes load, so each case runs in
     * a JVM of its own ({@link LettuceTransportProbe}): this suite's JVM chose long ago.
     */
    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void theRedisClientRunsOnTheSameTransport(String name) throws Exception {
        assumeTrue(transport(name).available(), name + " does not load here");
        String javaCommand = ProcessHandle.current().info().command().orElseThrow();
        var process = new ProcessBuilder(javaCommand, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), LettuceTransportProbe.class.getName(),
                "redis://127.0.0.1:" + Backends.redisPort(), name)
                .redirectErrorStream(true).start();
        String out;
        try (var in = process.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(out).isZero();
        String channel = switch (name) {
            case "io_uring" -> "IoUringSocketChannel";
            case "epoll" -> "EpollSocketChannel";
            default -> "NioSocketChannel";
        };
        assertThat(out).contains("lettuce channel: " + channel).doesNotContain("epoll has been prioritized");
    }

    private static Transport transport(String name) {
        return switch (name) {
            case "io_uring" -> Transport.IO_URING;
            case "epoll" -> Transport.EPOLL;
            default -> Transport.NIO;
        };
    }
}
