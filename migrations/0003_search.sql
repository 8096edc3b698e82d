-- Why: one full-text index over the searchable text of every entity, so a
-- search is one query. search_doc gives each indexed row a stable integer
-- rowid for the FTS5 table (entity ids are text); triggers keep both in step
-- in the same transaction as the change, and a soft-deleted row leaves the
-- index until it is restored. secure-delete makes FTS5 overwrite removed
-- entries instead of leaving them in its b-tree, so erased text is gone.

CREATE TABLE search_doc (
    doc_id    INTEGER PRIMARY KEY,
    kind      TEXT NOT NULL,
    entity_id TEXT NOT NULL UNIQUE
);

CREATE VIRTUAL TABLE search_fts USING fts5 (
    title,
    body,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
INSERT INTO search_fts (search_fts, rank) VALUES ('secure-delete', 1);

CREATE TRIGGER clients_search_insert AFTER INSERT ON clients WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO search_doc (kind, entity_id) VALUES ('client', new.id);
    INSERT INTO search_fts (rowid, title, body)
        VALUES (last_insert_rowid(), new.name, concat_ws(' ', new.email, new.phone, new.company, new.website, new.country, new.notes));
END;
CREATE TRIGGER clients_search_update AFTER UPDATE OF name, email, phone, company, website, country, notes, deleted_at ON clients
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    INSERT INTO search_doc (kind, entity_id) SELECT 'client', new.id WHERE new.deleted_at IS NULL;
    INSERT INTO search_fts (rowid, title, body)
        SELECT doc_id, new.name, concat_ws(' ', new.email, new.phone, new.company, new.website, new.country, new.notes) FROM search_doc WHERE entity_id = new.id;
END;
CREATE TRIGGER clients_search_delete AFTER DELETE ON clients
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
END;

CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO search_doc (kind, entity_id) VALUES ('contact', new.id);
    INSERT INTO search_fts (rowid, title, body)
        VALUES (last_insert_rowid(), new.name, concat_ws(' ', new.email, new.phone, new.role, new.notes));
END;
CREATE TRIGGER contacts_search_update AFTER UPDATE OF name, email, phone, role, notes, deleted_at ON contacts
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    INSERT INTO search_doc (kind, entity_id) SELECT 'contact', new.id WHERE new.deleted_at IS NULL;
    INSERT INTO search_fts (rowid, title, body)
        SELECT doc_id, new.name, concat_ws(' ', new.email, new.phone, new.role, new.notes) FROM search_doc WHERE entity_id = new.id;
END;
CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
END;

CREATE TRIGGER projects_search_insert AFTER INSERT ON projects WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO search_doc (kind, entity_id) VALUES ('project', new.id);
    INSERT INTO search_fts (rowid, title, body)
        VALUES (last_insert_rowid(), new.name, concat_ws(' ', new.description));
END;
CREATE TRIGGER projects_search_update AFTER UPDATE OF name, description, deleted_at ON projects
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    INSERT INTO search_doc (kind, entity_id) SELECT 'project', new.id WHERE new.deleted_at IS NULL;
    INSERT INTO search_fts (rowid, title, body)
        SELECT doc_id, new.name, concat_ws(' ', new.description) FROM search_doc WHERE entity_id = new.id;
END;
CREATE TRIGGER projects_search_delete AFTER DELETE ON projects
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
END;

CREATE TRIGGER jobs_search_insert AFTER INSERT ON jobs WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO search_doc (kind, entity_id) VALUES ('job', new.id);
    INSERT INTO search_fts (rowid, title, body)
        VALUES (last_insert_rowid(), new.title, concat_ws(' ', new.description, new.employer_name, new.my_notes, (SELECT group_concat(value, ' ') FROM json_each(new.skills))));
END;
CREATE TRIGGER jobs_search_update AFTER UPDATE OF title, description, employer_name, my_notes, skills, deleted_at ON jobs
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    INSERT INTO search_doc (kind, entity_id) SELECT 'job', new.id WHERE new.deleted_at IS NULL;
    INSERT INTO search_fts (rowid, title, body)
        SELECT doc_id, new.title, concat_ws(' ', new.description, new.employer_name, new.my_notes, (SELECT group_concat(value, ' ') FROM json_each(new.skills))) FROM search_doc WHERE entity_id = new.id;
END;
CREATE TRIGGER jobs_search_delete AFTER DELETE ON jobs
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
END;

CREATE TRIGGER bids_search_insert AFTER INSERT ON bids WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO search_doc (kind, entity_id) VALUES ('bid', new.id);
    INSERT INTO search_fts (rowid, title, body)
        VALUES (last_insert_rowid(), (SELECT title FROM jobs WHERE id = new.job_id), concat_ws(' ', new.proposal));
END;
CREATE TRIGGER bids_search_update AFTER UPDATE OF proposal, job_id, deleted_at ON bids
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    INSERT INTO search_doc (kind, entity_id) SELECT 'bid', new.id WHERE new.deleted_at IS NULL;
    INSERT INTO search_fts (rowid, title, body)
        SELECT doc_id, (SELECT title FROM jobs WHERE id = new.job_id), concat_ws(' ', new.proposal) FROM search_doc WHERE entity_id = new.id;
END;
CREATE TRIGGER bids_search_delete AFTER DELETE ON bids
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
END;

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

CREATE TRIGGER activities_search_insert AFTER INSERT ON activities WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO search_doc (kind, entity_id) VALUES ('activity', new.id);
    INSERT INTO search_fts (rowid, title, body)
        VALUES (last_insert_rowid(), new.kind, concat_ws(' ', new.body));
END;
CREATE TRIGGER activities_search_update AFTER UPDATE OF kind, body, deleted_at ON activities
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    INSERT INTO search_doc (kind, entity_id) SELECT 'activity', new.id WHERE new.deleted_at IS NULL;
    INSERT INTO search_fts (rowid, title, body)
        SELECT doc_id, new.kind, concat_ws(' ', new.body) FROM search_doc WHERE entity_id = new.id;
END;
CREATE TRIGGER activities_search_delete AFTER DELETE ON activities
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
END;

CREATE TRIGGER tasks_search_insert AFTER INSERT ON tasks WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO search_doc (kind, entity_id) VALUES ('task', new.id);
    INSERT INTO search_fts (rowid, title, body)
        VALUES (last_insert_rowid(), new.title, concat_ws(' ', new.notes));
END;
CREATE TRIGGER tasks_search_update AFTER UPDATE OF title, notes, deleted_at ON tasks
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
    INSERT INTO search_doc (kind, entity_id) SELECT 'task', new.id WHERE new.deleted_at IS NULL;
    INSERT INTO search_fts (rowid, title, body)
        SELECT doc_id, new.title, concat_ws(' ', new.notes) FROM search_doc WHERE entity_id = new.id;
END;
CREATE TRIGGER tasks_search_delete AFTER DELETE ON tasks
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = old.id);
    DELETE FROM search_doc WHERE entity_id = old.id;
