-- 001_init.sql: the whole schema of the record, version 1.
--
-- The file is divided as follows:
--   1. the revision (meta) and the change log (changes);
--   2. the resources and their link tables, with every constraint the data must obey;
--   3. the indexes that serve every filter and default order of the API contract;
--   4. the full-text indexes (FTS5) and the triggers that keep them in sync;
--   5. the triggers that keep ids fixed, updated_at current and the change log written.
--
-- Conventions. Every table is STRICT. Every resource has `id INTEGER PRIMARY KEY` (its rowid),
-- so every other index ends implicitly in id: keyset pagination uses it as the tie-breaker.
-- Lists that the record orders (hosts, on_behalf_of, affiliations, topics, documents) carry a
-- `position` from 1. Times are RFC 3339 UTC text with milliseconds; dates are ISO 8601 and
-- must be real calendar days (date(x, '+0 days') normalizes 2021-02-30 to 2021-03-02, so it
-- equals x only for a real date). Slugs are lower-case ASCII letters, digits and single
-- inner hyphens, with at least one letter so that a slug is never mistaken for an id.
-- Foreign keys are immediate (the import writes parents first) except an organization's
-- parent, which may come later in the same document. Triggers assume recursive_triggers is
-- off (the SQLite default): the touch trigger's own UPDATE must not fire it again.

-- 1. Revision and change log -------------------------------------------------------------

-- One row: the database-wide revision. db_write_begin raises it by one at the start of
-- every write transaction, so the change-log rows written by triggers carry the new value.
-- fts_paused: while a bulk import writes, the full-text triggers of the types whose bit
-- (1 << enum record_type: assembly 1, topic 2, organization 4, person 8, document 16,
-- intervention 64, side event 128) is set do nothing, and the import rebuilds those indexes
-- before it commits. The import sets and clears it inside its own transaction, so no other
-- connection ever sees it set: committed, it is always 0.
CREATE TABLE meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL CHECK (revision >= 0),
    fts_paused INTEGER NOT NULL DEFAULT 0 CHECK (fts_paused >= 0)
) STRICT;
INSERT INTO meta (id, revision) VALUES (1, 0);

-- One row per resource created, updated or deleted in a revision (at most one per resource
-- and revision: an update after a create stays a create, a delete wins). A deleted
-- resource keeps its id and slug here.
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY,
    revision INTEGER NOT NULL CHECK (revision >= 1),
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    op TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    type TEXT NOT NULL CHECK (type IN ('assembly', 'session', 'intervention', 'organization',
                                       'person', 'side_event', 'document', 'topic')),
    resource_id INTEGER NOT NULL,
    slug TEXT
) STRICT;
-- Also serves /v1/changes?since=N (ordered by revision).
CREATE UNIQUE INDEX changes_once ON changes (revision, type, resource_id);
-- "The newest revision that touched this type": max(revision) WHERE type = ? is one seek.
CREATE INDEX changes_type_revision ON changes (type, revision);

-- 2. Resources ---------------------------------------------------------------------------

CREATE TABLE assemblies (
    id INTEGER PRIMARY KEY CHECK (id >= 1),
    slug TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 200
        AND slug GLOB '[a-z0-9]*' AND slug NOT GLOB '*[^a-z0-9-]*' AND slug NOT GLOB '*-'
        AND slug NOT GLOB '*--*' AND slug GLOB '*[a-z]*'),
    name TEXT NOT NULL CHECK (length(name) > 0),
    short_name TEXT NOT NULL CHECK (length(short_name) > 0),
    place TEXT NOT NULL CHECK (length(place) > 0),
    start_date TEXT NOT NULL CHECK (date(start_date, '+0 days') IS start_date),
    end_date TEXT NOT NULL CHECK (date(end_date, '+0 days') IS end_date),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK (end_date >= start_date)
) STRICT;

