-- The worker role (issue 9), PostgreSQL dialect: jobs with leases, uploaded import files kept in
-- the database (nodes keep nothing on local disk), per-row import errors, archived links, and the
-- indexes the purge needs.

-- One row per job. An import is claimed by one worker at a time: claimed_by + lease_until, renewed
-- by the worker's heartbeat; a worker that dies stops renewing and another one takes the job over
-- once lease_until has passed. `checkpoint` counts the input records already done; it is written in
-- the same transaction as the links those records created, so a resumed job never repeats one.
-- Purges use period_key (unique): the first worker to insert a period's row runs that purge.
CREATE TABLE jobs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         TEXT    NOT NULL CHECK (kind IN ('import', 'purge')),
    state        TEXT    NOT NULL CHECK (state IN ('uploading', 'queued', 'running', 'done', 'failed')),
    owner_key_id BIGINT  NOT NULL DEFAULT 0,   -- the API key that created it (0 = an operator's CLI)
    format       TEXT,                         -- import format
    link_owner   BIGINT  NOT NULL DEFAULT 0,   -- owner_key_id of the links an import creates
    input_bytes  BIGINT  NOT NULL DEFAULT 0,
    bytes_done   BIGINT  NOT NULL DEFAULT 0,   -- input bytes read up to the checkpoint (for progress)
    checkpoint   BIGINT  NOT NULL DEFAULT 0,   -- input records done
    imported     BIGINT  NOT NULL DEFAULT 0,
    existing     BIGINT  NOT NULL DEFAULT 0,   -- already there with the same target: skipped
    failed       BIGINT  NOT NULL DEFAULT 0,
    claimed_by   TEXT,
    lease_until  BIGINT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    period_key   TEXT UNIQUE,
    error        TEXT,
    created_at   BIGINT  NOT NULL,
    started_at   BIGINT,
    updated_at   BIGINT  NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX jobs_claimable ON jobs (state, id);
CREATE INDEX jobs_owner ON jobs (owner_key_id, id);

-- An uploaded import file in chunks (about 1 MiB each), deleted when its job finishes.
CREATE TABLE job_inputs (
    job_id BIGINT NOT NULL,
    seq    INTEGER NOT NULL,
    data   BYTEA  NOT NULL,
    PRIMARY KEY (job_id, seq)
);

-- Rows an import refused, by line number; bounded per job (the job counts all of them).
CREATE TABLE job_errors (
    job_id  BIGINT NOT NULL,
    line    BIGINT NOT NULL,
    message TEXT   NOT NULL,
    PRIMARY KEY (job_id, line)
);

-- Links the purge archived (KURZ_PURGE_MODE=archive): the row as it was, plus when it left.
CREATE TABLE archived_links (
    id              BIGINT   PRIMARY KEY,
    code            TEXT     NOT NULL COLLATE "C",
    url             TEXT     NOT NULL,
    owner_key_id    BIGINT   NOT NULL,
    title           TEXT,
    created_at      BIGINT   NOT NULL,
    updated_at      BIGINT   NOT NULL,
    expires_at      BIGINT,
    max_clicks      BIGINT,
    redirect_status SMALLINT NOT NULL,
    disabled        BOOLEAN  NOT NULL,
    password_hash   TEXT,
    clicks          BIGINT   NOT NULL,
    archived_at     BIGINT   NOT NULL
);
CREATE INDEX archived_links_code ON archived_links (code);

-- The purge finds expired links and old daily roll-ups by these.
CREATE INDEX links_expires ON links (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX click_dims_day ON click_dims (day);
