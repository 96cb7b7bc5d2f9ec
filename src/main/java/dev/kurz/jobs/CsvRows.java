package dev.kurz.jobs;

import dev.kurz.jobs.ImportFormat.ImportException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * The CSV formats, read with Commons CSV (RFC 4180: quoted fields, doubled quotes, line breaks
 * inside quotes) as a stream. Each record becomes an {@link ImportRow}; a value that can't be read
 * (a bad date, a non-number) makes that row an error and leaves the others alone.
 */
final class CsvRows implements ImportFormat.RowReader {

    private static final CSVFormat FORMAT = CSVFormat.RFC4180.builder().setIgnoreEmptyLines(true).get();
    private static final List<String> YOURLS_COLUMNS = List.of("keyword", "url", "title", "timestamp", "ip", "clicks");

    private final ImportFormat format;
    private final CSVParser parser;
    private final Iterator<CSVRecord> records;
    private final Map<String, Integer> columns;
    private CSVRecord pending; // a first record that turned out to be data (headerless YOURLS)

    private CsvRows(ImportFormat format, CSVParser parser, Map<String, Integer> columns, CSVRecord pending) {
        this.format = format;
        this.parser = parser;
        this.records = parser.iterator();
        this.columns = columns;
        this.pending = pending;
    }

    static CsvRows open(ImportFormat format, InputStream in) throws IOException {
        var reader = new InputStreamReader(skipBom(in), StandardCharsets.UTF_8);
        CSVParser parser = CSVParser.builder().setReader(reader).setFormat(FORMAT).get();
        Iterator<CSVRecord> it = parser.iterator();
        CSVRecord first = nextOrNull(it);
        if (first == null) {
            return new CsvRows(format, parser, Map.of(), null);
        }
        Map<String, Integer> header = new HashMap<>();
        for (int i = 0; i < first.size(); i++) {
            header.putIfAbsent(normalize(first.get(i)), i);
        }
        if (format == ImportFormat.YOURLS_CSV && !header.containsKey("keyword")) {
            // A table export without a header row: columns in yourls_url's order.
            Map<String, Integer> positional = new HashMap<>();
            for (int i = 0; i < YOURLS_COLUMNS.size(); i++) {
                positional.put(YOURLS_COLUMNS.get(i), i);
            }
            return new CsvRows(format, parser, positional, first);
        }
        String required = switch (format) {
            case KURZ_CSV, CSV, YOURLS_CSV -> "url";
            case BITLY_CSV -> header.containsKey("longurl") ? "longurl" : "destinationurl";
            case SHLINK_CSV -> "longurl";
            default -> throw new IllegalStateException(format.id());
        };
        if (!header.containsKey(required)) {
            throw new ImportException("the first line must be a header naming a '" + required + "' column for format "
                    + format.id() + "; it has: " + String.join(", ", first.toList()));
        }
        return new CsvRows(format, parser, header, null);
    }

    @Override
    public ImportRow next() throws IOException {
        CSVRecord record;
        long line;
        if (pending != null) {
            record = pending;
            pending = null;
            line = 1;
        } else {
            line = parser.getCurrentLineNumber() + 1;
            try {
                record = nextOrNull(records);
            } catch (UncheckedIOException e) {
                throw new ImportException("line " + line + ": the CSV can't be read on from here (" + e.getCause().getMessage() + ")");
            }
            if (record == null) {
                return null;
            }
        }
        try {
            return map(line, record);
        } catch (IllegalArgumentException e) {
            return ImportRow.invalid(line, e.getMessage());
        }
    }

