package dev.kurz.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /openapi.json}: the API's OpenAPI 3.1 description. It is written by hand as
 * {@code openapi.yaml} (readable in review) and served as JSON, converted once at start.
 * {@code OpenApiTest} keeps it true: every route the node answers is in it and nothing else is.
 */
public final class OpenApi {

    private final Buffer json;

    public OpenApi() {
        try (InputStream in = OpenApi.class.getClassLoader().getResourceAsStream("openapi.yaml")) {
            if (in == null) {
                throw new IllegalStateException("missing resource openapi.yaml");
            }
            JsonNode document = new YAMLMapper().readTree(in);
            this.json = Buffer.buffer(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(document));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void mount(Router router) {
        router.get("/openapi.json").handler(ctx -> ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                .putHeader("Access-Control-Allow-Origin", "*") // API tools in the browser may read it
                .putHeader("X-Content-Type-Options", "nosniff")
                .end(json));
    }
}