CREATE TABLE topics (
    id INTEGER PRIMARY KEY CHECK (id >= 1),
    slug TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 200
        AND slug GLOB '[a-z0-9]*' AND slug NOT GLOB '*[^a-z0-9-]*' AND slug NOT GLOB '*-'
        AND slug NOT GLOB '*--*' AND slug GLOB '*[a-z]*'),
    name TEXT NOT NULL CHECK (length(name) > 0),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY CHECK (id >= 1),
    slug TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 200
        AND slug GLOB '[a-z0-9]*' AND slug NOT GLOB '*[^a-z0-9-]*' AND slug NOT GLOB '*-'
        AND slug NOT GLOB '*--*' AND slug GLOB '*[a-z]*'),
    name TEXT NOT NULL CHECK (length(name) > 0),
    kind TEXT NOT NULL CHECK (kind IN ('state', 'court', 'court_organ', 'court_unit', 'ngo',
        'coalition', 'intergovernmental', 'regional_group', 'assembly_body', 'staff_body',
        'government_body', 'other')),
    acronym TEXT CHECK (acronym IS NULL OR length(acronym) > 0),
    -- ISO 3166-1 alpha-2, and only on states (the C validation also checks the code is
    -- assigned; the database checks its shape).
    country_code TEXT CHECK (country_code IS NULL
        OR (kind = 'state' AND length(country_code) = 2 AND country_code GLOB '[A-Z][A-Z]')),
    parent_id INTEGER REFERENCES organizations (id) DEFERRABLE INITIALLY DEFERRED
        CHECK (parent_id IS NOT id),
    coalition_member INTEGER NOT NULL DEFAULT 0 CHECK (coalition_member IN (0, 1)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- An organization may not be its own ancestor. Every edge is checked when it is written, so
-- the edge that would close a cycle always sees the rest of it.
CREATE TRIGGER organizations_no_cycle_insert BEFORE INSERT ON organizations
WHEN NEW.parent_id IS NOT NULL BEGIN
    SELECT RAISE(ABORT, 'organization parent cycle') WHERE EXISTS (
        WITH RECURSIVE up (id) AS (
            SELECT NEW.parent_id
            UNION
            SELECT o.parent_id FROM organizations o JOIN up ON o.id = up.id
            WHERE o.parent_id IS NOT NULL)
        SELECT 1 FROM up WHERE id = NEW.id);
END;
CREATE TRIGGER organizations_no_cycle_update BEFORE UPDATE OF parent_id ON organizations
WHEN NEW.parent_id IS NOT NULL BEGIN
    SELECT RAISE(ABORT, 'organization parent cycle') WHERE EXISTS (
        WITH RECURSIVE up (id) AS (
            SELECT NEW.parent_id
            UNION
            SELECT o.parent_id FROM organizations o JOIN up ON o.id = up.id
            WHERE o.parent_id IS NOT NULL)
        SELECT 1 FROM up WHERE id = NEW.id);
END;

CREATE TABLE people (
    id INTEGER PRIMARY KEY CHECK (id >= 1),
    slug TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 200
        AND slug GLOB '[a-z0-9]*' AND slug NOT GLOB '*[^a-z0-9-]*' AND slug NOT GLOB '*-'
        AND slug NOT GLOB '*--*' AND slug GLOB '*[a-z]*'),
    name TEXT NOT NULL CHECK (length(name) > 0),
    honorific TEXT CHECK (honorific IS NULL OR length(honorific) > 0),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- A person's affiliations, in the order the record gives them.
CREATE TABLE affiliations (
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 1),
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    title TEXT CHECK (title IS NULL OR length(title) > 0),
    PRIMARY KEY (person_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE documents (
    id INTEGER PRIMARY KEY CHECK (id >= 1),
    slug TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 200
        AND slug GLOB '[a-z0-9]*' AND slug NOT GLOB '*[^a-z0-9-]*' AND slug NOT GLOB '*-'
        AND slug NOT GLOB '*--*' AND slug GLOB '*[a-z]*'),
    title TEXT NOT NULL CHECK (length(title) > 0),
    kind TEXT NOT NULL CHECK (kind IN ('report', 'matrix', 'statement', 'letter', 'paper',
        'list', 'other')),
    date TEXT CHECK (date IS NULL OR date(date, '+0 days') IS date),
    url TEXT CHECK (url IS NULL OR url GLOB 'http://?*' OR url GLOB 'https://?*'),
    assembly_id INTEGER NOT NULL REFERENCES assemblies (id),
    author_id INTEGER REFERENCES organizations (id),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY CHECK (id >= 1),
    slug TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 200
        AND slug GLOB '[a-z0-9]*' AND slug NOT GLOB '*[^a-z0-9-]*' AND slug NOT GLOB '*-'
        AND slug NOT GLOB '*--*' AND slug GLOB '*[a-z]*'),
    assembly_id INTEGER NOT NULL REFERENCES assemblies (id),
    date TEXT NOT NULL CHECK (date(date, '+0 days') IS date),
    kind TEXT NOT NULL CHECK (kind IN ('plenary', 'general_debate', 'other')),
    title TEXT NOT NULL CHECK (length(title) > 0),
    theme TEXT CHECK (theme IS NULL OR length(theme) > 0),
    part_of_day TEXT CHECK (part_of_day IS NULL
        OR part_of_day IN ('morning', 'afternoon', 'evening')),
    position INTEGER NOT NULL CHECK (position >= 1),
    summary TEXT CHECK (summary IS NULL OR length(summary) > 0),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
-- A session's position is its order within its assembly's day.
CREATE UNIQUE INDEX sessions_assembly_date_position ON sessions (assembly_id, date, position);

-- The ordered parts of a session. (session_id, id) is unique so that an intervention's
-- segment can be required to belong to the intervention's own session.
CREATE TABLE segments (
    id INTEGER PRIMARY KEY CHECK (id >= 1),
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 1),
    title TEXT NOT NULL CHECK (length(title) > 0),
    summary TEXT CHECK (summary IS NULL OR length(summary) > 0)
) STRICT;
CREATE UNIQUE INDEX segments_session_position ON segments (session_id, position);
CREATE UNIQUE INDEX segments_session_id ON segments (session_id, id);

