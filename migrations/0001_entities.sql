-- Why: the CRM's own records. Times are UTC RFC 3339 text, money is integer
-- minor units plus an ISO 4217 code, ids are UUIDv7 text. Synced tables carry
-- source + external_id (unique together, nothing else unique) and every
-- user-visible table soft-deletes through deleted_at.

CREATE TABLE clients (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('person', 'company')),
    name        TEXT NOT NULL COLLATE NOCASE,
    email       TEXT,
    phone       TEXT,
    company     TEXT,
    website     TEXT,
    country     TEXT,
    notes       TEXT NOT NULL DEFAULT '',
    restricted  INTEGER NOT NULL DEFAULT 0 CHECK (restricted IN (0, 1)),
    archived_at TEXT,
    source      TEXT,
    external_id TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
);
CREATE UNIQUE INDEX clients_external ON clients (source, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX clients_by_name ON clients (name, id) WHERE deleted_at IS NULL;
CREATE INDEX clients_by_updated ON clients (updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE contacts (
    id         TEXT PRIMARY KEY NOT NULL,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name       TEXT NOT NULL COLLATE NOCASE,
    email      TEXT,
    phone      TEXT,
    role       TEXT,
    notes      TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX contacts_by_client ON contacts (client_id, id);
CREATE INDEX contacts_by_name ON contacts (name, id) WHERE deleted_at IS NULL;

CREATE TABLE projects (
    id           TEXT PRIMARY KEY NOT NULL,
    client_id    TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name         TEXT NOT NULL COLLATE NOCASE,
    status       TEXT NOT NULL CHECK (status IN ('lead', 'active', 'on_hold', 'completed', 'cancelled')),
    rate_type    TEXT NOT NULL CHECK (rate_type IN ('fixed', 'hourly')),
    budget_minor INTEGER,
    currency     TEXT,
    start_date   TEXT,
    due_date     TEXT,
    description  TEXT NOT NULL DEFAULT '',
    source       TEXT,
    external_id  TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted_at   TEXT,
    CHECK ((budget_minor IS NULL) = (currency IS NULL))
);
CREATE UNIQUE INDEX projects_external ON projects (source, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX projects_by_client ON projects (client_id, id);
CREATE INDEX projects_by_name ON projects (name, id) WHERE deleted_at IS NULL;

-- Marketplace postings: the server owns title..posted_at; saved, hidden and
-- my_notes are the user's.
CREATE TABLE jobs (
    id               TEXT PRIMARY KEY NOT NULL,
    client_id        TEXT REFERENCES clients (id) ON DELETE SET NULL,
    title            TEXT NOT NULL COLLATE NOCASE,
    description      TEXT NOT NULL DEFAULT '',
    url              TEXT,
    budget_kind      TEXT NOT NULL CHECK (budget_kind IN ('fixed', 'hourly')),
    budget_min_minor INTEGER,
    budget_max_minor INTEGER,
    currency         TEXT,
    skills           TEXT NOT NULL DEFAULT '[]',
    employer_name    TEXT,
    posted_at        TEXT,
    saved            INTEGER NOT NULL DEFAULT 0 CHECK (saved IN (0, 1)),
    hidden           INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    my_notes         TEXT NOT NULL DEFAULT '',
    source           TEXT,
    external_id      TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT
);
CREATE UNIQUE INDEX jobs_external ON jobs (source, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX jobs_by_client ON jobs (client_id, id);
CREATE INDEX jobs_by_title ON jobs (title, id) WHERE deleted_at IS NULL;

CREATE TABLE bids (
    id             TEXT PRIMARY KEY NOT NULL,
    job_id         TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    project_id     TEXT REFERENCES projects (id) ON DELETE SET NULL,
    status         TEXT NOT NULL CHECK (status IN ('draft', 'queued', 'submitted', 'shortlisted', 'awarded', 'rejected', 'withdrawn', 'failed')),
    amount_minor   INTEGER NOT NULL CHECK (amount_minor > 0),
    currency       TEXT NOT NULL,
    delivery_days  INTEGER NOT NULL CHECK (delivery_days > 0),
    proposal       TEXT NOT NULL DEFAULT '',
    submitted_at   TEXT,
    server_version INTEGER,
    source         TEXT,
    external_id    TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    deleted_at     TEXT
);
CREATE UNIQUE INDEX bids_external ON bids (source, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX bids_by_job ON bids (job_id, id);
CREATE INDEX bids_by_status ON bids (status, id) WHERE deleted_at IS NULL;

CREATE TABLE milestones (
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
    CHECK (project_id IS NOT NULL OR bid_id IS NOT NULL)
);
CREATE UNIQUE INDEX milestones_external ON milestones (source, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX milestones_by_project ON milestones (project_id, id);
CREATE INDEX milestones_by_bid ON milestones (bid_id, id);

-- Activities and tasks hang off any entity, so their subject is (kind, id)
-- rather than a foreign key; the store removes them with their subject.
CREATE TABLE activities (
    id           TEXT PRIMARY KEY NOT NULL,
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('client', 'contact', 'project', 'job', 'bid', 'milestone')),
    subject_id   TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('note', 'call', 'email', 'meeting', 'message')),
    body         TEXT NOT NULL,
    occurred_at  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted_at   TEXT
);
CREATE INDEX activities_by_subject ON activities (subject_kind, subject_id, occurred_at);

CREATE TABLE tasks (
    id           TEXT PRIMARY KEY NOT NULL,
    title        TEXT NOT NULL COLLATE NOCASE,
    notes        TEXT NOT NULL DEFAULT '',
    due_at       TEXT,
    remind_at    TEXT,
    done_at      TEXT,
    subject_kind TEXT CHECK (subject_kind IN ('client', 'contact', 'project', 'job', 'bid', 'milestone')),
    subject_id   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted_at   TEXT,
    CHECK ((subject_kind IS NULL) = (subject_id IS NULL))
);
CREATE INDEX tasks_by_due ON tasks (due_at, id) WHERE deleted_at IS NULL AND done_at IS NULL;
CREATE INDEX tasks_by_subject ON tasks (subject_kind, subject_id);

-- Tags are local only, so their names may be unique.
CREATE TABLE tags (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at TEXT NOT NULL
);
CREATE TABLE entity_tags (
    tag_id      TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    entity_kind TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    PRIMARY KEY (tag_id, entity_kind, entity_id)
);
CREATE INDEX entity_tags_by_entity ON entity_tags (entity_kind, entity_id);
