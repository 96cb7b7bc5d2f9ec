-- kurz schema, SQLite dialect. Times are epoch milliseconds (UTC).

CREATE TABLE links (
    id              INTEGER PRIMARY KEY AUTOINCREMENT, -- AUTOINCREMENT: ids are never reused after a delete
    code            TEXT    NOT NULL UNIQUE,           -- generated or alias; case-sensitive
    url             TEXT    NOT NULL,
    dedup_key       TEXT,                              -- hash of the create request; NULL once edited or when not deduplicated
    owner_key_id    INTEGER NOT NULL DEFAULT 0,        -- 0 = anonymous
    title           TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    max_clicks      INTEGER,
    redirect_status INTEGER NOT NULL DEFAULT 302,
    disabled        INTEGER NOT NULL DEFAULT 0,
    password_hash   TEXT,
    clicks          INTEGER NOT NULL DEFAULT 0         -- flushed total; the node adds its unflushed counts
);

-- Repeat creates of the same request by the same owner find the existing link through this index.
-- NULL keys are distinct, so edited links and aliases never collide here.
CREATE UNIQUE INDEX links_owner_dedup ON links (owner_key_id, dedup_key);
CREATE INDEX links_owner_newest ON links (owner_key_id, id);

-- Hourly roll-up: one row per link and hour, never a row per click.
CREATE TABLE click_counts (
    link_id INTEGER NOT NULL,
    hour    INTEGER NOT NULL, -- epoch hours
    clicks  INTEGER NOT NULL,
    PRIMARY KEY (link_id, hour)
) WITHOUT ROWID;

-- Id blocks for generated codes: a node reserves ids with one UPDATE ... RETURNING.
CREATE TABLE id_blocks (
    name    TEXT PRIMARY KEY,
    next_id INTEGER NOT NULL
);
INSERT INTO id_blocks (name, next_id) VALUES ('links', 0);

CREATE TABLE instance_values (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
