package dev.kurz.db;

import java.util.function.Supplier;

/**
 * Small named values that belong to the whole installation rather than to one node, such as the
 * generated code key. Kept in the database so every node of a cluster agrees on them.
 */
public final class InstanceValues {

    private InstanceValues() {}

    /**
     * Returns the stored value for {@code name}, storing {@code initial} first if there is none.
     * Safe when many nodes start at once: the first insert wins and everyone reads the winner.
     */
    public static String getOrCreate(Database db, String name, Supplier<String> initial) {
        return Jdbc.inTransaction(db.writer(), c -> {
            try (var insert = c.prepareStatement(
                    "INSERT INTO instance_values(name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")) {
                insert.setString(1, name);
                insert.setString(2, initial.get());
                insert.executeUpdate();
            }
            try (var select = c.prepareStatement("SELECT value FROM instance_values WHERE name = ?")) {
                select.setString(1, name);
                try (var rs = select.executeQuery()) {
                    rs.next();
                    return rs.getString(1);
                }
            }
        });
    }
}
