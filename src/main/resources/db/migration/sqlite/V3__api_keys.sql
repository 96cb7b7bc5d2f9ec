-- API keys. Only a SHA-256 hash of each key is kept; the key itself is shown once, at creation.
-- AUTOINCREMENT: links.owner_key_id points here, so an id must never be handed out twice (a new
-- key would otherwise inherit a revoked-and-deleted key's links).
CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    key_hash   TEXT    NOT NULL UNIQUE, -- lower-case hex SHA-256 of the whole key
    role       TEXT    NOT NULL CHECK (role IN ('admin', 'user')),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER                  -- NULL while the key is valid
);
