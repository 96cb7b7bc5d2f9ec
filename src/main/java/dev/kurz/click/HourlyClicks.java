package dev.kurz.click;

/** Clicks on one link during one hour (epoch hours), humans and bots apart, as a {@code click_days} row counts them in {@code hours}. */
public record HourlyClicks(long linkId, long hour, long clicks, long bots) {}
