package dev.kurz.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.kurz.support.TestNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The health checks of the image and of compose.yaml are shell one-liners (the JRE image has no
 * curl). A typo in them would only show in a container engine, so they are run here, with bash,
 * against a real node and against a node that answers 503.
 */
class HealthCheckCommandTest {

    @TempDir
    static Path dataDir;

    private static TestNode node;
    private static HttpServer unhealthy;

    @BeforeAll
    static void start() throws IOException {
        node = TestNode.start(dataDir, Map.of());
        unhealthy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        unhealthy.createContext("/", exchange -> {
            byte[] body = "{\"status\":\"DOWN\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(503, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        unhealthy.start();
    }

    @AfterAll
    static void stop() {
        if (unhealthy != null) {
            unhealthy.stop(0);
        }
        if (node != null) {
            node.close();
        }
    }

    @Test
    void imageHealthcheckPassesAgainstARunningNode() throws Exception {
        assertThat(run(Dockerfile.load().healthcheckCommand(), node.app.port())).isZero();
    }

    @Test
    void imageHealthcheckFailsOn503AndOnAClosedPort() throws Exception {
        assertThat(run(Dockerfile.load().healthcheckCommand(), unhealthy.getAddress().getPort())).isNotZero();
        assertThat(run(Dockerfile.load().healthcheckCommand(), closedPort())).isNotZero();
    }

    @Test
    void composeNodeHealthcheckPassesOnlyWhenTheNodeIsReady() throws Exception {
        for (String name : ComposeFileTest.NODES) {
            List<String> check = composeCommand(ComposeFileTest.healthcheck(name));
            assertThat(run(check, node.app.port())).as("%s against a ready node", name).isZero();
            assertThat(run(check, unhealthy.getAddress().getPort())).as("%s against 503", name).isNotZero();
            assertThat(run(check, closedPort())).as("%s against a closed port", name).isNotZero();
        }
    }

    /** A compose healthcheck {@code test} as the command the engine runs. */
    private static List<String> composeCommand(List<String> test) {
        return switch (test.getFirst()) {
            case "CMD" -> test.subList(1, test.size());
            case "CMD-SHELL" -> List.of("/bin/sh", "-c", String.join(" ", test.subList(1, test.size())));
            default -> throw new AssertionError("unexpected healthcheck form " + test);
        };
    }

    /** Runs a health check command with {@code KURZ_PORT} set, as in the container; its exit code. */
    private static int run(List<String> command, int port) throws IOException, InterruptedException {
        var process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        process.environment().put("KURZ_PORT", Integer.toString(port));
        Process p = process.start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("health check did not finish within 10 s: " + command);
        }
        return p.exitValue();
    }

    private static int closedPort() throws IOException {
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