CREATE TABLE session_documents (
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 1),
    document_id INTEGER NOT NULL REFERENCES documents (id),
    PRIMARY KEY (session_id, position),
    UNIQUE (session_id, document_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE session_topics (
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 1),
    topic_id INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    PRIMARY KEY (session_id, position),
    UNIQUE (session_id, topic_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE interventions (
    id INTEGER PRIMARY KEY CHECK (id >= 1),
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    segment_id INTEGER,
    position INTEGER NOT NULL CHECK (position >= 1),
    speaker_id INTEGER REFERENCES people (id),
    organization_id INTEGER REFERENCES organizations (id),
    role TEXT CHECK (role IS NULL OR length(role) > 0),
    summary TEXT CHECK (summary IS NULL OR length(summary) > 0),
    statement_url TEXT CHECK (statement_url IS NULL OR statement_url GLOB 'http://?*'
        OR statement_url GLOB 'https://?*'),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- the segment, when there is one, is a segment of this intervention's session
    FOREIGN KEY (session_id, segment_id) REFERENCES segments (session_id, id),
    -- somebody took the floor: a person, or at least the organization whose turn it was
    CHECK (speaker_id IS NOT NULL OR organization_id IS NOT NULL)
) STRICT;
-- The order of delivery within a session; also the default order of /v1/interventions.
CREATE UNIQUE INDEX interventions_session_position ON interventions (session_id, position);

CREATE TABLE intervention_on_behalf_of (
    intervention_id INTEGER NOT NULL REFERENCES interventions (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 1),
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (intervention_id, position),
    UNIQUE (intervention_id, organization_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE intervention_topics (
    intervention_id INTEGER NOT NULL REFERENCES interventions (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 1),
    topic_id INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    PRIMARY KEY (intervention_id, position),
    UNIQUE (intervention_id, topic_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE intervention_documents (
    intervention_id INTEGER NOT NULL REFERENCES interventions (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 1),
    document_id INTEGER NOT NULL REFERENCES documents (id),
    PRIMARY KEY (intervention_id, position),
    UNIQUE (intervention_id, document_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE side_events (
    id INTEGER PRIMARY KEY CHECK (id >= 1),
    slug TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 200
        AND slug GLOB '[a-z0-9]*' AND slug NOT GLOB '*[^a-z0-9-]*' AND slug NOT GLOB '*-'
        AND slug NOT GLOB '*--*' AND slug GLOB '*[a-z]*'),
    title TEXT NOT NULL CHECK (length(title) > 0),
    date TEXT NOT NULL CHECK (date(date, '+0 days') IS date),
    assembly_id INTEGER NOT NULL REFERENCES assemblies (id),
    description TEXT CHECK (description IS NULL OR length(description) > 0),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE TABLE side_event_hosts (
    side_event_id INTEGER NOT NULL REFERENCES side_events (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 1),
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    role TEXT NOT NULL CHECK (role IN ('host', 'co_host')),
    PRIMARY KEY (side_event_id, position),
    UNIQUE (side_event_id, organization_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE side_event_topics (
    side_event_id INTEGER NOT NULL REFERENCES side_events (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 1),
    topic_id INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    PRIMARY KEY (side_event_id, position),
    UNIQUE (side_event_id, topic_id)
) STRICT, WITHOUT ROWID;

-- 3. Indexes for the filters and default orders of the contract ---------------------------
-- Default orders: interventions by session then position; sessions by date then position;
-- side events by date then title; everything else by name (COLLATE NOCASE). A filter's
-- index continues with the default order, so a filtered page is read in order, not sorted.

CREATE INDEX assemblies_name ON assemblies (name COLLATE NOCASE);
CREATE INDEX topics_name ON topics (name COLLATE NOCASE);

CREATE INDEX organizations_name ON organizations (name COLLATE NOCASE);
CREATE INDEX organizations_kind ON organizations (kind, name COLLATE NOCASE);
CREATE INDEX organizations_parent ON organizations (parent_id, name COLLATE NOCASE);
CREATE INDEX organizations_country ON organizations (country_code, name COLLATE NOCASE);
CREATE INDEX organizations_coalition ON organizations (coalition_member, name COLLATE NOCASE);

CREATE INDEX people_name ON people (name COLLATE NOCASE);
-- people?organization=
CREATE INDEX affiliations_organization ON affiliations (organization_id, person_id);

CREATE INDEX documents_title ON documents (title COLLATE NOCASE);
CREATE INDEX documents_assembly ON documents (assembly_id, title COLLATE NOCASE);
CREATE INDEX documents_kind ON documents (kind, title COLLATE NOCASE);
CREATE INDEX documents_author ON documents (author_id);

CREATE INDEX sessions_date ON sessions (date, position);
CREATE INDEX sessions_kind ON sessions (kind, date, position);
-- sessions?topic= and the reverse lookups of links
CREATE INDEX session_topics_topic ON session_topics (topic_id, session_id);
CREATE INDEX session_documents_document ON session_documents (document_id, session_id);

CREATE INDEX interventions_segment ON interventions (segment_id);
CREATE INDEX interventions_organization ON interventions (organization_id, session_id, position);
CREATE INDEX interventions_speaker ON interventions (speaker_id, session_id, position);
CREATE INDEX intervention_on_behalf_of_organization
    ON intervention_on_behalf_of (organization_id, intervention_id);
CREATE INDEX intervention_topics_topic ON intervention_topics (topic_id, intervention_id);
CREATE INDEX intervention_documents_document
    ON intervention_documents (document_id, intervention_id);

CREATE INDEX side_events_date ON side_events (date, title);
CREATE INDEX side_events_assembly ON side_events (assembly_id, date, title);
CREATE INDEX side_event_hosts_organization
    ON side_event_hosts (organization_id, role, side_event_id);
CREATE INDEX side_event_topics_topic ON side_event_topics (topic_id, side_event_id);

-- 4. Full-text search ----------------------------------------------------------------------
-- External-content FTS5 tables (no second copy of the text) over each resource's text,
-- except sessions, whose row also holds the text of its segments and so keeps its own copy.
-- An external-content table must be told the exact old text to remove ('delete'): every
-- trigger below passes the values as they were indexed. Each trigger of an external-content
-- table stands still while its type's bit of meta.fts_paused is set (a bulk import, which
-- then rebuilds the index whole: FTS5 flushes its pending terms at every statement, so
-- indexing a million rows one statement each costs three times what one rebuild does).

CREATE VIRTUAL TABLE assemblies_fts USING fts5 (name, short_name, place,
    content = 'assemblies', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
CREATE TRIGGER assemblies_fts_insert AFTER INSERT ON assemblies
WHEN ((SELECT fts_paused FROM meta) & 1) = 0 BEGIN
    INSERT INTO assemblies_fts (rowid, name, short_name, place)
    VALUES (NEW.id, NEW.name, NEW.short_name, NEW.place);
END;
CREATE TRIGGER assemblies_fts_delete AFTER DELETE ON assemblies
WHEN ((SELECT fts_paused FROM meta) & 1) = 0 BEGIN
    INSERT INTO assemblies_fts (assemblies_fts, rowid, name, short_name, place)
    VALUES ('delete', OLD.id, OLD.name, OLD.short_name, OLD.place);
END;
CREATE TRIGGER assemblies_fts_update AFTER UPDATE OF name, short_name, place ON assemblies
WHEN ((SELECT fts_paused FROM meta) & 1) = 0 AND (NEW.name IS NOT OLD.name
    OR NEW.short_name IS NOT OLD.short_name OR NEW.place IS NOT OLD.place) BEGIN
    INSERT INTO assemblies_fts (assemblies_fts, rowid, name, short_name, place)
    VALUES ('delete', OLD.id, OLD.name, OLD.short_name, OLD.place);
    INSERT INTO assemblies_fts (rowid, name, short_name, place)
    VALUES (NEW.id, NEW.name, NEW.short_name, NEW.place);
END;

CREATE VIRTUAL TABLE topics_fts USING fts5 (name,
    content = 'topics', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
CREATE TRIGGER topics_fts_insert AFTER INSERT ON topics
WHEN ((SELECT fts_paused FROM meta) & 2) = 0 BEGIN
    INSERT INTO topics_fts (rowid, name) VALUES (NEW.id, NEW.name);
END;
CREATE TRIGGER topics_fts_delete AFTER DELETE ON topics
WHEN ((SELECT fts_paused FROM meta) & 2) = 0 BEGIN
    INSERT INTO topics_fts (topics_fts, rowid, name) VALUES ('delete', OLD.id, OLD.name);
END;
CREATE TRIGGER topics_fts_update AFTER UPDATE OF name ON topics
WHEN ((SELECT fts_paused FROM meta) & 2) = 0 AND (NEW.name IS NOT OLD.name) BEGIN
    INSERT INTO topics_fts (topics_fts, rowid, name) VALUES ('delete', OLD.id, OLD.name);
    INSERT INTO topics_fts (rowid, name) VALUES (NEW.id, NEW.name);
END;

CREATE VIRTUAL TABLE organizations_fts USING fts5 (name, acronym,
    content = 'organizations', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
CREATE TRIGGER organizations_fts_insert AFTER INSERT ON organizations
WHEN ((SELECT fts_paused FROM meta) & 4) = 0 BEGIN
    INSERT INTO organizations_fts (rowid, name, acronym) VALUES (NEW.id, NEW.name, NEW.acronym);
END;
CREATE TRIGGER organizations_fts_delete AFTER DELETE ON organizations
WHEN ((SELECT fts_paused FROM meta) & 4) = 0 BEGIN
    INSERT INTO organizations_fts (organizations_fts, rowid, name, acronym)
    VALUES ('delete', OLD.id, OLD.name, OLD.acronym);
END;
CREATE TRIGGER organizations_fts_update AFTER UPDATE OF name, acronym ON organizations
WHEN ((SELECT fts_paused FROM meta) & 4) = 0
    AND (NEW.name IS NOT OLD.name OR NEW.acronym IS NOT OLD.acronym) BEGIN
    INSERT INTO organizations_fts (organizations_fts, rowid, name, acronym)
    VALUES ('delete', OLD.id, OLD.name, OLD.acronym);
    INSERT INTO organizations_fts (rowid, name, acronym) VALUES (NEW.id, NEW.name, NEW.acronym);
END;

CREATE VIRTUAL TABLE people_fts USING fts5 (name,
    content = 'people', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
CREATE TRIGGER people_fts_insert AFTER INSERT ON people
WHEN ((SELECT fts_paused FROM meta) & 8) = 0 BEGIN
    INSERT INTO people_fts (rowid, name) VALUES (NEW.id, NEW.name);
END;
CREATE TRIGGER people_fts_delete AFTER DELETE ON people
WHEN ((SELECT fts_paused FROM meta) & 8) = 0 BEGIN
    INSERT INTO people_fts (people_fts, rowid, name) VALUES ('delete', OLD.id, OLD.name);
END;
CREATE TRIGGER people_fts_update AFTER UPDATE OF name ON people
WHEN ((SELECT fts_paused FROM meta) & 8) = 0 AND (NEW.name IS NOT OLD.name) BEGIN
    INSERT INTO people_fts (people_fts, rowid, name) VALUES ('delete', OLD.id, OLD.name);
    INSERT INTO people_fts (rowid, name) VALUES (NEW.id, NEW.name);
END;

CREATE VIRTUAL TABLE documents_fts USING fts5 (title,
    content = 'documents', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents
WHEN ((SELECT fts_paused FROM meta) & 16) = 0 BEGIN
    INSERT INTO documents_fts (rowid, title) VALUES (NEW.id, NEW.title);
END;
CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents
WHEN ((SELECT fts_paused FROM meta) & 16) = 0 BEGIN
    INSERT INTO documents_fts (documents_fts, rowid, title) VALUES ('delete', OLD.id, OLD.title);
END;
CREATE TRIGGER documents_fts_update AFTER UPDATE OF title ON documents
WHEN ((SELECT fts_paused FROM meta) & 16) = 0 AND (NEW.title IS NOT OLD.title) BEGIN
    INSERT INTO documents_fts (documents_fts, rowid, title) VALUES ('delete', OLD.id, OLD.title);
    INSERT INTO documents_fts (rowid, title) VALUES (NEW.id, NEW.title);
END;

CREATE VIRTUAL TABLE side_events_fts USING fts5 (title, description,
    content = 'side_events', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
CREATE TRIGGER side_events_fts_insert AFTER INSERT ON side_events
WHEN ((SELECT fts_paused FROM meta) & 128) = 0 BEGIN
    INSERT INTO side_events_fts (rowid, title, description)
    VALUES (NEW.id, NEW.title, NEW.description);
END;
CREATE TRIGGER side_events_fts_delete AFTER DELETE ON side_events
WHEN ((SELECT fts_paused FROM meta) & 128) = 0 BEGIN
    INSERT INTO side_events_fts (side_events_fts, rowid, title, description)
    VALUES ('delete', OLD.id, OLD.title, OLD.description);
END;
CREATE TRIGGER side_events_fts_update AFTER UPDATE OF title, description ON side_events
WHEN ((SELECT fts_paused FROM meta) & 128) = 0
    AND (NEW.title IS NOT OLD.title OR NEW.description IS NOT OLD.description) BEGIN
    INSERT INTO side_events_fts (side_events_fts, rowid, title, description)
    VALUES ('delete', OLD.id, OLD.title, OLD.description);
    INSERT INTO side_events_fts (rowid, title, description)
    VALUES (NEW.id, NEW.title, NEW.description);
END;

-- Sessions: title, theme, summary, and the titles and summaries of the segments in order.
-- Few rows, so the table keeps its own copy and a change simply rewrites the session's row.
CREATE VIRTUAL TABLE sessions_fts USING fts5 (title, theme, summary, segments,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
CREATE TRIGGER sessions_fts_insert AFTER INSERT ON sessions BEGIN
    INSERT INTO sessions_fts (rowid, title, theme, summary, segments)
    VALUES (NEW.id, NEW.title, NEW.theme, NEW.summary, NULL);
END;
CREATE TRIGGER sessions_fts_delete AFTER DELETE ON sessions BEGIN
    DELETE FROM sessions_fts WHERE rowid = OLD.id;
END;
CREATE TRIGGER sessions_fts_update AFTER UPDATE OF title, theme, summary ON sessions
WHEN NEW.title IS NOT OLD.title OR NEW.theme IS NOT OLD.theme
    OR NEW.summary IS NOT OLD.summary BEGIN
    UPDATE sessions_fts SET title = NEW.title, theme = NEW.theme, summary = NEW.summary
    WHERE rowid = NEW.id;
END;
CREATE TRIGGER segments_fts_insert AFTER INSERT ON segments BEGIN
    UPDATE sessions_fts SET segments = (SELECT group_concat(t, ' ') FROM (
        SELECT coalesce(title || ' ' || summary, title) AS t FROM segments
        WHERE session_id = NEW.session_id ORDER BY position))
    WHERE rowid = NEW.session_id;
END;
CREATE TRIGGER segments_fts_update AFTER UPDATE OF title, summary, position ON segments BEGIN
    UPDATE sessions_fts SET segments = (SELECT group_concat(t, ' ') FROM (
        SELECT coalesce(title || ' ' || summary, title) AS t FROM segments
        WHERE session_id = NEW.session_id ORDER BY position))
    WHERE rowid = NEW.session_id;
END;
CREATE TRIGGER segments_fts_delete AFTER DELETE ON segments BEGIN
    UPDATE sessions_fts SET segments = (SELECT group_concat(t, ' ') FROM (
        SELECT coalesce(title || ' ' || summary, title) AS t FROM segments
        WHERE session_id = OLD.session_id ORDER BY position))
    WHERE rowid = OLD.session_id;
END;

-- Interventions: summary and role, with the names of the speaker and of the organization
-- whose turn it was, so that "Finland cooperation" finds Finland's interventions. The
-- content is a view; when a person or organization is renamed, the rows of their
-- interventions are re-indexed with the old name removed and the new one added.
CREATE VIEW interventions_fts_content AS
SELECT i.id AS id, i.summary AS summary, i.role AS role, p.name AS speaker,
       o.name AS organization
FROM interventions i
LEFT JOIN people p ON p.id = i.speaker_id
LEFT JOIN organizations o ON o.id = i.organization_id;

CREATE VIRTUAL TABLE interventions_fts USING fts5 (summary, role, speaker, organization,
    content = 'interventions_fts_content', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
CREATE TRIGGER interventions_fts_insert AFTER INSERT ON interventions
WHEN ((SELECT fts_paused FROM meta) & 64) = 0 BEGIN
    INSERT INTO interventions_fts (rowid, summary, role, speaker, organization)
    VALUES (NEW.id, NEW.summary, NEW.role,
            (SELECT name FROM people WHERE id = NEW.speaker_id),
            (SELECT name FROM organizations WHERE id = NEW.organization_id));
END;
CREATE TRIGGER interventions_fts_delete AFTER DELETE ON interventions
WHEN ((SELECT fts_paused FROM meta) & 64) = 0 BEGIN
    INSERT INTO interventions_fts (interventions_fts, rowid, summary, role, speaker, organization)
    VALUES ('delete', OLD.id, OLD.summary, OLD.role,
            (SELECT name FROM people WHERE id = OLD.speaker_id),
            (SELECT name FROM organizations WHERE id = OLD.organization_id));
END;
CREATE TRIGGER interventions_fts_update
AFTER UPDATE OF summary, role, speaker_id, organization_id ON interventions
WHEN ((SELECT fts_paused FROM meta) & 64) = 0
    AND (NEW.summary IS NOT OLD.summary OR NEW.role IS NOT OLD.role
    OR NEW.speaker_id IS NOT OLD.speaker_id OR NEW.organization_id IS NOT OLD.organization_id)
BEGIN
    INSERT INTO interventions_fts (interventions_fts, rowid, summary, role, speaker, organization)
    VALUES ('delete', OLD.id, OLD.summary, OLD.role,
            (SELECT name FROM people WHERE id = OLD.speaker_id),
            (SELECT name FROM organizations WHERE id = OLD.organization_id));
    INSERT INTO interventions_fts (rowid, summary, role, speaker, organization)
    VALUES (NEW.id, NEW.summary, NEW.role,
            (SELECT name FROM people WHERE id = NEW.speaker_id),
            (SELECT name FROM organizations WHERE id = NEW.organization_id));
END;
CREATE TRIGGER people_fts_interventions AFTER UPDATE OF name ON people
WHEN ((SELECT fts_paused FROM meta) & 64) = 0 AND NEW.name IS NOT OLD.name BEGIN
    INSERT INTO interventions_fts (interventions_fts, rowid, summary, role, speaker, organization)
    SELECT 'delete', i.id, i.summary, i.role, OLD.name, o.name
    FROM interventions i LEFT JOIN organizations o ON o.id = i.organization_id
    WHERE i.speaker_id = NEW.id;
    INSERT INTO interventions_fts (rowid, summary, role, speaker, organization)
    SELECT i.id, i.summary, i.role, NEW.name, o.name
    FROM interventions i LEFT JOIN organizations o ON o.id = i.organization_id
    WHERE i.speaker_id = NEW.id;
END;
CREATE TRIGGER organizations_fts_interventions AFTER UPDATE OF name ON organizations
WHEN ((SELECT fts_paused FROM meta) & 64) = 0 AND NEW.name IS NOT OLD.name BEGIN
    INSERT INTO interventions_fts (interventions_fts, rowid, summary, role, speaker, organization)
    SELECT 'delete', i.id, i.summary, i.role, p.name, OLD.name
    FROM interventions i LEFT JOIN people p ON p.id = i.speaker_id
    WHERE i.organization_id = NEW.id;
    INSERT INTO interventions_fts (rowid, summary, role, speaker, organization)
    SELECT i.id, i.summary, i.role, p.name, NEW.name
    FROM interventions i LEFT JOIN people p ON p.id = i.speaker_id
    WHERE i.organization_id = NEW.id;
END;

-- 5. Ids, timestamps and the change log -------------------------------------------------------
-- Each resource: its id never changes; an UPDATE that does not itself set updated_at is
-- followed by one that does (the touch); created/updated/deleted rows are logged under the
-- current revision. The log triggers skip the touch's own UPDATE (it changes updated_at).
-- A change to a link table (affiliations, segments, hosts, on_behalf_of, topics, documents)
-- is logged as an update of the resource it belongs to, and touches that resource's
-- updated_at, unless the resource is already in the log of this revision: then the trigger
-- stops at its WHEN (one index probe), so that a resource created with its lists is written
-- once (created_at = updated_at) and a bulk import pays little for its millions of links.

-- assemblies: the id never changes; updated_at follows every change; the change log
CREATE TRIGGER assemblies_id_fixed BEFORE UPDATE OF id ON assemblies
WHEN NEW.id IS NOT OLD.id BEGIN
    SELECT RAISE(ABORT, 'assembly ids never change');
END;
CREATE TRIGGER assemblies_touch AFTER UPDATE ON assemblies
WHEN NEW.updated_at IS OLD.updated_at BEGIN
    UPDATE assemblies SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.id;
END;
CREATE TRIGGER assemblies_log_insert AFTER INSERT ON assemblies BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'create', 'assembly', NEW.id, NEW.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE
    SET op = CASE op WHEN 'delete' THEN 'update' ELSE op END, slug = excluded.slug;
END;
CREATE TRIGGER assemblies_log_update AFTER UPDATE ON assemblies
WHEN NEW.updated_at IS OLD.updated_at BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'assembly', NEW.id, NEW.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE SET slug = excluded.slug;
END;
CREATE TRIGGER assemblies_log_delete AFTER DELETE ON assemblies BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'delete', 'assembly', OLD.id, OLD.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE SET op = 'delete', slug = excluded.slug;
END;

-- topics: the id never changes; updated_at follows every change; the change log
CREATE TRIGGER topics_id_fixed BEFORE UPDATE OF id ON topics
WHEN NEW.id IS NOT OLD.id BEGIN
    SELECT RAISE(ABORT, 'topic ids never change');
END;
CREATE TRIGGER topics_touch AFTER UPDATE ON topics
WHEN NEW.updated_at IS OLD.updated_at BEGIN
    UPDATE topics SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.id;
END;
CREATE TRIGGER topics_log_insert AFTER INSERT ON topics BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'create', 'topic', NEW.id, NEW.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE
    SET op = CASE op WHEN 'delete' THEN 'update' ELSE op END, slug = excluded.slug;
END;
CREATE TRIGGER topics_log_update AFTER UPDATE ON topics
WHEN NEW.updated_at IS OLD.updated_at BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'topic', NEW.id, NEW.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE SET slug = excluded.slug;
END;
CREATE TRIGGER topics_log_delete AFTER DELETE ON topics BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'delete', 'topic', OLD.id, OLD.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE SET op = 'delete', slug = excluded.slug;
END;

-- organizations: the id never changes; updated_at follows every change; the change log
CREATE TRIGGER organizations_id_fixed BEFORE UPDATE OF id ON organizations
WHEN NEW.id IS NOT OLD.id BEGIN
    SELECT RAISE(ABORT, 'organization ids never change');
END;
CREATE TRIGGER organizations_touch AFTER UPDATE ON organizations
WHEN NEW.updated_at IS OLD.updated_at BEGIN
    UPDATE organizations SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.id;
END;
CREATE TRIGGER organizations_log_insert AFTER INSERT ON organizations BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'create', 'organization', NEW.id, NEW.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE
    SET op = CASE op WHEN 'delete' THEN 'update' ELSE op END, slug = excluded.slug;
END;
CREATE TRIGGER organizations_log_update AFTER UPDATE ON organizations
WHEN NEW.updated_at IS OLD.updated_at BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'organization', NEW.id, NEW.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE SET slug = excluded.slug;
END;
CREATE TRIGGER organizations_log_delete AFTER DELETE ON organizations BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'delete', 'organization', OLD.id, OLD.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE SET op = 'delete', slug = excluded.slug;
END;

-- people: the id never changes; updated_at follows every change; the change log
CREATE TRIGGER people_id_fixed BEFORE UPDATE OF id ON people
WHEN NEW.id IS NOT OLD.id BEGIN
    SELECT RAISE(ABORT, 'person ids never change');
END;
CREATE TRIGGER people_touch AFTER UPDATE ON people
WHEN NEW.updated_at IS OLD.updated_at BEGIN
    UPDATE people SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.id;
END;
CREATE TRIGGER people_log_insert AFTER INSERT ON people BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'create', 'person', NEW.id, NEW.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE
    SET op = CASE op WHEN 'delete' THEN 'update' ELSE op END, slug = excluded.slug;
END;
CREATE TRIGGER people_log_update AFTER UPDATE ON people
WHEN NEW.updated_at IS OLD.updated_at BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'person', NEW.id, NEW.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE SET slug = excluded.slug;
END;
CREATE TRIGGER people_log_delete AFTER DELETE ON people BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'delete', 'person', OLD.id, OLD.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE SET op = 'delete', slug = excluded.slug;
END;

-- documents: the id never changes; updated_at follows every change; the change log
CREATE TRIGGER documents_id_fixed BEFORE UPDATE OF id ON documents
WHEN NEW.id IS NOT OLD.id BEGIN
    SELECT RAISE(ABORT, 'document ids never change');
END;
CREATE TRIGGER documents_touch AFTER UPDATE ON documents
WHEN NEW.updated_at IS OLD.updated_at BEGIN
    UPDATE documents SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.id;
END;
CREATE TRIGGER documents_log_insert AFTER INSERT ON documents BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'create', 'document', NEW.id, NEW.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE
    SET op = CASE op WHEN 'delete' THEN 'update' ELSE op END, slug = excluded.slug;
END;
CREATE TRIGGER documents_log_update AFTER UPDATE ON documents
WHEN NEW.updated_at IS OLD.updated_at BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'document', NEW.id, NEW.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE SET slug = excluded.slug;
END;
CREATE TRIGGER documents_log_delete AFTER DELETE ON documents BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'delete', 'document', OLD.id, OLD.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE SET op = 'delete', slug = excluded.slug;
END;

-- sessions: the id never changes; updated_at follows every change; the change log
CREATE TRIGGER sessions_id_fixed BEFORE UPDATE OF id ON sessions
WHEN NEW.id IS NOT OLD.id BEGIN
    SELECT RAISE(ABORT, 'session ids never change');
END;
CREATE TRIGGER sessions_touch AFTER UPDATE ON sessions
WHEN NEW.updated_at IS OLD.updated_at BEGIN
    UPDATE sessions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.id;
END;
CREATE TRIGGER sessions_log_insert AFTER INSERT ON sessions BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'create', 'session', NEW.id, NEW.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE
    SET op = CASE op WHEN 'delete' THEN 'update' ELSE op END, slug = excluded.slug;
END;
CREATE TRIGGER sessions_log_update AFTER UPDATE ON sessions
WHEN NEW.updated_at IS OLD.updated_at BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'session', NEW.id, NEW.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE SET slug = excluded.slug;
END;
CREATE TRIGGER sessions_log_delete AFTER DELETE ON sessions BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'delete', 'session', OLD.id, OLD.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE SET op = 'delete', slug = excluded.slug;
END;

-- interventions: the id never changes; updated_at follows every change; the change log
CREATE TRIGGER interventions_id_fixed BEFORE UPDATE OF id ON interventions
WHEN NEW.id IS NOT OLD.id BEGIN
    SELECT RAISE(ABORT, 'intervention ids never change');
END;
CREATE TRIGGER interventions_touch AFTER UPDATE ON interventions
WHEN NEW.updated_at IS OLD.updated_at BEGIN
    UPDATE interventions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.id;
END;
CREATE TRIGGER interventions_log_insert AFTER INSERT ON interventions BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'create', 'intervention', NEW.id, NULL)
    ON CONFLICT (revision, type, resource_id) DO UPDATE
    SET op = CASE op WHEN 'delete' THEN 'update' ELSE op END, slug = excluded.slug;
END;
CREATE TRIGGER interventions_log_update AFTER UPDATE ON interventions
WHEN NEW.updated_at IS OLD.updated_at BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'intervention', NEW.id, NULL)
    ON CONFLICT (revision, type, resource_id) DO UPDATE SET slug = excluded.slug;
END;
CREATE TRIGGER interventions_log_delete AFTER DELETE ON interventions BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'delete', 'intervention', OLD.id, NULL)
    ON CONFLICT (revision, type, resource_id) DO UPDATE SET op = 'delete', slug = excluded.slug;
END;

-- side_events: the id never changes; updated_at follows every change; the change log
CREATE TRIGGER side_events_id_fixed BEFORE UPDATE OF id ON side_events
WHEN NEW.id IS NOT OLD.id BEGIN
    SELECT RAISE(ABORT, 'side_event ids never change');
END;
CREATE TRIGGER side_events_touch AFTER UPDATE ON side_events
WHEN NEW.updated_at IS OLD.updated_at BEGIN
    UPDATE side_events SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.id;
END;
CREATE TRIGGER side_events_log_insert AFTER INSERT ON side_events BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'create', 'side_event', NEW.id, NEW.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE
    SET op = CASE op WHEN 'delete' THEN 'update' ELSE op END, slug = excluded.slug;
END;
CREATE TRIGGER side_events_log_update AFTER UPDATE ON side_events
WHEN NEW.updated_at IS OLD.updated_at BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'side_event', NEW.id, NEW.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE SET slug = excluded.slug;
END;
CREATE TRIGGER side_events_log_delete AFTER DELETE ON side_events BEGIN
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'delete', 'side_event', OLD.id, OLD.slug)
    ON CONFLICT (revision, type, resource_id) DO UPDATE SET op = 'delete', slug = excluded.slug;
END;

-- affiliations: a change is an update of the person it belongs to
CREATE TRIGGER affiliations_log_insert AFTER INSERT ON affiliations
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'person' AND resource_id = NEW.person_id) BEGIN
    UPDATE people SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.person_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'person', NEW.person_id,
            (SELECT slug FROM people WHERE id = NEW.person_id))
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;
CREATE TRIGGER affiliations_log_update AFTER UPDATE ON affiliations
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'person' AND resource_id = NEW.person_id) BEGIN
    UPDATE people SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.person_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'person', NEW.person_id,
            (SELECT slug FROM people WHERE id = NEW.person_id))
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;
CREATE TRIGGER affiliations_log_delete AFTER DELETE ON affiliations
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'person' AND resource_id = OLD.person_id) BEGIN
    UPDATE people SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = OLD.person_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'person', OLD.person_id,
            (SELECT slug FROM people WHERE id = OLD.person_id))
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;

-- segments: a change is an update of the session it belongs to
CREATE TRIGGER segments_log_insert AFTER INSERT ON segments
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'session' AND resource_id = NEW.session_id) BEGIN
    UPDATE sessions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.session_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'session', NEW.session_id,
            (SELECT slug FROM sessions WHERE id = NEW.session_id))
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;
CREATE TRIGGER segments_log_update AFTER UPDATE ON segments
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'session' AND resource_id = NEW.session_id) BEGIN
    UPDATE sessions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.session_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'session', NEW.session_id,
            (SELECT slug FROM sessions WHERE id = NEW.session_id))
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;
CREATE TRIGGER segments_log_delete AFTER DELETE ON segments
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'session' AND resource_id = OLD.session_id) BEGIN
    UPDATE sessions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = OLD.session_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'session', OLD.session_id,
            (SELECT slug FROM sessions WHERE id = OLD.session_id))
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;

-- session_documents: a change is an update of the session it belongs to
CREATE TRIGGER session_documents_log_insert AFTER INSERT ON session_documents
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'session' AND resource_id = NEW.session_id) BEGIN
    UPDATE sessions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.session_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'session', NEW.session_id,
            (SELECT slug FROM sessions WHERE id = NEW.session_id))
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;
CREATE TRIGGER session_documents_log_update AFTER UPDATE ON session_documents
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'session' AND resource_id = NEW.session_id) BEGIN
    UPDATE sessions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.session_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'session', NEW.session_id,
            (SELECT slug FROM sessions WHERE id = NEW.session_id))
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;
CREATE TRIGGER session_documents_log_delete AFTER DELETE ON session_documents
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'session' AND resource_id = OLD.session_id) BEGIN
    UPDATE sessions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = OLD.session_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'session', OLD.session_id,
            (SELECT slug FROM sessions WHERE id = OLD.session_id))
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;

