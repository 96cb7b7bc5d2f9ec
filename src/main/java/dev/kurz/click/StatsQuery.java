package dev.kurz.click;

import dev.kurz.http.Problem;
import io.vertx.core.MultiMap;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A validated statistics request: {@code from}, {@code to} (ISO-8601 instants or dates, UTC),
 * {@code interval} ({@code hour} or {@code day}) and {@code top} (how many values per list).
 *
 * <p>The range is half-open, [from, to), and widens to whole buckets of the interval: 14:20 to
 * 16:05 by hour covers 14:00 to 17:00. Dimension counts are kept per day, so top lists always
 * cover whole UTC days. Bad values are a 400 problem naming each bad field.
 */
record StatsQuery(Interval interval, long fromBucket, long toBucket, int top) {

    enum Interval {
        HOUR(3_600_000L), DAY(86_400_000L);

        final long millis;

        Interval(long millis) {
            this.millis = millis;
        }

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    static final Duration DEFAULT_RANGE = Duration.ofDays(7);
    static final int DEFAULT_TOP = 10;
    static final int MAX_TOP = 100;
    private static final long LATEST = Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli();

    /**
     * Parses the query parameters. Defaults: the 7 days up to now, by day, top 10.
     * {@code intervals} lists the intervals this endpoint offers.
     */
    static StatsQuery parse(MultiMap params, long now, Duration maxRange, List<Interval> intervals) {
        var errors = new ArrayList<Problem.FieldError>();
        Interval interval = Interval.DAY;
        String i = param(params, "interval");
        if (i != null) {
            interval = intervals.stream().filter(v -> v.label().equals(i)).findFirst().orElse(null);
            if (interval == null) {
                errors.add(new Problem.FieldError("interval", "must be "
                        + String.join(" or ", intervals.stream().map(Interval::label).toList())));
            }
        }
        Long to = instant(param(params, "to"), "to", now, errors);
        Long from = instant(param(params, "from"), "from", to == null ? now - DEFAULT_RANGE.toMillis()
                : to - DEFAULT_RANGE.toMillis(), errors);
        int top = top(param(params, "top"), errors);
        if (errors.isEmpty() && from >= to) {
            errors.add(new Problem.FieldError("from", "must be before to"));
        }
        if (errors.isEmpty() && to - from > maxRange.toMillis()) {
            errors.add(new Problem.FieldError("to", "must be at most " + maxRange.toDays()
                    + " days after from (KURZ_STATS_MAX_RANGE)"));
        }
        if (!errors.isEmpty()) {
            throw Problem.invalid(errors);
        }
        return new StatsQuery(interval, Math.floorDiv(from, interval.millis), Math.ceilDiv(to, interval.millis), top);
    }

    /** The first value of a parameter; empty counts as absent (as an HTML form sends it). */
    private static String param(MultiMap params, String name) {
        String v = params.get(name);
        return v == null || v.isEmpty() ? null : v;
    }

    private static Long instant(String value, String field, long fallback, List<Problem.FieldError> errors) {
        if (value == null) {
            return Math.max(0, fallback);
        }
        long millis;
        try {
            millis = value.length() == 10
                    ? LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli()
                    : Instant.parse(value).toEpochMilli();
        } catch (DateTimeParseException | ArithmeticException e) {
            errors.add(new Problem.FieldError(field, "must be an ISO-8601 instant such as 2026-11-23T14:00:00Z "
                    + "or a date such as 2026-11-23 (UTC)"));
            return null;
        }
        if (millis < 0 || millis > LATEST) {
            errors.add(new Problem.FieldError(field, "must be between 1970-01-01 and 9999-12-31"));
            return null;
        }
        return millis;
    }

    private static int top(String value, List<Problem.FieldError> errors) {
        if (value == null) {
            return DEFAULT_TOP;
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= 1 && n <= MAX_TOP) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the error below says what is accepted
        }
        errors.add(new Problem.FieldError("top", "must be a whole number from 1 to " + MAX_TOP));
        return DEFAULT_TOP;
    }

    long buckets() {
        return toBucket - fromBucket;
    }

    long fromMillis() {
        return fromBucket * interval.millis;
    }

    long toMillis() {
        return toBucket * interval.millis;
    }

    /** First epoch hour covered. */
    long fromHour() {
        return interval == Interval.HOUR ? fromBucket : fromBucket * 24;
    }

    /** First epoch hour after the range. */
    long toHour() {
        return interval == Interval.HOUR ? toBucket : toBucket * 24;
    }

    /** First epoch day the top lists cover. */
    long fromDay() {
        return Math.floorDiv(fromHour(), 24);
    }

    /** First epoch day after the top lists' range. */
    long toDay() {
        return Math.ceilDiv(toHour(), 24);
    }

    /** The bucket an epoch hour falls in. */
    long bucketOfHour(long hour) {
        return interval == Interval.HOUR ? hour : Math.floorDiv(hour, 24);
    }
}
