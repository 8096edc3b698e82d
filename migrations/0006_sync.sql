-- Why: marketplace sync. Accounts say where to sync (the token lives in the
-- OS keychain, or here in the encrypted database when there is none); bids
-- keep what the marketplace last told us, so an offline edit can be checked
-- against it; conflicts keep both versions until the user chooses; saved
-- searches say which jobs to pull; the transparency log records what left the
-- machine (categories and counts, never content). Numbered 0006 because 0005
-- is being added on another branch at the same time.

CREATE TABLE market_accounts (
    id              TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL COLLATE NOCASE,
    base_url        TEXT NOT NULL,
    -- 'keychain' (the OS keychain holds it) or 'database' (token_secret below).
    token_store     TEXT NOT NULL CHECK (token_store IN ('keychain', 'database')),
    token_secret    TEXT,
    -- What the last sync found: unknown, online, offline, token_expired.
    connection      TEXT NOT NULL DEFAULT 'unknown'
                    CHECK (connection IN ('unknown', 'online', 'offline', 'token_expired')),
    last_sync_at    TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted_at      TEXT,
    CHECK ((token_store = 'database') = (token_secret IS NOT NULL))
);

-- The bid as the marketplace last showed it (JSON of the wire bid): what a
-- conflict is shown against.
ALTER TABLE bids ADD COLUMN server_snapshot TEXT;

-- Whether the marketplace still takes bids on a job (it owns this field).
ALTER TABLE jobs ADD COLUMN market_status TEXT CHECK (market_status IN ('open', 'closed'));

-- The version an edit was based on (NULL: the version our previous write to
-- the same bid produces), the terms before the edit (to tell a marketplace
-- change of status from one of content), and when it was last tried.
ALTER TABLE outbox ADD COLUMN base_version INTEGER;
ALTER TABLE outbox ADD COLUMN base_terms TEXT;
ALTER TABLE outbox ADD COLUMN last_attempt_at TEXT;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at, seq);

CREATE TABLE sync_conflicts (
    id          TEXT PRIMARY KEY NOT NULL,
    account_id  TEXT NOT NULL,
    bid_id      TEXT NOT NULL REFERENCES bids (id) ON DELETE CASCADE,
    -- JSON: the terms the user wanted, and the marketplace's bid.
    mine        TEXT NOT NULL,
    theirs      TEXT NOT NULL,
    resolution  TEXT CHECK (resolution IN ('keep_mine', 'take_theirs')),
    created_at  TEXT NOT NULL,
    resolved_at TEXT
);
CREATE INDEX sync_conflicts_open ON sync_conflicts (bid_id) WHERE resolved_at IS NULL;

CREATE TABLE saved_searches (
    id          TEXT PRIMARY KEY NOT NULL,
    account_id  TEXT NOT NULL REFERENCES market_accounts (id) ON DELETE CASCADE,
    name        TEXT NOT NULL COLLATE NOCASE,
    -- JSON of the wire JobQuery.
    query       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
);

CREATE TABLE transparency_log (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    at              TEXT NOT NULL,
    account_id      TEXT NOT NULL,
    operation       TEXT NOT NULL,
    endpoint        TEXT NOT NULL,
    -- JSON array of data category names.
    data_categories TEXT NOT NULL,
    record_count    INTEGER NOT NULL
);
CREATE INDEX transparency_log_by_time ON transparency_log (at);
