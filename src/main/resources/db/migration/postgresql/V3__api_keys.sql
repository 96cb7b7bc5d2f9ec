-- API keys. Only a SHA-256 hash of each key is kept; the key itself is shown once, at creation.
-- Identity ids are never reused: links.owner_key_id points here, and a new key must never
-- inherit an old key's links.
CREATE TABLE api_keys (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT   NOT NULL,
    key_hash   TEXT   NOT NULL UNIQUE, -- lower-case hex SHA-256 of the whole key
    role       TEXT   NOT NULL CHECK (role IN ('admin', 'user')),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT                  -- NULL while the key is valid
);
