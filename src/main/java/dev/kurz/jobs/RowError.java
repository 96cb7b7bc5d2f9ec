package dev.kurz.jobs;

/** An input record an import refused: its line in the file (1-based) and why. */
public record RowError(long line, String message) {}
