-- Why: erasing a client must keep the payments the law makes us keep (tax)
-- while linking them to nothing personal, which 0001's milestone check
-- (a project or a bid) forbade; erasure is also the one path allowed to delete
-- consents; and usage analytics, once opted into, queue anonymous counts only.

-- Milestones: rebuilt (SQLite cannot change a CHECK in place) with kept_reason.
-- A milestone with a kept_reason is an anonymized record of a payment and
-- belongs to no project or bid.
CREATE TABLE milestones_rebuilt (
    id           TEXT PRIMARY KEY NOT NULL,
    project_id   TEXT REFERENCES projects (id) ON DELETE CASCADE,
    bid_id       TEXT REFERENCES bids (id) ON DELETE CASCADE,
    title        TEXT NOT NULL COLLATE NOCASE,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    currency     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'funded', 'released', 'refunded', 'disputed')),
    due_date     TEXT,
    source       TEXT,
    external_id  TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted_at   TEXT,
    kept_reason  TEXT,
    CHECK (project_id IS NOT NULL OR bid_id IS NOT NULL OR kept_reason IS NOT NULL)
);
INSERT INTO milestones_rebuilt (id, project_id, bid_id, title, amount_minor, currency, status, due_date, source,
                                external_id, created_at, updated_at, deleted_at)
    SELECT id, project_id, bid_id, title, amount_minor, currency, status, due_date, source, external_id,
           created_at, updated_at, deleted_at
    FROM milestones;
DROP TABLE milestones;
ALTER TABLE milestones_rebuilt RENAME TO milestones;
CREATE UNIQUE INDEX milestones_external ON milestones (source, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX milestones_by_project ON milestones (project_id, id);
CREATE INDEX milestones_by_bid ON milestones (bid_id, id);

-- The search triggers went with the old table; these are 0003's, unchanged.
CREATE TRIGGER milestones_search_insert AFTER INSERT ON milestones WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO search_doc (kind, entity_id) VALUES ('milestone', new.id);
    INSERT INTO search_fts (rowid, title, body)
        VALUES (last_insert_rowid(), new.title, '');
END;
CREATE TRIGGER milestones_search_update AFTER UPDATE OF title, deleted_at ON milestones
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    INSERT INTO search_doc (kind, entity_id) SELECT 'milestone', new.id WHERE new.deleted_at IS NULL;
    INSERT INTO search_fts (rowid, title, body)
        SELECT doc_id, new.title, '' FROM search_doc WHERE entity_id = new.id;
END;
CREATE TRIGGER milestones_search_delete AFTER DELETE ON milestones
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
END;

-- Consents: rows are deleted only while a client is being erased. The erase
-- transaction inserts a row here and removes it before committing, so no
-- other connection ever sees one.
CREATE TABLE erasure_in_progress (
    started INTEGER PRIMARY KEY
);
CREATE TRIGGER consents_keep_rows BEFORE DELETE ON consents
    WHEN NOT EXISTS (SELECT 1 FROM erasure_in_progress)
BEGIN
    SELECT RAISE(ABORT, 'consents are append-only');
END;

-- Anonymous usage counts waiting to be sent: an event name and a day, never
-- an id or text from the user's records.
CREATE TABLE analytics_queue (
    event TEXT NOT NULL,
    day   TEXT NOT NULL,
    count INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (event, day)
);

-- What search suggestions, sync and analytics leave out: a restricted client
-- and the records that belong to it.
CREATE VIEW restricted_records AS
    SELECT id FROM clients WHERE restricted = 1
    UNION ALL SELECT id FROM contacts WHERE client_id IN (SELECT id FROM clients WHERE restricted = 1)
    UNION ALL SELECT id FROM projects WHERE client_id IN (SELECT id FROM clients WHERE restricted = 1)
    UNION ALL SELECT id FROM jobs WHERE client_id IN (SELECT id FROM clients WHERE restricted = 1);
