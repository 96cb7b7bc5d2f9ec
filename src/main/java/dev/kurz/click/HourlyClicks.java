package dev.kurz.click;

/** Clicks on one link during one hour (epoch hours), as written to {@code click_counts}. */
public record HourlyClicks(long linkId, long hour, long clicks) {}
