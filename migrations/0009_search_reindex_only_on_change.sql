-- Why: an UPDATE that names an indexed column re-indexed the row even when
-- the text was unchanged (sync writes a bid's proposal back on every
-- acknowledgement and pull; a re-pulled job rewrites its title). With FTS5
-- secure-delete each re-index rewrites the doclists of all the row's terms,
-- which made pushing 10 000 bids take minutes. The triggers are 0003's with
-- one change: they run only when an indexed value really changed.

DROP TRIGGER clients_search_update;
CREATE TRIGGER clients_search_update AFTER UPDATE OF name, email, phone, company, website, country, notes, deleted_at ON clients
WHEN old.name IS NOT new.name OR old.email IS NOT new.email OR old.phone IS NOT new.phone OR old.company IS NOT new.company OR old.website IS NOT new.website OR old.country IS NOT new.country OR old.notes IS NOT new.notes OR old.deleted_at IS NOT new.deleted_at
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    INSERT INTO search_doc (kind, entity_id) SELECT 'client', new.id WHERE new.deleted_at IS NULL;
    INSERT INTO search_fts (rowid, title, body)
        SELECT doc_id, new.name, concat_ws(' ', new.email, new.phone, new.company, new.website, new.country, new.notes) FROM search_doc WHERE entity_id = new.id;
END;

DROP TRIGGER contacts_search_update;
CREATE TRIGGER contacts_search_update AFTER UPDATE OF name, email, phone, role, notes, deleted_at ON contacts
WHEN old.name IS NOT new.name OR old.email IS NOT new.email OR old.phone IS NOT new.phone OR old.role IS NOT new.role OR old.notes IS NOT new.notes OR old.deleted_at IS NOT new.deleted_at
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    INSERT INTO search_doc (kind, entity_id) SELECT 'contact', new.id WHERE new.deleted_at IS NULL;
    INSERT INTO search_fts (rowid, title, body)
        SELECT doc_id, new.name, concat_ws(' ', new.email, new.phone, new.role, new.notes) FROM search_doc WHERE entity_id = new.id;
END;

DROP TRIGGER projects_search_update;
CREATE TRIGGER projects_search_update AFTER UPDATE OF name, description, deleted_at ON projects
WHEN old.name IS NOT new.name OR old.description IS NOT new.description OR old.deleted_at IS NOT new.deleted_at
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    INSERT INTO search_doc (kind, entity_id) SELECT 'project', new.id WHERE new.deleted_at IS NULL;
    INSERT INTO search_fts (rowid, title, body)
        SELECT doc_id, new.name, concat_ws(' ', new.description) FROM search_doc WHERE entity_id = new.id;
END;

DROP TRIGGER jobs_search_update;
CREATE TRIGGER jobs_search_update AFTER UPDATE OF title, description, employer_name, my_notes, skills, deleted_at ON jobs
WHEN old.title IS NOT new.title OR old.description IS NOT new.description OR old.employer_name IS NOT new.employer_name OR old.my_notes IS NOT new.my_notes OR old.skills IS NOT new.skills OR old.deleted_at IS NOT new.deleted_at
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    INSERT INTO search_doc (kind, entity_id) SELECT 'job', new.id WHERE new.deleted_at IS NULL;
    INSERT INTO search_fts (rowid, title, body)
        SELECT doc_id, new.title, concat_ws(' ', new.description, new.employer_name, new.my_notes, (SELECT group_concat(value, ' ') FROM json_each(new.skills))) FROM search_doc WHERE entity_id = new.id;
END;

DROP TRIGGER bids_search_update;
CREATE TRIGGER bids_search_update AFTER UPDATE OF proposal, job_id, deleted_at ON bids
WHEN old.proposal IS NOT new.proposal OR old.job_id IS NOT new.job_id OR old.deleted_at IS NOT new.deleted_at
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    INSERT INTO search_doc (kind, entity_id) SELECT 'bid', new.id WHERE new.deleted_at IS NULL;
    INSERT INTO search_fts (rowid, title, body)
        SELECT doc_id, (SELECT title FROM jobs WHERE id = new.job_id), concat_ws(' ', new.proposal) FROM search_doc WHERE entity_id = new.id;
END;

DROP TRIGGER milestones_search_update;
CREATE TRIGGER milestones_search_update AFTER UPDATE OF title, deleted_at ON milestones
WHEN old.title IS NOT new.title OR old.deleted_at IS NOT new.deleted_at
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    INSERT INTO search_doc (kind, entity_id) SELECT 'milestone', new.id WHERE new.deleted_at IS NULL;
    INSERT INTO search_fts (rowid, title, body)
        SELECT doc_id, new.title, '' FROM search_doc WHERE entity_id = new.id;
END;

DROP TRIGGER activities_search_update;
CREATE TRIGGER activities_search_update AFTER UPDATE OF kind, body, deleted_at ON activities
WHEN old.kind IS NOT new.kind OR old.body IS NOT new.body OR old.deleted_at IS NOT new.deleted_at
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    INSERT INTO search_doc (kind, entity_id) SELECT 'activity', new.id WHERE new.deleted_at IS NULL;
    INSERT INTO search_fts (rowid, title, body)
        SELECT doc_id, new.kind, concat_ws(' ', new.body) FROM search_doc WHERE entity_id = new.id;
END;

DROP TRIGGER tasks_search_update;
CREATE TRIGGER tasks_search_update AFTER UPDATE OF title, notes, deleted_at ON tasks
WHEN old.title IS NOT new.title OR old.notes IS NOT new.notes OR old.deleted_at IS NOT new.deleted_at
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    INSERT INTO search_doc (kind, entity_id) SELECT 'task', new.id WHERE new.deleted_at IS NULL;
    INSERT INTO search_fts (rowid, title, body)
        SELECT doc_id, new.title, concat_ws(' ', new.notes) FROM search_doc WHERE entity_id = new.id;
END;