END;

-- Rows written before this migration are indexed now.
INSERT INTO search_doc (kind, entity_id) SELECT 'client', id FROM clients WHERE deleted_at IS NULL;
INSERT INTO search_fts (rowid, title, body)
    SELECT d.doc_id, src.name, concat_ws(' ', src.email, src.phone, src.company, src.website, src.country, src.notes)
    FROM clients AS src JOIN search_doc AS d ON d.entity_id = src.id;
INSERT INTO search_doc (kind, entity_id) SELECT 'contact', id FROM contacts WHERE deleted_at IS NULL;
INSERT INTO search_fts (rowid, title, body)
    SELECT d.doc_id, src.name, concat_ws(' ', src.email, src.phone, src.role, src.notes)
    FROM contacts AS src JOIN search_doc AS d ON d.entity_id = src.id;
INSERT INTO search_doc (kind, entity_id) SELECT 'project', id FROM projects WHERE deleted_at IS NULL;
INSERT INTO search_fts (rowid, title, body)
    SELECT d.doc_id, src.name, concat_ws(' ', src.description)
    FROM projects AS src JOIN search_doc AS d ON d.entity_id = src.id;
INSERT INTO search_doc (kind, entity_id) SELECT 'job', id FROM jobs WHERE deleted_at IS NULL;
INSERT INTO search_fts (rowid, title, body)
    SELECT d.doc_id, src.title, concat_ws(' ', src.description, src.employer_name, src.my_notes, (SELECT group_concat(value, ' ') FROM json_each(src.skills)))
    FROM jobs AS src JOIN search_doc AS d ON d.entity_id = src.id;
INSERT INTO search_doc (kind, entity_id) SELECT 'bid', id FROM bids WHERE deleted_at IS NULL;
INSERT INTO search_fts (rowid, title, body)
    SELECT d.doc_id, (SELECT title FROM jobs WHERE id = src.job_id), concat_ws(' ', src.proposal)
    FROM bids AS src JOIN search_doc AS d ON d.entity_id = src.id;
INSERT INTO search_doc (kind, entity_id) SELECT 'milestone', id FROM milestones WHERE deleted_at IS NULL;
INSERT INTO search_fts (rowid, title, body)
    SELECT d.doc_id, src.title, ''
    FROM milestones AS src JOIN search_doc AS d ON d.entity_id = src.id;
INSERT INTO search_doc (kind, entity_id) SELECT 'activity', id FROM activities WHERE deleted_at IS NULL;
INSERT INTO search_fts (rowid, title, body)
    SELECT d.doc_id, src.kind, concat_ws(' ', src.body)
    FROM activities AS src JOIN search_doc AS d ON d.entity_id = src.id;
INSERT INTO search_doc (kind, entity_id) SELECT 'task', id FROM tasks WHERE deleted_at IS NULL;
INSERT INTO search_fts (rowid, title, body)
    SELECT d.doc_id, src.title, concat_ws(' ', src.notes)
    FROM tasks AS src JOIN search_doc AS d ON d.entity_id = src.id;
