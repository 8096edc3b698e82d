-- Why: an import of 100 000 clients spent about a third of its time on the
-- search queue: each inserted row queued itself in search_pending (a text
-- key, checked and written per row), and the catch-up read the queue back,
-- joined it to the table and deleted it (issue #16 part 5: the import at 49 %
-- of plain SQLite's rate, against an aim of 50). A writer that inserts many
-- records and indexes them itself, in the same transaction, puts a row in
-- search_queue_paused first and takes it out before it indexes; the insert
-- triggers below do not queue while the row is there. The row only ever
-- exists inside that writer's transaction (a rollback takes it too), so no
-- other connection sees it. Updates, deletes and custom values queue or
-- unindex as before (0017).

CREATE TABLE search_queue_paused (
    paused INTEGER PRIMARY KEY CHECK (paused = 1)
);

DROP TRIGGER clients_search_insert;
CREATE TRIGGER clients_search_insert AFTER INSERT ON clients
WHEN new.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM search_queue_paused)
BEGIN
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'client' WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;

DROP TRIGGER contacts_search_insert;
CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts
WHEN new.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM search_queue_paused)
BEGIN
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'contact' WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;

DROP TRIGGER projects_search_insert;
CREATE TRIGGER projects_search_insert AFTER INSERT ON projects
WHEN new.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM search_queue_paused)
BEGIN
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'project' WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;

DROP TRIGGER jobs_search_insert;
CREATE TRIGGER jobs_search_insert AFTER INSERT ON jobs
WHEN new.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM search_queue_paused)
BEGIN
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'job' WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;

DROP TRIGGER bids_search_insert;
CREATE TRIGGER bids_search_insert AFTER INSERT ON bids
WHEN new.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM search_queue_paused)
BEGIN
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'bid' WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;

DROP TRIGGER milestones_search_insert;
CREATE TRIGGER milestones_search_insert AFTER INSERT ON milestones
WHEN new.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM search_queue_paused)
BEGIN
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'milestone' WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;

DROP TRIGGER activities_search_insert;
CREATE TRIGGER activities_search_insert AFTER INSERT ON activities
WHEN new.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM search_queue_paused)
BEGIN
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'activity' WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;

DROP TRIGGER tasks_search_insert;
CREATE TRIGGER tasks_search_insert AFTER INSERT ON tasks
WHEN new.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM search_queue_paused)
BEGIN
    INSERT INTO search_pending (doc_key, kind)
        SELECT new.id, 'task' WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE doc_key = new.id);
END;
