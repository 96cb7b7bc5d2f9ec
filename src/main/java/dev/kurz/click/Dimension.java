package dev.kurz.click;

/**
 * What a {@code click_days} row counts per click, besides the hourly totals. Every click (bots too) adds
 * one to each dimension, except country, which only a trusted proxy's header supplies; so per
 * day the values of referrer, browser, os and device each add up to the day's clicks.
 */
public enum Dimension {
    /** Host of the Referer, or {@code direct} / {@code unknown}. */
    REFERRER("referrer"),
    /** Browser family from the User-Agent (uap-core), e.g. Chrome, Mobile Safari, Googlebot. */
    BROWSER("browser"),
    /** OS family from the User-Agent (uap-core), e.g. Windows, iOS, Android, Mac OS X. */
    OS("os"),
    /** desktop, mobile, tablet or bot. */
    DEVICE("device"),
    /** ISO 3166 alpha-2 from {@code KURZ_COUNTRY_HEADER}, when a trusted proxy sent one. */
    COUNTRY("country");

    /** {@code values()} copies its array on every call; a fold parses a dimension name per stored row. */
    private static final Dimension[] ALL = values();

    private final String column;

    Dimension(String column) {
        this.column = column;
    }

    /** The dimension's name in {@code click_days.dims}. */
    public String column() {
        return column;
    }

    static Dimension ofColumn(String column) {
        for (Dimension d : ALL) {
            if (d.column.equals(column)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown dimension '" + column + "' in click_days.dims");
    }
}
