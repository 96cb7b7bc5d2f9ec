-- The click journal (DESIGN.md section 6): every flush interval a node appends what it counted as
-- one row, and every fold interval it folds its rows into the roll-ups and deletes them, in one
-- transaction. The roll-ups are then written once per fold interval instead of once per second,
-- while a crash still loses at most one flush interval. Rows a node left behind when it died are
-- folded by the next node to fold once they are old enough (see ClickFlusher).
CREATE TABLE click_journal (
    node       TEXT   NOT NULL, -- random id of the node process (as in click_batches)
    seq        BIGINT NOT NULL,
    created_at BIGINT NOT NULL, -- epoch ms
    batch      BYTEA  NOT NULL, -- a ClickBatch as BatchCodec writes it
    PRIMARY KEY (node, seq)
);
CREATE INDEX click_journal_created ON click_journal (created_at);
-- The batch is dense binary that compresses poorly: store it out of line without trying.
ALTER TABLE click_journal ALTER COLUMN batch SET STORAGE EXTERNAL;