-- session_topics: a change is an update of the session it belongs to
CREATE TRIGGER session_topics_log_insert AFTER INSERT ON session_topics
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'session' AND resource_id = NEW.session_id) BEGIN
    UPDATE sessions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.session_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'session', NEW.session_id,
            (SELECT slug FROM sessions WHERE id = NEW.session_id))
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;
CREATE TRIGGER session_topics_log_update AFTER UPDATE ON session_topics
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'session' AND resource_id = NEW.session_id) BEGIN
    UPDATE sessions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.session_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'session', NEW.session_id,
            (SELECT slug FROM sessions WHERE id = NEW.session_id))
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;
CREATE TRIGGER session_topics_log_delete AFTER DELETE ON session_topics
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'session' AND resource_id = OLD.session_id) BEGIN
    UPDATE sessions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = OLD.session_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'session', OLD.session_id,
            (SELECT slug FROM sessions WHERE id = OLD.session_id))
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;

-- intervention_on_behalf_of: a change is an update of the intervention it belongs to
CREATE TRIGGER intervention_on_behalf_of_log_insert AFTER INSERT ON intervention_on_behalf_of
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'intervention' AND resource_id = NEW.intervention_id) BEGIN
    UPDATE interventions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.intervention_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'intervention', NEW.intervention_id, NULL)
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;
CREATE TRIGGER intervention_on_behalf_of_log_update AFTER UPDATE ON intervention_on_behalf_of
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'intervention' AND resource_id = NEW.intervention_id) BEGIN
    UPDATE interventions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.intervention_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'intervention', NEW.intervention_id, NULL)
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;
CREATE TRIGGER intervention_on_behalf_of_log_delete AFTER DELETE ON intervention_on_behalf_of
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'intervention' AND resource_id = OLD.intervention_id) BEGIN
    UPDATE interventions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = OLD.intervention_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'intervention', OLD.intervention_id, NULL)
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;

