-- Why: the bookkeeping that privacy controls and marketplace sync stand on.
-- Consents and the audit log are append-only (updates are refused here, in
-- the database, not only by the code); the outbox holds local changes until
-- a marketplace acknowledges them; sync_state holds one cursor per resource.

CREATE TABLE consents (
    id           TEXT PRIMARY KEY NOT NULL,
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('user', 'client')),
    subject_id   TEXT,
    purpose      TEXT NOT NULL,
    granted      INTEGER NOT NULL CHECK (granted IN (0, 1)),
    basis        TEXT,
    source       TEXT,
    method       TEXT NOT NULL,
    evidence     TEXT,
    recorded_at  TEXT NOT NULL,
    CHECK ((subject_kind = 'user') = (subject_id IS NULL))
);
CREATE INDEX consents_by_subject ON consents (subject_kind, subject_id, purpose, recorded_at);
CREATE TRIGGER consents_append_only BEFORE UPDATE ON consents
BEGIN
    SELECT RAISE(ABORT, 'consents are append-only');
END;

CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    action    TEXT NOT NULL,
    detail    TEXT NOT NULL DEFAULT '{}',
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      TEXT NOT NULL,
    entity_kind     TEXT NOT NULL,
    entity_id       TEXT NOT NULL,
    operation       TEXT NOT NULL,
    payload         TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX outbox_by_entity ON outbox (entity_kind, entity_id, seq);

CREATE TABLE sync_state (
    account_id     TEXT NOT NULL,
    resource       TEXT NOT NULL,
    cursor         TEXT,
    last_synced_at TEXT,
    PRIMARY KEY (account_id, resource)
);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
