package dev.kurz.auth;

import java.util.Locale;

/** What an API key may do. Admins manage every link; users only the links they created. */
public enum Role {
    ADMIN,
    USER;

    /** The role's name as stored and typed on the command line: {@code admin} or {@code user}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code admin} or {@code user}; throws naming the value otherwise. */
    public static Role parse(String s) {
        return switch (s == null ? "" : s.strip().toLowerCase(Locale.ROOT)) {
            case "admin" -> ADMIN;
            case "user" -> USER;
            default -> throw new IllegalArgumentException("role must be admin or user, got '" + s + "'");
        };
    }
}
