package dev.kurz.click;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One link's clicks during one UTC day, as its {@code click_days} row holds them: human and bot
 * totals, the clicks of each hour, and the clicks of each dimension value (bots included). The
 * hours and the values are JSON text in the row, so that anyone with a SQL prompt can read them:
 * {@code hours} is {@code {"13": [5, 1]}} (hour of the day to human and bot clicks), {@code dims}
 * is {@code {"referrer": {"direct": 5}, "browser": {"Chrome": 4}}}. A fold reads a row, adds
 * what it summed and writes the row back whole (see {@link SqlClickStore}).
 *
 * <p>Each dimension keeps at most {@link #MAX_VALUES} values a day; clicks with a further new
 * value count under {@link #OTHER}. Referrer hosts come from clients, and a client sending a new
 * one with every click would otherwise grow the row, which every fold rewrites, without end.
 */
final class LinkDay {

    /** Distinct values a dimension keeps per link and day, besides {@link #OTHER}. */
    static final int MAX_VALUES = 1_000;
    /** Where clicks with a value beyond {@link #MAX_VALUES} count. No referrer host, browser or OS has this name. */
    static final String OTHER = "(other)";

    /**
     * Names are not canonicalized: the values are field names, referrer hosts come from clients,
     * and Jackson's name table refuses a row whose names share a hash bucket too often, which a
     * client can bring about on purpose (same-length strings such as "ar" and "c0" always do).
     */
    private static final JsonFactory JSON = JsonFactory.builder()
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .build();

    private static final long[] NO_HOURS = {};
    /**
     * {@code {hour, human, bot}} for each hour of the day that has clicks, in hour order: a fold
     * holds a LinkDay for every link it counts, most of them clicked in one hour, so this is
     * three numbers where a map or an array of all 24 hours would be ten times as much.
     */
    private long[] hours = NO_HOURS;
    private int hourCount;
    private final EnumMap<Dimension, TreeMap<String, long[]>> dims = new EnumMap<>(Dimension.class);
    /** Whether a dimension's new values beyond {@link #MAX_VALUES} go to {@link #OTHER}; see {@link #sum}. */
    private final boolean capped;
    private long clicks;
    private long bots;

    LinkDay() {
        this(true);
    }

    private LinkDay(boolean capped) {
        this.capped = capped;
    }

    /**
     * A fold's sum of one link's day, which keeps every value it is given: which values take a
     * nearly full day's last places is decided when it is added to the stored day
     * ({@link #addAll}, most clicked first), or by {@link #capped} when there is none.
     */
    static LinkDay sum() {
        return new LinkDay(false);
    }

    /** Adds clicks during {@code hourOfDay} (0 to 23); true if the hour had none before. */
    boolean addHour(int hourOfDay, long human, long bot) {
        if (hourOfDay < 0 || hourOfDay > 23) {
            throw new IllegalArgumentException("hour of the day out of range: " + hourOfDay);
        }
        clicks += human;
        bots += bot;
        int i = 0;
        while (i < hourCount && hours[3 * i] < hourOfDay) {
            i++;
        }
        if (i < hourCount && hours[3 * i] == hourOfDay) {
            hours[3 * i + 1] += human;
            hours[3 * i + 2] += bot;
            return false;
        }
        if (3 * hourCount == hours.length) {
            hours = Arrays.copyOf(hours, 3 * Math.min(24, Math.max(1, 2 * hourCount)));
        }
        System.arraycopy(hours, 3 * i, hours, 3 * i + 3, 3 * (hourCount - i));
        hours[3 * i] = hourOfDay;
        hours[3 * i + 1] = human;
        hours[3 * i + 2] = bot;
        hourCount++;
        return true;
    }

    /**
     * Adds clicks with {@code value} of {@code dim}, or under {@link #OTHER} once the dimension
     * is full (unless this is a {@link #sum}). Values that compete for the last places should
     * come most clicked first. True if the value (or {@link #OTHER}) had no clicks before.
     */
    boolean addValue(Dimension dim, String value, long n) {
        var values = dims.computeIfAbsent(dim, d -> new TreeMap<>());
        long[] sum = values.get(value);
        boolean first = sum == null;
        if (first) {
            int named = values.size() - (values.containsKey(OTHER) ? 1 : 0);
            String key = !capped || named < MAX_VALUES ? value : OTHER;
            first = !values.containsKey(key);
            sum = values.computeIfAbsent(key, v -> new long[1]);
        }
        sum[0] += n;
        return first;
    }

    /**
     * Adds everything {@code other} counted. Where the values could fill a dimension, the most
     * clicked go first; where they can't, the order makes no difference and nothing is sorted.
     */
    void addAll(LinkDay other) {
        other.forEachHour(this::addHour);
        other.dims.forEach((dim, values) -> {
            var mine = dims.get(dim);
            if (!capped || (mine == null ? 0 : mine.size()) + values.size() <= MAX_VALUES) {
                values.forEach((value, n) -> addValue(dim, value, n[0]));
            } else {
                values.entrySet().stream()
                        .sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) -> -e.getValue()[0]))
                        .forEach(e -> addValue(dim, e.getKey(), e.getValue()[0]));
            }
        });
    }

    /** This day with {@link #MAX_VALUES} applied: itself if no dimension is over it, else a capped copy. */
    LinkDay capped() {
        for (var values : dims.values()) {
            if (values.size() > MAX_VALUES) {
                var copy = new LinkDay();
                copy.addAll(this);
                return copy;
            }
        }
        return this;
    }

    long clicks() {
        return clicks;
    }

    long bots() {
        return bots;
    }

    /** Receives an hour's clicks; see {@link #forEachHour}. */
    interface HourClicks {
        void accept(int hourOfDay, long human, long bot);
    }

    /** Human and bot clicks of every hour counted, the hours in order. */
    void forEachHour(HourClicks action) {
        for (int i = 0; i < hourCount; i++) {
            action.accept((int) hours[3 * i], hours[3 * i + 1], hours[3 * i + 2]);
        }
    }

    /** Clicks per value of {@code dim}; empty if the day has none. */
    Map<String, long[]> values(Dimension dim) {
        var values = dims.get(dim);
        return values == null ? Map.of() : Collections.unmodifiableMap(values);
    }

    /**
     * A row's two JSON columns read back, every stored value kept as it is: the cap applies to
     * values a fold adds (rows that V7 migrated from the old tables may hold more).
     */
    static LinkDay parse(String hoursJson, String dimsJson) {
        var day = new LinkDay();
        try (JsonParser p = JSON.createParser(hoursJson)) {
            expect(p, JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                int hour = Integer.parseInt(p.currentName());
                expect(p, JsonToken.START_ARRAY);
                long human = number(p);
                long bot = number(p);
                expect(p, JsonToken.END_ARRAY);
                day.addHour(hour, human, bot);
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("click_days.hours is not a kurz hours object: " + e.getMessage(), e);
        }
        try (JsonParser p = JSON.createParser(dimsJson)) {
            expect(p, JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                Dimension dim = Dimension.ofColumn(p.currentName());
                expect(p, JsonToken.START_OBJECT);
                var values = day.dims.computeIfAbsent(dim, d -> new TreeMap<>());
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String value = p.currentName();
                    values.computeIfAbsent(value, v -> new long[1])[0] += number(p);
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("click_days.dims is not a kurz dimensions object: " + e.getMessage(), e);
        }
        return day;
    }

    /** The {@code hours} column. */
    String hoursJson() {
        return write(g -> {
            for (int i = 0; i < hourCount; i++) {
                g.writeArrayFieldStart(Long.toString(hours[3 * i]));
                g.writeNumber(hours[3 * i + 1]);
                g.writeNumber(hours[3 * i + 2]);
                g.writeEndArray();
            }
        });
    }

    /** The {@code dims} column. */
    String dimsJson() {
        return write(g -> {
            for (var dim : dims.entrySet()) {
                g.writeObjectFieldStart(dim.getKey().column());
                for (var value : dim.getValue().entrySet()) {
                    g.writeNumberField(value.getKey(), value.getValue()[0]);
                }
                g.writeEndObject();
            }
        });
    }

    private interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    private static String write(Fields fields) {
        var out = new StringWriter(64);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    private static void expect(JsonParser p, JsonToken token) throws IOException {
        if (p.nextToken() != token) {
            throw new IOException("expected " + token + " at " + p.currentLocation().getCharOffset());
        }
    }

    private static long number(JsonParser p) throws IOException {
        expect(p, JsonToken.VALUE_NUMBER_INT);
        return p.getLongValue();
    }
}
