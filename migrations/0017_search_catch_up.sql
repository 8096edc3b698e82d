-- Why: the search index may trail the tables, so that a write does not pay
-- for indexing its text in the same commit (an FTS5 segment flushed per
-- transaction: a pulled page, a saved form). A write now only queues the
-- record in search_pending; `Workspace::catch_up_search_index`
-- (crates/core/src/search.rs) indexes the queue in large batches, and every
-- search runs it first, so a record saved a moment ago is always found.
-- What must never trail: a deleted, soft-deleted, erased or rewritten
-- record's old text leaves the index in the same statement, as before
-- (secure-delete), and a deleted record leaves the queue.
-- The queue is written with NOT EXISTS rather than INSERT OR IGNORE: inside
-- a trigger fired by an upsert (custom values are written so), SQLite turns
-- OR IGNORE into the upsert's ABORT and the duplicate key fails the write.
-- The texts each kind is indexed with live in search.rs (INDEXED_KINDS), one
-- place for the catch-up and for `bidwell doctor`'s check of the index.

CREATE TABLE search_pending (
    -- search_doc.entity_id of the document to (re)build: a record id, or
    -- 'cv:<field>:<record>' for a custom field's value.
    doc_key   TEXT PRIMARY KEY NOT NULL,
    -- The record's kind, or 'value' for a custom field's value.
    kind      TEXT NOT NULL,
    field_id  TEXT,
    record_id TEXT
) WITHOUT ROWID;

DROP TRIGGER clients_search_insert;
CREATE TRIGGER clients_search_insert AFTER INSERT ON clients WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'client' WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;
DROP TRIGGER clients_search_update;
CREATE TRIGGER clients_search_update AFTER UPDATE OF name, email, phone, company, website, country, notes, deleted_at ON clients
WHEN old.name IS NOT new.name OR old.email IS NOT new.email OR old.phone IS NOT new.phone OR old.company IS NOT new.company OR old.website IS NOT new.website OR old.country IS NOT new.country OR old.notes IS NOT new.notes OR old.deleted_at IS NOT new.deleted_at
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    DELETE FROM search_pending WHERE doc_key = old.id AND new.deleted_at IS NOT NULL;
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'client' WHERE new.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;
DROP TRIGGER clients_search_delete;
CREATE TRIGGER clients_search_delete AFTER DELETE ON clients
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    DELETE FROM search_pending WHERE doc_key = old.id;
END;

DROP TRIGGER contacts_search_insert;
CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'contact' WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;
DROP TRIGGER contacts_search_update;
CREATE TRIGGER contacts_search_update AFTER UPDATE OF name, email, phone, role, notes, deleted_at ON contacts
WHEN old.name IS NOT new.name OR old.email IS NOT new.email OR old.phone IS NOT new.phone OR old.role IS NOT new.role OR old.notes IS NOT new.notes OR old.deleted_at IS NOT new.deleted_at
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    DELETE FROM search_pending WHERE doc_key = old.id AND new.deleted_at IS NOT NULL;
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'contact' WHERE new.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;
DROP TRIGGER contacts_search_delete;
CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    DELETE FROM search_pending WHERE doc_key = old.id;
END;

DROP TRIGGER projects_search_insert;
CREATE TRIGGER projects_search_insert AFTER INSERT ON projects WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'project' WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;
DROP TRIGGER projects_search_update;
CREATE TRIGGER projects_search_update AFTER UPDATE OF name, description, deleted_at ON projects
WHEN old.name IS NOT new.name OR old.description IS NOT new.description OR old.deleted_at IS NOT new.deleted_at
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    DELETE FROM search_pending WHERE doc_key = old.id AND new.deleted_at IS NOT NULL;
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'project' WHERE new.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;
DROP TRIGGER projects_search_delete;
CREATE TRIGGER projects_search_delete AFTER DELETE ON projects
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    DELETE FROM search_pending WHERE doc_key = old.id;
END;

DROP TRIGGER jobs_search_insert;
CREATE TRIGGER jobs_search_insert AFTER INSERT ON jobs WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'job' WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;
DROP TRIGGER jobs_search_update;
CREATE TRIGGER jobs_search_update AFTER UPDATE OF title, description, employer_name, my_notes, skills, deleted_at ON jobs
WHEN old.title IS NOT new.title OR old.description IS NOT new.description OR old.employer_name IS NOT new.employer_name OR old.my_notes IS NOT new.my_notes OR old.skills IS NOT new.skills OR old.deleted_at IS NOT new.deleted_at
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    DELETE FROM search_pending WHERE doc_key = old.id AND new.deleted_at IS NOT NULL;
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'job' WHERE new.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
    -- A bid is found by its job's title.
    INSERT INTO search_pending (doc_key, kind)
        SELECT b.id, 'bid' FROM bids b WHERE b.job_id = new.id AND b.deleted_at IS NULL AND old.title IS NOT new.title
        AND NOT EXISTS (SELECT 1 FROM search_pending p WHERE p.doc_key = b.id);
