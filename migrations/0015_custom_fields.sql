-- Why: custom fields (issue #15). The user defines fields per kind of record
-- in Settings; a record's values are rows of custom_values, so defining a
-- field changes no table. A value is stored as text in its canonical form (a
-- number without grouping, a date as YYYY-MM-DD, money as "1250.00 USD", a
-- choice as the choice is spelled), so it filters, sorts and exports the
-- same everywhere. A field's values go with it (the app asks first).

CREATE TABLE custom_fields (
    id          TEXT PRIMARY KEY NOT NULL,
    entity_kind TEXT NOT NULL CHECK (entity_kind IN ('client', 'contact', 'project', 'job', 'bid', 'milestone')),
    name        TEXT NOT NULL COLLATE NOCASE,
    field_type  TEXT NOT NULL CHECK (field_type IN ('text', 'number', 'date', 'choice', 'money', 'link')),
    -- A JSON array of the allowed values of a choice field; [] otherwise.
    choices     TEXT NOT NULL DEFAULT '[]',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (entity_kind, name)
);

CREATE TABLE custom_values (
    field_id  TEXT NOT NULL REFERENCES custom_fields (id) ON DELETE CASCADE,
    entity_id TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (field_id, entity_id)
);
CREATE INDEX custom_values_by_entity ON custom_values (entity_id);
CREATE INDEX custom_values_by_value ON custom_values (field_id, value COLLATE NOCASE);

-- A value is found by search as the record it belongs to: it is a document
-- of its own (entity_id 'cv:<field>:<record>') whose record_id names the
-- record. Search leaves out documents whose record has left the index
-- (deleted) or is restricted.
ALTER TABLE search_doc ADD COLUMN record_id TEXT;

CREATE TRIGGER custom_values_search_insert AFTER INSERT ON custom_values
BEGIN
    INSERT INTO search_doc (kind, entity_id, record_id)
        SELECT entity_kind, 'cv:' || new.field_id || ':' || new.entity_id, new.entity_id FROM custom_fields WHERE id = new.field_id;
    INSERT INTO search_fts (rowid, title, body) VALUES (last_insert_rowid(), '', new.value);
END;
CREATE TRIGGER custom_values_search_update AFTER UPDATE OF value ON custom_values WHEN old.value IS NOT new.value
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = 'cv:' || old.field_id || ':' || old.entity_id);
    INSERT INTO search_fts (rowid, title, body)
        SELECT doc_id, '', new.value FROM search_doc WHERE entity_id = 'cv:' || new.field_id || ':' || new.entity_id;
END;
CREATE TRIGGER custom_values_search_delete AFTER DELETE ON custom_values
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = 'cv:' || old.field_id || ':' || old.entity_id);
    DELETE FROM search_doc WHERE entity_id = 'cv:' || old.field_id || ':' || old.entity_id;
END;