-- intervention_topics: a change is an update of the intervention it belongs to
CREATE TRIGGER intervention_topics_log_insert AFTER INSERT ON intervention_topics
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'intervention' AND resource_id = NEW.intervention_id) BEGIN
    UPDATE interventions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.intervention_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'intervention', NEW.intervention_id, NULL)
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;
CREATE TRIGGER intervention_topics_log_update AFTER UPDATE ON intervention_topics
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'intervention' AND resource_id = NEW.intervention_id) BEGIN
    UPDATE interventions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.intervention_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'intervention', NEW.intervention_id, NULL)
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;
CREATE TRIGGER intervention_topics_log_delete AFTER DELETE ON intervention_topics
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'intervention' AND resource_id = OLD.intervention_id) BEGIN
    UPDATE interventions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = OLD.intervention_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'intervention', OLD.intervention_id, NULL)
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;

-- intervention_documents: a change is an update of the intervention it belongs to
CREATE TRIGGER intervention_documents_log_insert AFTER INSERT ON intervention_documents
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'intervention' AND resource_id = NEW.intervention_id) BEGIN
    UPDATE interventions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.intervention_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'intervention', NEW.intervention_id, NULL)
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;
CREATE TRIGGER intervention_documents_log_update AFTER UPDATE ON intervention_documents
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'intervention' AND resource_id = NEW.intervention_id) BEGIN
    UPDATE interventions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.intervention_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'intervention', NEW.intervention_id, NULL)
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;
CREATE TRIGGER intervention_documents_log_delete AFTER DELETE ON intervention_documents
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'intervention' AND resource_id = OLD.intervention_id) BEGIN
    UPDATE interventions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = OLD.intervention_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'intervention', OLD.intervention_id, NULL)
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;

