package dev.kurz.click;

/** Clicks on one link during one day (epoch days, UTC) with one value of a dimension, as a {@code click_days} row counts it in {@code dims}. */
public record DimClicks(long linkId, long day, Dimension dim, String value, long clicks) {}
