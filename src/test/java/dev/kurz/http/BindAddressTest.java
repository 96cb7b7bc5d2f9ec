package dev.kurz.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kurz.support.TestNode;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BindAddressTest {

    @TempDir
    Path dataDir;

    @Test
    void kurzHostLimitsWhereTheServerListens() throws Exception {
        try (var node = TestNode.start(dataDir, Map.of("KURZ_HOST", "127.0.0.1"))) {
            try (var ok = new Socket()) {
                ok.connect(new InetSocketAddress("127.0.0.1", node.app.port()), 2_000);
            }
            // Another loopback address of this machine: nothing listens there for kurz.
            assertThatThrownBy(() -> {
                try (var other = new Socket()) {
                    other.connect(new InetSocketAddress("127.0.0.2", node.app.port()), 2_000);
                }
            }).isInstanceOf(ConnectException.class);
            assertThat(node.get("/health/live").status()).isEqualTo(200);
        }
    }
}
