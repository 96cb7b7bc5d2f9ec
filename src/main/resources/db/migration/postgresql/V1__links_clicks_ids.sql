-- kurz schema, PostgreSQL dialect. Same tables and columns as the SQLite one, so the store's SQL
-- is shared. Times are epoch milliseconds (UTC). Every access is a single-row operation keyed by
-- code or id, which is what lets this schema shard as is (Citus and friends).

CREATE TABLE links (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- never reused
    code            TEXT     NOT NULL COLLATE "C" UNIQUE,            -- case-sensitive, byte order
    url             TEXT     NOT NULL,
    dedup_key       TEXT,                                           -- hash of the create request; NULL once edited
    owner_key_id    BIGINT   NOT NULL DEFAULT 0,                    -- 0 = anonymous
    title           TEXT,
    created_at      BIGINT   NOT NULL,
    updated_at      BIGINT   NOT NULL,
    expires_at      BIGINT,
    max_clicks      BIGINT,
    redirect_status SMALLINT NOT NULL DEFAULT 302,
    disabled        BOOLEAN  NOT NULL DEFAULT FALSE,
    password_hash   TEXT,
    clicks          BIGINT   NOT NULL DEFAULT 0                     -- flushed total
);

-- NULL keys are distinct, so edited links and aliases never collide here.
CREATE UNIQUE INDEX links_owner_dedup ON links (owner_key_id, dedup_key);
CREATE INDEX links_owner_newest ON links (owner_key_id, id);

CREATE TABLE click_counts (
    link_id BIGINT NOT NULL,
    hour    BIGINT NOT NULL, -- epoch hours
    clicks  BIGINT NOT NULL,
    PRIMARY KEY (link_id, hour)
);

CREATE TABLE id_blocks (
    name    TEXT PRIMARY KEY,
    next_id BIGINT NOT NULL
);
INSERT INTO id_blocks (name, next_id) VALUES ('links', 0);

CREATE TABLE instance_values (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
