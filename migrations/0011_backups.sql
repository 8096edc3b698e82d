-- Why: backups (docs/security.md, "Backups"). `backup_keys` holds the
-- database key of each snapshot this workspace wrote, so that a key rotation
-- can re-wrap every snapshot's key file under the new recovery key and an
-- erasure can reach into the snapshots; it lives only inside this encrypted
-- database. `erasure_ledger` is the append-only list of erased clients (ids
-- only, nothing personal; ids are random and never reused), replayed on every restore so that an erased
-- client does not come back from an older snapshot.
CREATE TABLE backup_keys (
    snapshot TEXT PRIMARY KEY NOT NULL,
    data_key BLOB NOT NULL CHECK (length(data_key) = 32),
    taken_at TEXT NOT NULL
);

CREATE TABLE erasure_ledger (
    client_id TEXT PRIMARY KEY NOT NULL
);
