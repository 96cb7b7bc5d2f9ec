package dev.kurz.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.support.TestNode;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /openapi.json} as a client gets it: a valid OpenAPI 3.1 document (swagger-parser, the
 * parser API tooling uses, with references resolved), describing exactly the routes the node
 * answers, each with schemas and its error responses.
 */
class OpenApiTest {

    @TempDir
    static Path dir;
    static TestNode node;
    static OpenAPI api;

    @BeforeAll
    static void start() {
        node = TestNode.start(dir, Map.of());
        TestNode.Response r = node.get("/openapi.json");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).isEqualTo("application/json");
        var options = new ParseOptions();
        options.setResolve(true);
        SwaggerParseResult result = new OpenAPIV3Parser().readContents(r.body(), null, options);
        assertThat(result.getMessages()).as("parser messages").isEmpty();
        api = result.getOpenAPI();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void theDocumentIsValidOpenApi31() {
        assertThat(api.getOpenapi()).isEqualTo("3.1.0");
        assertThat(api.getPaths()).isNotEmpty();
        assertThat(api.getComponents().getSecuritySchemes()).containsKey("apiKey");
    }

    @Test
    void theDocumentListsExactlyTheRoutesTheNodeAnswers() {
        Set<String> documented = new TreeSet<>();
        api.getPaths().forEach((path, item) -> operations(item).forEach((method, op) -> documented.add(method + " " + path)));
        Set<String> served = node.app.routes();
        assertThat(served).as("routes missing from openapi.yaml").isSubsetOf(documented);
        assertThat(documented).as("documented routes the node doesn't answer").isSubsetOf(served);
        assertThat(served).contains("GET /{code}", "HEAD /{code}", "POST /{code}", "GET /{code}+",
                "GET /api/v1/links/{code}/qr", "GET /metrics", "GET /openapi.json", "GET /");
    }

    @Test
    void everyOperationHasSchemasAndProblemErrors() {
        List<String> gaps = new ArrayList<>();
        api.getPaths().forEach((path, item) -> operations(item).forEach((method, op) -> {
            String name = method + " " + path;
            if (op.getOperationId() == null || op.getSummary() == null) {
                gaps.add(name + ": no operationId or summary");
            }
            if (op.getRequestBody() != null) {
                op.getRequestBody().getContent().forEach((type, media) -> {
                    if (media.getSchema() == null) {
                        gaps.add(name + ": request " + type + " has no schema");
                    }
                });
            }
            boolean problemError = false;
            for (var e : op.getResponses().entrySet()) {
                ApiResponse response = e.getValue().get$ref() == null ? e.getValue()
                        : api.getComponents().getResponses().get(e.getValue().get$ref().replace("#/components/responses/", ""));
                if (response.getContent() != null) {
                    for (var c : response.getContent().entrySet()) {
                        MediaType media = c.getValue();
                        if (media.getSchema() == null) {
                            gaps.add(name + ": response " + e.getKey() + " " + c.getKey() + " has no schema");
                        }
                        if (e.getKey().matches("[45]..") && c.getKey().equals("application/problem+json")
                                && media.getSchema() != null
                                && "#/components/schemas/Problem".equals(media.getSchema().get$ref())) {
                            problemError = true;
                        }
                    }
                }
            }
            if (!problemError && !method.equals("HEAD")) { // HEAD answers have no body
                gaps.add(name + ": no error response with a problem+json schema");
            }
        }));
        assertThat(gaps).isEmpty();
    }

    private static Map<String, Operation> operations(PathItem item) {
        var out = new java.util.LinkedHashMap<String, Operation>();
        item.readOperationsMap().forEach((method, op) -> out.put(method.name(), op));
        return out;
    }
}
