package dev.kurz.http;

import dev.kurz.config.Settings;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts one HTTP server per event loop, all on the same port (Vert.x spreads connections over
 * them), so every core serves requests. Each request goes to the {@code handler} built by the
 * composition root: the redirect fast path or the router.
 */
public final class WebServer {

    private final List<HttpServer> servers;

    private WebServer(List<HttpServer> servers) {
        this.servers = servers;
    }

    public static WebServer start(Vertx vertx, Settings settings, int instances, Handler<HttpServerRequest> handler) {
        // listen(port) alone would bind 0.0.0.0 whatever the options say: always pass the host.
        var options = new HttpServerOptions()
                .setHost(settings.host())
                .setMaxInitialLineLength(settings.maxUrlLength() + 1024)
                .setMaxHeaderSize(16 * 1024)
                .setDecompressionSupported(false)
                .setCompressionSupported(false)
                // No WebSockets here: without these Vert.x leaves the WebSocket extension
                // handler out of every connection's pipeline (one less hop per request).
                .setPerMessageWebSocketCompressionSupported(false)
                .setPerFrameWebSocketCompressionSupported(false)
                .setIdleTimeout(120);
        var servers = new ArrayList<HttpServer>();
        // Servers on the same port share its socket; for "any free port" Vert.x shares one random
        // port among all servers that ask for the same negative port number.
        int port = settings.port() == 0 ? -1 : settings.port();
        for (int i = 0; i < instances; i++) {
            servers.add(vertx.createHttpServer(options).requestHandler(handler).listen(port, settings.host())
                    .toCompletionStage().toCompletableFuture().join());
        }
        return new WebServer(servers);
    }

    public int port() {
        return servers.getFirst().actualPort();
    }

    /** Stops accepting connections, lets in-flight requests finish within {@code grace}, then closes. */
    public void shutdown(java.time.Duration grace) {
        Future.all(servers.stream().map(s -> s.shutdown(grace)).toList())
                .toCompletionStage().toCompletableFuture().join();
    }
}
