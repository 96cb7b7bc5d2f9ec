package dev.kurz.click;

/** Hits on a code that names no link during one day (epoch days, UTC), as in {@code orphan_visits}. */
public record OrphanVisits(long day, String code, long visits) {}