-- side_event_hosts: a change is an update of the side_event it belongs to
CREATE TRIGGER side_event_hosts_log_insert AFTER INSERT ON side_event_hosts
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'side_event' AND resource_id = NEW.side_event_id) BEGIN
    UPDATE side_events SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.side_event_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'side_event', NEW.side_event_id,
            (SELECT slug FROM side_events WHERE id = NEW.side_event_id))
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;
CREATE TRIGGER side_event_hosts_log_update AFTER UPDATE ON side_event_hosts
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'side_event' AND resource_id = NEW.side_event_id) BEGIN
    UPDATE side_events SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.side_event_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'side_event', NEW.side_event_id,
            (SELECT slug FROM side_events WHERE id = NEW.side_event_id))
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;
CREATE TRIGGER side_event_hosts_log_delete AFTER DELETE ON side_event_hosts
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'side_event' AND resource_id = OLD.side_event_id) BEGIN
    UPDATE side_events SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = OLD.side_event_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'side_event', OLD.side_event_id,
            (SELECT slug FROM side_events WHERE id = OLD.side_event_id))
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;

-- side_event_topics: a change is an update of the side_event it belongs to
CREATE TRIGGER side_event_topics_log_insert AFTER INSERT ON side_event_topics
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'side_event' AND resource_id = NEW.side_event_id) BEGIN
    UPDATE side_events SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.side_event_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'side_event', NEW.side_event_id,
            (SELECT slug FROM side_events WHERE id = NEW.side_event_id))
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;
CREATE TRIGGER side_event_topics_log_update AFTER UPDATE ON side_event_topics
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'side_event' AND resource_id = NEW.side_event_id) BEGIN
    UPDATE side_events SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.side_event_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'side_event', NEW.side_event_id,
            (SELECT slug FROM side_events WHERE id = NEW.side_event_id))
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;
CREATE TRIGGER side_event_topics_log_delete AFTER DELETE ON side_event_topics
WHEN NOT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta)
    AND type = 'side_event' AND resource_id = OLD.side_event_id) BEGIN
    UPDATE side_events SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = OLD.side_event_id;
    INSERT INTO changes (revision, op, type, resource_id, slug)
    VALUES ((SELECT revision FROM meta), 'update', 'side_event', OLD.side_event_id,
            (SELECT slug FROM side_events WHERE id = OLD.side_event_id))
    ON CONFLICT (revision, type, resource_id) DO NOTHING;
END;