END;
DROP TRIGGER jobs_search_delete;
CREATE TRIGGER jobs_search_delete AFTER DELETE ON jobs
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    DELETE FROM search_pending WHERE doc_key = old.id;
END;

DROP TRIGGER bids_search_insert;
CREATE TRIGGER bids_search_insert AFTER INSERT ON bids WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'bid' WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;
DROP TRIGGER bids_search_update;
CREATE TRIGGER bids_search_update AFTER UPDATE OF proposal, job_id, deleted_at ON bids
WHEN old.proposal IS NOT new.proposal OR old.job_id IS NOT new.job_id OR old.deleted_at IS NOT new.deleted_at
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    DELETE FROM search_pending WHERE doc_key = old.id AND new.deleted_at IS NOT NULL;
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'bid' WHERE new.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;
DROP TRIGGER bids_search_delete;
CREATE TRIGGER bids_search_delete AFTER DELETE ON bids
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    DELETE FROM search_pending WHERE doc_key = old.id;
END;

DROP TRIGGER milestones_search_insert;
CREATE TRIGGER milestones_search_insert AFTER INSERT ON milestones WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'milestone' WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;
DROP TRIGGER milestones_search_update;
CREATE TRIGGER milestones_search_update AFTER UPDATE OF title, deleted_at ON milestones
WHEN old.title IS NOT new.title OR old.deleted_at IS NOT new.deleted_at
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    DELETE FROM search_pending WHERE doc_key = old.id AND new.deleted_at IS NOT NULL;
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'milestone' WHERE new.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;
DROP TRIGGER milestones_search_delete;
CREATE TRIGGER milestones_search_delete AFTER DELETE ON milestones
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    DELETE FROM search_pending WHERE doc_key = old.id;
END;

DROP TRIGGER activities_search_insert;
CREATE TRIGGER activities_search_insert AFTER INSERT ON activities WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'activity' WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;
DROP TRIGGER activities_search_update;
CREATE TRIGGER activities_search_update AFTER UPDATE OF kind, body, deleted_at ON activities
WHEN old.kind IS NOT new.kind OR old.body IS NOT new.body OR old.deleted_at IS NOT new.deleted_at
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    DELETE FROM search_pending WHERE doc_key = old.id AND new.deleted_at IS NOT NULL;
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'activity' WHERE new.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;
DROP TRIGGER activities_search_delete;
CREATE TRIGGER activities_search_delete AFTER DELETE ON activities
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    DELETE FROM search_pending WHERE doc_key = old.id;
END;

DROP TRIGGER tasks_search_insert;
CREATE TRIGGER tasks_search_insert AFTER INSERT ON tasks WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'task' WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;
DROP TRIGGER tasks_search_update;
CREATE TRIGGER tasks_search_update AFTER UPDATE OF title, notes, deleted_at ON tasks
WHEN old.title IS NOT new.title OR old.notes IS NOT new.notes OR old.deleted_at IS NOT new.deleted_at
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    DELETE FROM search_pending WHERE doc_key = old.id AND new.deleted_at IS NOT NULL;
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'task' WHERE new.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;
DROP TRIGGER tasks_search_delete;
CREATE TRIGGER tasks_search_delete AFTER DELETE ON tasks
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    DELETE FROM search_pending WHERE doc_key = old.id;
END;

DROP TRIGGER custom_values_search_insert;
CREATE TRIGGER custom_values_search_insert AFTER INSERT ON custom_values
BEGIN
    INSERT INTO search_pending (doc_key, kind, field_id, record_id)
        SELECT 'cv:' || new.field_id || ':' || new.entity_id, 'value', new.field_id, new.entity_id
        WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = 'cv:' || new.field_id || ':' || new.entity_id);
END;
DROP TRIGGER custom_values_search_update;
CREATE TRIGGER custom_values_search_update AFTER UPDATE OF value ON custom_values WHEN old.value IS NOT new.value
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = 'cv:' || old.field_id || ':' || old.entity_id);
    DELETE FROM search_doc WHERE entity_id = 'cv:' || old.field_id || ':' || old.entity_id;
    INSERT INTO search_pending (doc_key, kind, field_id, record_id)
        SELECT 'cv:' || new.field_id || ':' || new.entity_id, 'value', new.field_id, new.entity_id
        WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = 'cv:' || new.field_id || ':' || new.entity_id);
END;
DROP TRIGGER custom_values_search_delete;
CREATE TRIGGER custom_values_search_delete AFTER DELETE ON custom_values
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = 'cv:' || old.field_id || ':' || old.entity_id);
    DELETE FROM search_doc WHERE entity_id = 'cv:' || old.field_id || ':' || old.entity_id;
    DELETE FROM search_pending WHERE doc_key = 'cv:' || old.field_id || ':' || old.entity_id;
END;
