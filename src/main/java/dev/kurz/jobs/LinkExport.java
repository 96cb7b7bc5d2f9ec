package dev.kurz.jobs;

import static dev.kurz.db.Jdbc.nullableLong;
import static dev.kurz.db.Jdbc.withConnection;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kurz.db.Database;
import dev.kurz.http.Json;
import dev.kurz.http.Problem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * Writes links as {@code kurz-csv} or {@code kurz-jsonl}, a page at a time: keyset pagination by id
 * ({@code id > last ORDER BY id LIMIT 1000}), so an export of any size holds one page in memory and
 * each query is short. Reads go to the replica when there is one.
 *
 * <p>What is exported: code, url, title, created_at, expires_at, max_clicks, redirect_status,
 * disabled, password_protected and clicks, which is what an import needs for the same links under
 * the same codes. Password hashes are never exported (an export file travels: mail, tickets,
 * laptops, and a short link password is weak enough to crack offline); an import refuses
 * password-protected rows so that a protected target is never published without its password.
 * The owner is not exported either: an import gives the links to the key that imports them.
 */
public final class LinkExport {

    /** The two export formats. */
    public enum Format {
        CSV("text/csv; charset=utf-8", "csv"),
        JSONL("application/x-ndjson", "jsonl");

        public final String contentType;
        public final String extension;

        Format(String contentType, String extension) {
            this.contentType = contentType;
            this.extension = extension;
        }

        /** {@code csv} (the default when null) or {@code jsonl}; a 400 problem for anything else. */
        public static Format parse(String name) {
            if (name == null || name.isBlank()) {
                return CSV;
            }
            return switch (name.trim().toLowerCase(Locale.ROOT)) {
                case "csv" -> CSV;
                case "jsonl", "ndjson" -> JSONL;
                default -> throw Problem.invalid("format", "must be csv or jsonl");
            };
        }
    }

    static final int PAGE = 1000;
    static final List<String> COLUMNS = List.of("code", "url", "title", "created_at", "expires_at", "max_clicks",
            "redirect_status", "disabled", "password_protected", "clicks");
    private static final CSVFormat CSV = CSVFormat.RFC4180.builder().setRecordSeparator("\n").get();

    /** Receives each page's bytes in order; may block (it is the backpressure). */
    @FunctionalInterface
    public interface Sink {
        void write(byte[] bytes) throws IOException;
    }

    private record Row(long id, String code, String url, String title, long createdAt, Long expiresAt, Long maxClicks,
                       int redirectStatus, boolean disabled, boolean passwordProtected, long clicks) {}

    private final Database db;

    public LinkExport(Database db) {
        this.db = db;
    }

    /** Writes every link of {@code owner} (all links if null) to {@code sink}; returns the count. */
    public long write(Long owner, Format format, Sink sink) throws IOException {
        if (format == Format.CSV) {
            sink.write((String.join(",", COLUMNS) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        long after = 0;
        long count = 0;
        while (true) {
            List<Row> page = page(owner, after);
            if (page.isEmpty()) {
                return count;
            }
            sink.write(format == Format.CSV ? csv(page) : jsonl(page));
            count += page.size();
            after = page.getLast().id();
            if (page.size() < PAGE) {
                return count;
            }
        }
    }

    private List<Row> page(Long owner, long after) {
        String sql = "SELECT id, code, url, title, created_at, expires_at, max_clicks, redirect_status, disabled, "
                + "(password_hash IS NOT NULL) AS password_protected, clicks FROM links WHERE id > ?"
                + (owner == null ? "" : " AND owner_key_id = ?") + " ORDER BY id LIMIT " + PAGE;
        return withConnection(db.reader(), c -> {
            try (var ps = c.prepareStatement(sql)) {
                ps.setLong(1, after);
                if (owner != null) {
                    ps.setLong(2, owner);
                }
                var out = new ArrayList<Row>(PAGE);
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Row(rs.getLong("id"), rs.getString("code"), rs.getString("url"),
                                rs.getString("title"), rs.getLong("created_at"), nullableLong(rs, "expires_at"),
                                nullableLong(rs, "max_clicks"), rs.getInt("redirect_status"), rs.getBoolean("disabled"),
                                rs.getBoolean("password_protected"), rs.getLong("clicks")));
                    }
                }
                return out;
            }
        });
    }

    private static byte[] csv(List<Row> rows) {
        var out = new StringBuilder(rows.size() * 96);
        try (var printer = new CSVPrinter(out, CSV)) {
            for (Row r : rows) {
                printer.printRecord(r.code(), r.url(), r.title() == null ? "" : r.title(), iso(r.createdAt()),
                        r.expiresAt() == null ? "" : iso(r.expiresAt()), r.maxClicks() == null ? "" : r.maxClicks(),
                        r.redirectStatus(), r.disabled(), r.passwordProtected(), r.clicks());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] jsonl(List<Row> rows) {
        var out = new StringBuilder(rows.size() * 160);
        for (Row r : rows) {
            ObjectNode n = Json.MAPPER.createObjectNode()
                    .put("code", r.code())
                    .put("url", r.url())
                    .put("title", r.title())
                    .put("createdAt", iso(r.createdAt()))
                    .put("expiresAt", r.expiresAt() == null ? null : iso(r.expiresAt()))
                    .put("maxClicks", r.maxClicks())
                    .put("redirectStatus", r.redirectStatus())
                    .put("disabled", r.disabled())
                    .put("passwordProtected", r.passwordProtected())
                    .put("clicks", r.clicks());
            try {
                out.append(Json.MAPPER.writeValueAsString(n)).append('\n');
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String iso(long millis) {
        return Instant.ofEpochMilli(millis).toString();
    }
}
