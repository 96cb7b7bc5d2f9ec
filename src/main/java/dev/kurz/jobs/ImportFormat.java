package dev.kurz.jobs;

import dev.kurz.http.Problem;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The files kurz imports, and where each one's layout comes from. CSV headers are matched by name,
 * ignoring case, spaces, '_' and '-' ("Long URL" = "long_url" = "longUrl"), so column order and
 * extra columns don't matter.
 *
 * <ul>
 *   <li>{@code kurz-csv}, {@code kurz-jsonl}: what {@code GET /api/v1/links/export} and
 *       {@code kurz export} write (columns/fields: code, url, title, created_at, expires_at,
 *       max_clicks, redirect_status, disabled, password_protected, clicks).</li>
 *   <li>{@code csv}: a generic CSV with a header naming {@code url} (required) and optionally
 *       {@code alias}, {@code title}, {@code created}, {@code expires}.</li>
 *   <li>{@code yourls-csv}, {@code yourls-sql}: YOURLS's {@code yourls_url} table (columns
 *       keyword, url, title, timestamp, ip, clicks; see YOURLS's includes/functions-install.php),
 *       as a CSV export of that table (with or without a header row; without one the columns are in
 *       table order) or as the {@code INSERT INTO `yourls_url` ...} statements of a mysqldump or
 *       phpMyAdmin SQL export. YOURLS itself has no export button; these are the two ways its
 *       documentation and plugins move the table.</li>
 *   <li>{@code bitly-csv}: Bitly's "Export" of links (web app), whose columns include "Link",
 *       "Custom Link" and "Destination URL" (as described by migration guides such as URLR's), plus
 *       "Title" and a creation date where present; Bitly's API field names (link, long_url, title,
 *       created_at) are accepted too. The code kept is the branded "Custom Link"'s back-half if
 *       the row has one, else the bit.ly link's.</li>
 *   <li>{@code shlink-csv}: the CSV that Shlink's web client exports ({@code short_urls.csv}:
 *       createdAt, domain, shortCode, shortUrl, longUrl, title, tags, visits; older versions lack
 *       domain and shortCode, so the code is taken from shortUrl's path), and the CSV that
 *       {@code shlink short-url:import csv} reads (Long URL, Short code, Domain, Title, Tags).</li>
 * </ul>
 * Kutt offers no CSV export that we could find documented (its API lists links as JSON), so there
 * is no Kutt format: we don't guess one.
 */
public enum ImportFormat {
    KURZ_CSV("kurz-csv"),
    KURZ_JSONL("kurz-jsonl"),
    CSV("csv"),
    YOURLS_CSV("yourls-csv"),
    YOURLS_SQL("yourls-sql"),
    BITLY_CSV("bitly-csv"),
    SHLINK_CSV("shlink-csv");

    private final String id;

    ImportFormat(String id) {
        this.id = id;
    }

    /** The name used in {@code ?format=} and {@code --format}. */
    public String id() {
        return id;
    }

    /** The format named {@code id}, or a 400 problem listing the known ones. */
    public static ImportFormat parse(String id) {
        String wanted = id == null ? "" : id.trim().toLowerCase(Locale.ROOT);
        for (ImportFormat f : values()) {
            if (f.id.equals(wanted)) {
                return f;
            }
        }
        throw Problem.invalid("format", (id == null || id.isBlank() ? "is required" : "'" + id + "' is not a known format")
                + "; one of " + names() + " (Kutt has no documented CSV export)");
    }

    public static String names() {
        return Arrays.stream(values()).map(ImportFormat::id).collect(Collectors.joining(", "));
    }

    /**
     * Reads records from {@code in}. Throws {@link ImportException} when the file as a whole can't
     * be read in this format (e.g. a required column is missing).
     */
    RowReader open(InputStream in) throws IOException {
        return switch (this) {
            case KURZ_JSONL -> new JsonlRows(in);
            case YOURLS_SQL -> new YourlsSqlRows(in);
            default -> CsvRows.open(this, in);
        };
    }

    /** A source of input records, read one at a time. */
    interface RowReader extends AutoCloseable {
        /** The next record, or null at the end of the input. */
        ImportRow next() throws IOException;

        @Override
        void close() throws IOException;
    }

    /** The input can't be imported at all in the chosen format. */
    static final class ImportException extends RuntimeException {
        ImportException(String message) {
            super(message);
        }
    }
}
