package dev.kurz.auth;

import static dev.kurz.db.Jdbc.inTransaction;
import static dev.kurz.db.Jdbc.nullableLong;
import static dev.kurz.db.Jdbc.withConnection;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.kurz.db.Database;
import java.security.SecureRandom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The API keys of an installation, in the database (so every node and the {@code kurz keys} CLI
 * see the same ones).
 *
 * <p>A key reads {@code kurz_<id>_<secret>}: the id says which row to check, the secret is 32
 * random bytes (base64url). Only the SHA-256 of the whole key is stored; {@link #create} returns
 * the key itself once, and nothing can show it again. Checking a key is one primary-key read and a
 * constant-time hash comparison ({@link KeyHashes#matches}).
 *
 * <p>A key that passed that check is taken at its word for one second more ({@link #TRUSTED_FOR}),
 * so a client sending many requests costs one database read a second, not one per request (it
 * was a fifth of a create's CPU on PostgreSQL). A revoked key therefore stops working within one
 * second on every node (the bound link edits have too), and at once on the node that revoked it
 * (this process). A key that fails is never remembered: every wrong guess reads the database.
 *
 * <p>Thread-safe. Every method blocks on the database: call from a virtual thread.
 */
public final class ApiKeys {

    /** A key just created: its record, and the key itself (show it once, never store or log it). */
    public record Issued(ApiKey key, String secret) {}

    static final int MAX_NAME = 100;
    /** Longer than any key we issue; longer input is refused before any work. */
    static final int MAX_KEY_LENGTH = 96;
    private static final Pattern SHAPE = Pattern.compile("kurz_([1-9][0-9]{0,17})_([A-Za-z0-9_-]{43})");

    static final Duration TRUSTED_FOR = Duration.ofSeconds(1);

    private final Database db;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    /** Keys that passed the check within {@link #TRUSTED_FOR}, by the whole key presented. */
    private final Cache<String, Caller> trusted;

    public ApiKeys(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
        this.trusted = Caffeine.newBuilder().expireAfterWrite(TRUSTED_FOR).maximumSize(10_000)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis())).executor(Runnable::run).build();
    }

    /** Creates a key; {@code name} says whose or what for (1-100 characters, no control characters). */
    public Issued create(String name, Role role) {
        String n = name == null ? "" : name.strip();
        if (n.isEmpty() || n.length() > MAX_NAME || n.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("a key name must be 1 to " + MAX_NAME
                    + " characters without control characters, got '" + name + "'");
        }
        byte[] secretBytes = new byte[32];
        random.nextBytes(secretBytes);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
        long now = clock.millis();
        return inTransaction(db.writer(), c -> {
            long id;
            // The key contains its row's id, which only the insert hands out: insert with a random
            // stand-in value (unique, never a valid hash) and set the real hash in the same
            // transaction. Never the secret itself: PostgreSQL keeps the first row version on disk
            // (a dead tuple, and in the WAL) after the update, and the secret must never be stored.
            try (var ps = c.prepareStatement("INSERT INTO api_keys (name, key_hash, role, created_at) "
                    + "VALUES (?, ?, ?, ?) RETURNING id")) {
                ps.setString(1, n);
                ps.setString(2, "pending:" + java.util.UUID.randomUUID());
                ps.setString(3, role.label());
                ps.setLong(4, now);
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    id = rs.getLong(1);
                }
            }
            String key = "kurz_" + id + "_" + secret;
            try (var ps = c.prepareStatement("UPDATE api_keys SET key_hash = ? WHERE id = ?")) {
                ps.setString(1, KeyHashes.hex(KeyHashes.sha256(key)));
                ps.setLong(2, id);
                ps.executeUpdate();
            }
            return new Issued(new ApiKey(id, n, role, now, null), key);
        });
    }

    /** Every key, revoked ones included, oldest first. */
    public List<ApiKey> list() {
        return withConnection(db.primaryReader(), c -> {
            try (var ps = c.prepareStatement("SELECT id, name, role, created_at, revoked_at FROM api_keys ORDER BY id");
                 var rs = ps.executeQuery()) {
                var out = new ArrayList<ApiKey>();
                while (rs.next()) {
                    out.add(read(rs));
                }
                return out;
            }
        });
    }

    /** Revokes key {@code id} from now on; false if there is no such key or it was already revoked. */
    public boolean revoke(long id) {
        long now = clock.millis();
        boolean revoked = inTransaction(db.writer(), c -> {
            try (var ps = c.prepareStatement("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")) {
                ps.setLong(1, now);
                ps.setLong(2, id);
                return ps.executeUpdate() == 1;
            }
        });
        trusted.invalidateAll(); // revocations are rare: no need to find this key's entries
        return revoked;
    }

    /** Whether some admin key is valid (if none, the first start explains how to make one). */
    public boolean hasActiveAdmin() {
        return withConnection(db.primaryReader(), c -> {
            try (var ps = c.prepareStatement(
                    "SELECT count(*) FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL");
                 var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) > 0;
            }
        });
    }

    /**
     * The caller {@code presentedKey} stands for, or empty if it is not a valid key: malformed, no
     * such id, revoked, or the wrong secret. The reason is not told apart on purpose.
     */
    public Optional<Caller> authenticate(String presentedKey) {
        if (presentedKey.length() > MAX_KEY_LENGTH) {
            return Optional.empty();
        }
        Matcher m = SHAPE.matcher(presentedKey);
        if (!m.matches()) {
            return Optional.empty();
        }
        Caller known = trusted.getIfPresent(presentedKey);
        if (known != null) {
            return Optional.of(known);
        }
        long id = Long.parseLong(m.group(1));
        // Never a replica: a key revoked a moment ago on another node must fail here soon.
        Optional<Caller> caller = withConnection(db.primaryReader(), c -> {
            try (var ps = c.prepareStatement("SELECT role, key_hash, revoked_at FROM api_keys WHERE id = ?")) {
                ps.setLong(1, id);
                try (var rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    boolean valid = KeyHashes.matches(rs.getString("key_hash"), presentedKey);
                    if (!valid || nullableLong(rs, "revoked_at") != null) {
                        return Optional.empty();
                    }
                    return Optional.of(new Caller(id, Role.parse(rs.getString("role"))));
                }
            }
        });
        caller.ifPresent(c -> trusted.put(presentedKey, c));
        return caller;
    }

    private static ApiKey read(ResultSet rs) throws SQLException {
        return new ApiKey(rs.getLong("id"), rs.getString("name"), Role.parse(rs.getString("role")),
                rs.getLong("created_at"), nullableLong(rs, "revoked_at"));
    }
}
