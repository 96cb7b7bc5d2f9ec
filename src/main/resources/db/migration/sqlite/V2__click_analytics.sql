-- Click analytics (issue 4): bots counted apart, daily dimension roll-ups, orphan visits, and the
-- ledger that keeps a retried flush from being applied twice. No table has a column for a
-- client address: kurz stores no IP.

-- Human clicks stay in `clicks` (what links.clicks and maxClicks count); bots go here.
ALTER TABLE click_counts ADD COLUMN bots INTEGER NOT NULL DEFAULT 0;

-- Instance-wide statistics read a range of hours across all links.
CREATE INDEX click_counts_hour ON click_counts (hour);

-- Daily roll-up per dimension value: one row per (link, day, dim, value), never a row per click.
-- dim: referrer | browser | os | device | country. Bots included (device = 'bot').
CREATE TABLE click_dims (
    link_id INTEGER NOT NULL,
    day     INTEGER NOT NULL, -- epoch days (UTC)
    dim     TEXT    NOT NULL,
    value   TEXT    NOT NULL,
    clicks  INTEGER NOT NULL,
    PRIMARY KEY (link_id, day, dim, value)
) WITHOUT ROWID;

-- Hits on codes that name no link, per day: scans and broken links.
CREATE TABLE orphan_visits (
    day    INTEGER NOT NULL, -- epoch days (UTC)
    code   TEXT    NOT NULL,
    visits INTEGER NOT NULL,
    PRIMARY KEY (day, code)
) WITHOUT ROWID;

-- The last committed flush of each node, written in the flush's own transaction: a flush retried
-- after a lost COMMIT answer finds itself here and is not applied twice.
CREATE TABLE click_batches (
    node         TEXT    NOT NULL, -- random id of the node process
    seq          INTEGER NOT NULL,
    committed_at INTEGER NOT NULL, -- epoch ms
    PRIMARY KEY (node, seq)
) WITHOUT ROWID;
