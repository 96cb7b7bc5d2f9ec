package dev.kurz.click;

/** Clicks on one link during one hour (epoch hours), humans and bots apart, as in {@code click_counts}. */
public record HourlyClicks(long linkId, long hour, long clicks, long bots) {}