    private ImportRow map(long line, CSVRecord r) {
        return switch (format) {
            case KURZ_CSV -> new ImportRow(line, get(r, "code"), get(r, "url"), get(r, "title"),
                    date(r, "createdat"), date(r, "expiresat"), number(r, "maxclicks"),
                    number(r, "redirectstatus") == null ? null : number(r, "redirectstatus").intValue(),
                    bool(r, "disabled"), Boolean.TRUE.equals(bool(r, "passwordprotected")), null);
            case CSV -> ImportRow.link(line, first(r, "alias", "code"), get(r, "url"), get(r, "title"),
                    date(r, "created", "createdat"), date(r, "expires", "expiresat"));
            case YOURLS_CSV -> ImportRow.link(line, get(r, "keyword"), get(r, "url"), get(r, "title"),
                    yourlsDate(get(r, "timestamp")), null);
            case BITLY_CSV -> ImportRow.link(line, bitlyCode(r), first(r, "longurl", "destinationurl"), get(r, "title"),
                    date(r, "datecreated", "createdat", "created", "creationdate"), null);
            case SHLINK_CSV -> ImportRow.link(line, shlinkCode(r), get(r, "longurl"), get(r, "title"),
                    date(r, "createdat", "datecreated"), null);
            default -> throw new IllegalStateException(format.id());
        };
    }

    /** YOURLS keeps "0000-00-00 00:00:00" for links whose time it never knew. */
    static Long yourlsDate(String timestamp) {
        return timestamp == null || timestamp.startsWith("0000-") ? null : Dates.parse(timestamp);
    }

    /** The back-half of the branded "Custom Link" if there is one, else of the bit.ly link. */
    private String bitlyCode(CSVRecord r) {
        String custom = get(r, "customlink");
        return pathOf(custom != null ? custom : first(r, "link", "bitlink", "id"));
    }

    private String shlinkCode(CSVRecord r) {
        String code = get(r, "shortcode");
        return code != null ? code : pathOf(get(r, "shorturl"));
    }

    /** "https://bit.ly/3abc" and "bit.ly/3abc" are code "3abc"; null stays null. */
    static String pathOf(String link) {
        if (link == null) {
            return null;
        }
        String s = link.contains("://") ? link : "https://" + link;
        try {
            String path = URI.create(s).getRawPath();
            if (path == null || path.length() < 2) {
                throw new IllegalArgumentException("'" + Dates.abbreviate(link) + "' has no short code in its path");
            }
            return path.substring(1);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().contains("short code")) {
                throw e;
            }
            throw new IllegalArgumentException("'" + Dates.abbreviate(link) + "' is not a short link");
        }
    }

    private String first(CSVRecord r, String... names) {
        for (String n : names) {
            String v = get(r, n);
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    /** The trimmed value of column {@code name}; null if the column is absent or the value blank. */
    private String get(CSVRecord r, String name) {
        Integer i = columns.get(name);
        if (i == null || i >= r.size()) {
            return null;
        }
        String v = r.get(i).strip();
        return v.isEmpty() ? null : v;
    }

    private Long date(CSVRecord r, String... names) {
        return Dates.parse(first(r, names));
    }

    private Long number(CSVRecord r, String name) {
        String v = get(r, name);
        if (v == null) {
            return null;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": '" + Dates.abbreviate(v) + "' is not a whole number");
        }
    }

    private Boolean bool(CSVRecord r, String name) {
        String v = get(r, name);
        if (v == null) {
            return null;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new IllegalArgumentException(name + ": '" + Dates.abbreviate(v) + "' is not true or false");
        };
    }

    /** Header names compare without case, spaces, '_' or '-'. */
    static String normalize(String header) {
        var out = new StringBuilder(header.length());
        for (int i = 0; i < header.length(); i++) {
            char ch = Character.toLowerCase(header.charAt(i));
            if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
                out.append(ch);
            }
        }
        return out.toString();
    }

    private static CSVRecord nextOrNull(Iterator<CSVRecord> it) {
        return it.hasNext() ? it.next() : null;
    }

    /** Spreadsheet exports (Bitly's among them) often start with a UTF-8 byte order mark. */
    static InputStream skipBom(InputStream in) throws IOException {
        var buffered = new BufferedInputStream(in, 1 << 16);
        buffered.mark(3);
        if (!(buffered.read() == 0xEF && buffered.read() == 0xBB && buffered.read() == 0xBF)) {
            buffered.reset();
        }
        return buffered;
    }

    @Override
    public void close() throws IOException {
        parser.close();
    }
}
