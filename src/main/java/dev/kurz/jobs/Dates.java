package dev.kurz.jobs;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * The date forms import files use: ISO-8601 instants ({@code 2024-05-01T10:00:00Z}, kurz), with an
 * offset ({@code 2024-05-01T10:00:00+02:00}, Shlink), SQL datetimes ({@code 2024-05-01 10:00:00},
 * YOURLS; taken as UTC, since the file doesn't say), plain dates, and epoch seconds.
 */
final class Dates {

    private Dates() {}

    private static final DateTimeFormatter SQL = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm[:ss][.SSS]");

    /** Epoch milliseconds of {@code text}, or null if blank; throws IllegalArgumentException if unreadable. */
    static Long parse(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        String s = text.trim();
        if (s.endsWith(" UTC")) {
            s = s.substring(0, s.length() - 4);
        }
        try {
            if (s.matches("[0-9]{9,11}")) {
                return Long.parseLong(s) * 1000;
            }
            if (s.endsWith("Z") || s.endsWith("z")) {
                return Instant.parse(s.toUpperCase(java.util.Locale.ROOT)).toEpochMilli();
            }
            if (s.length() > 19 && s.charAt(10) == 'T' && (s.lastIndexOf('+') > 10 || s.lastIndexOf('-') > 10)) {
                return OffsetDateTime.parse(s).toInstant().toEpochMilli();
            }
            if (s.length() == 10) {
                return LocalDate.parse(s).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();
            }
            if (s.length() > 10 && s.charAt(10) == 'T') {
                return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC).toEpochMilli();
            }
            return LocalDateTime.parse(s, SQL).toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (DateTimeParseException | ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("'" + abbreviate(text) + "' is not a date (use e.g. 2024-05-01T10:00:00Z)");
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
