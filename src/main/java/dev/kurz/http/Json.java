package dev.kurz.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;

/** kurz's one JSON configuration: strict on input, plain on output. */
public final class Json {

    private Json() {}

    /** Deeper nesting than this is refused; no kurz request needs more than two levels. */
    static final int MAX_DEPTH = 16;
    private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");

    public static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_DEPTH)
                            .maxStringLength(1 << 20)
                            .maxNumberLength(32)
                            .build())
                    .build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .build();

    /** Parses a request body, or throws a 400 {@link Problem} saying what is wrong with it. */
    public static JsonNode parse(Buffer body) {
        if (body == null || body.length() == 0) {
            throw Problem.badJson("the request body is empty; send a JSON object");
        }
        byte[] bytes = body.getBytes();
        try {
            // Jackson decodes some malformed UTF-8 (overlong forms such as C0 AF for '/') instead of
            // refusing it; JSON between systems must be UTF-8 (RFC 8259), so check it strictly first.
            StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes));
        } catch (CharacterCodingException e) {
            throw Problem.badJson("the request body is not valid UTF-8");
        }
        try {
            JsonNode node = MAPPER.readTree(bytes);
            if (node == null || node.isMissingNode()) {
                throw Problem.badJson("the request body is empty; send a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw Problem.badJson("the request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw Problem.badJson("the request body could not be read");
        }
    }

    /** Ends the response with {@code value} as JSON. */
    public static void send(HttpServerResponse response, int status, Object value) {
        try {
            byte[] bytes = MAPPER.writeValueAsBytes(value);
            response.setStatusCode(status)
                    .putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON)
                    .end(Buffer.buffer(bytes));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }
}
