package dev.kurz.jobs;

import dev.kurz.jobs.ImportFormat.ImportException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PushbackReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code yourls-sql}: the {@code INSERT INTO `yourls_url` (...) VALUES (...), (...);} statements
 * of a mysqldump or phpMyAdmin export, read as a stream. Inserts into other tables (yourls_log,
 * yourls_options, any table whose name doesn't end in {@code url}) and every other statement are
 * skipped. MySQL string literals are understood with their backslash escapes and doubled quotes.
 * Each row tuple is one record; its line is the line of its opening parenthesis.
 */
final class YourlsSqlRows implements ImportFormat.RowReader {

    private static final List<String> TABLE_ORDER = List.of("keyword", "url", "title", "timestamp", "ip", "clicks");

    private final PushbackReader in;
    private long line = 1;
    private List<String> columns; // non-null while inside the VALUES of a yourls_url insert

    YourlsSqlRows(InputStream stream) throws IOException {
        this.in = new PushbackReader(new InputStreamReader(CsvRows.skipBom(stream), StandardCharsets.UTF_8), 2);
    }

    @Override
    public ImportRow next() throws IOException {
        while (true) {
            if (columns == null && !nextInsert()) {
                return null;
            }
            int c = skipSpace();
            if (c == ';' || c == -1) {
                columns = null;
                continue;
            }
            if (c == ',') {
                c = skipSpace();
            }
            if (c != '(') {
                throw new ImportException("line " + line + ": expected '(' of a value tuple, found '" + (char) c + "'");
            }
            long at = line;
            List<String> values = tuple();
            return row(at, values);
        }
    }

    private ImportRow row(long at, List<String> values) {
        if (values.size() != columns.size()) {
            return ImportRow.invalid(at, "has " + values.size() + " values for " + columns.size() + " columns");
        }
        try {
            return ImportRow.link(at, value(values, "keyword"), value(values, "url"), value(values, "title"),
                    CsvRows.yourlsDate(value(values, "timestamp")), null);
        } catch (IllegalArgumentException e) {
            return ImportRow.invalid(at, e.getMessage());
        }
    }

    private String value(List<String> values, String column) {
        int i = columns.indexOf(column);
        if (i < 0) {
            return null;
        }
        String v = values.get(i);
        return v == null || v.isBlank() ? null : v.strip();
    }

    /** Moves past the next {@code INSERT INTO <...url> [(cols)] VALUES}; false at the end. */
    private boolean nextInsert() throws IOException {
        while (true) {
            int c = skipSpace();
            if (c == -1) {
                return false;
            }
            if (Character.isLetter(c)) {
                String word = word(c);
                if (word.equalsIgnoreCase("INSERT")) {
                    String next = word(skipSpace());
                    if (next.equalsIgnoreCase("IGNORE")) {
                        next = word(skipSpace());
                    }
                    if (!next.equalsIgnoreCase("INTO")) {
                        skipStatement();
                        continue;
                    }
                    String table = name(skipSpace());
                    if (!table.toLowerCase(Locale.ROOT).endsWith("url")) {
                        skipStatement();
                        continue;
                    }
                    int d = skipSpace();
                    List<String> cols = TABLE_ORDER;
                    if (d == '(') {
                        cols = new ArrayList<>();
                        for (String col : tuple()) {
                            cols.add(col == null ? "" : col.toLowerCase(Locale.ROOT));
                        }
                        d = skipSpace();
                    }
                    if (!Character.isLetter(d) || !word(d).equalsIgnoreCase("VALUES")) {
                        skipStatement();
                        continue;
                    }
                    columns = cols;
                    return true;
                }
                skipStatement();
            } else {
                skipStatement(c);
            }
        }
    }

    /** A parenthesised, comma-separated list after its '('; quoted names lose their quotes, NULL is null. */
    private List<String> tuple() throws IOException {
        var values = new ArrayList<String>();
        while (true) {
            int c = skipSpace();
            if (c == ')') {
                return values;
            }
            if (c == ',') {
                continue;
            }
            if (c == -1) {
                throw new ImportException("line " + line + ": the file ends inside a value list");
            }
            if (c == '\'' || c == '"' || c == '`') {
                values.add(quoted(c));
            } else {
                var bare = new StringBuilder();
                while (c != -1 && c != ',' && c != ')' && !Character.isWhitespace(c)) {
                    bare.append((char) c);
                    c = read();
                }
                unread(c);
                String v = bare.toString();
                values.add(v.equalsIgnoreCase("NULL") ? null : v);
            }
        }
    }

    private String quoted(int quote) throws IOException {
        var out = new StringBuilder();
        while (true) {
            int c = read();
            if (c == -1) {
                throw new ImportException("line " + line + ": the file ends inside a quoted value");
            }
            if (c == '\\' && quote != '`') {
                int e = read();
                switch (e) {
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case '0' -> out.append('\0');
                    case 'Z' -> out.append((char) 26);
                    case -1 -> throw new ImportException("line " + line + ": the file ends inside a quoted value");
                    default -> out.append((char) e);
                }
            } else if (c == quote) {
                int d = read();
                if (d == quote) {
                    out.append((char) quote); // a doubled quote
                } else {
                    unread(d);
                    return out.toString();
                }
            } else {
                out.append((char) c);
            }
        }
    }

    private String name(int c) throws IOException {
        String n = c == '`' || c == '"' ? quoted(c) : word(c);
        int d = read();
        if (d == '.') { // schema.table
            return name(read());
        }
        unread(d);
        return n;
    }

    private String word(int c) throws IOException {
        var out = new StringBuilder();
        while (c != -1 && (Character.isLetterOrDigit(c) || c == '_' || c == '$')) {
            out.append((char) c);
            c = read();
        }
        unread(c);
        return out.toString();
    }

    private void skipStatement() throws IOException {
        skipStatement(read());
    }

    /** Skips to just past the next ';' outside quotes, from {@code c} on. */
    private void skipStatement(int c) throws IOException {
        while (c != -1 && c != ';') {
            if (c == '\'' || c == '"' || c == '`') {
                quoted(c);
            }
            c = read();
        }
    }

    /** The next character that is not white space or inside a comment. */
    private int skipSpace() throws IOException {
        while (true) {
            int c = read();
            if (c == -1 || !Character.isWhitespace(c)) {
                if (c == '-' ) {
                    int d = read();
                    if (d == '-') {
                        skipLine();
                        continue;
                    }
                    unread(d);
                } else if (c == '#') {
                    skipLine();
                    continue;
                } else if (c == '/') {
                    int d = read();
                    if (d == '*') {
                        int prev = 0;
                        while ((c = read()) != -1 && !(prev == '*' && c == '/')) {
                            prev = c;
                        }
                        continue;
                    }
                    unread(d);
                }
                return c;
            }
        }
    }

    private void skipLine() throws IOException {
        int c;
        do {
            c = read();
        } while (c != -1 && c != '\n');
    }

    private int read() throws IOException {
        int c = in.read();
        if (c == '\n') {
            line++;
        }
        return c;
    }

    private void unread(int c) throws IOException {
        if (c == -1) {
            return;
        }
        if (c == '\n') {
            line--;
        }
        in.unread(c);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
