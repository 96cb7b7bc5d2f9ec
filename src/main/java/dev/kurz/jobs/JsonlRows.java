package dev.kurz.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kurz.http.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * {@code kurz-jsonl}: one JSON object per line, as the export writes them (the link API's field
 * names: code, url, title, createdAt, expiresAt, maxClicks, redirectStatus, disabled,
 * passwordProtected; other fields such as clicks are ignored). Blank lines are skipped.
 */
final class JsonlRows implements ImportFormat.RowReader {

    private final BufferedReader reader;
    private long line;

    JsonlRows(InputStream in) throws IOException {
        this.reader = new BufferedReader(new InputStreamReader(CsvRows.skipBom(in), StandardCharsets.UTF_8), 1 << 16);
    }

    @Override
    public ImportRow next() throws IOException {
        String text;
        do {
            text = reader.readLine();
            line++;
            if (text == null) {
                return null;
            }
        } while (text.isBlank());
        try {
            JsonNode n = Json.MAPPER.readTree(text);
            if (n == null || !n.isObject()) {
                return ImportRow.invalid(line, "not a JSON object");
            }
            Long maxClicks = n.path("maxClicks").isIntegralNumber() ? n.path("maxClicks").longValue() : null;
            Integer status = n.path("redirectStatus").isIntegralNumber() ? n.path("redirectStatus").intValue() : null;
            Boolean disabled = n.path("disabled").isBoolean() ? n.path("disabled").booleanValue() : null;
            return new ImportRow(line, text(n, "code"), text(n, "url"), text(n, "title"),
                    Dates.parse(text(n, "createdAt")), Dates.parse(text(n, "expiresAt")), maxClicks, status, disabled,
                    n.path("passwordProtected").asBoolean(false), null);
        } catch (JsonProcessingException e) {
            return ImportRow.invalid(line, "not valid JSON: " + e.getOriginalMessage());
        } catch (IllegalArgumentException e) {
            return ImportRow.invalid(line, e.getMessage());
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
