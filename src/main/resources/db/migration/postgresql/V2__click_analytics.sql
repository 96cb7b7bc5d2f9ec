-- Click analytics (issue 4), PostgreSQL dialect: bots counted apart, daily dimension roll-ups,
-- orphan visits, and the ledger that keeps a retried flush from being applied twice. No table
-- has a column for a client address: kurz stores no IP.

-- Human clicks stay in `clicks` (what links.clicks and maxClicks count); bots go here.
ALTER TABLE click_counts ADD COLUMN bots BIGINT NOT NULL DEFAULT 0;

-- Instance-wide statistics read a range of hours across all links.
CREATE INDEX click_counts_hour ON click_counts (hour);

-- Daily roll-up per dimension value: one row per (link, day, dim, value), never a row per click.
-- dim: referrer | browser | os | device | country. Bots included (device = 'bot'). Values sort in
-- byte order ("C"), as on SQLite, so ties rank the same on both.
CREATE TABLE click_dims (
    link_id BIGINT NOT NULL,
    day     BIGINT NOT NULL, -- epoch days (UTC)
    dim     TEXT   NOT NULL COLLATE "C",
    value   TEXT   NOT NULL COLLATE "C",
    clicks  BIGINT NOT NULL,
    PRIMARY KEY (link_id, day, dim, value)
);

-- Hits on codes that name no link, per day: scans and broken links.
CREATE TABLE orphan_visits (
    day    BIGINT  NOT NULL, -- epoch days (UTC)
    code   TEXT    NOT NULL COLLATE "C",
    visits BIGINT  NOT NULL,
    PRIMARY KEY (day, code)
);

-- The last committed flush of each node, written in the flush's own transaction: a flush retried
-- after a lost COMMIT answer finds itself here and is not applied twice.
CREATE TABLE click_batches (
    node         TEXT   NOT NULL, -- random id of the node process
    seq          BIGINT NOT NULL,
    committed_at BIGINT NOT NULL, -- epoch ms
    PRIMARY KEY (node, seq)
);
