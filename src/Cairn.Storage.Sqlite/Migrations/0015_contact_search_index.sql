-- Contact search answers from indexes, never from a scan of the contacts (issue 20: a console over 1,000,000 contacts).
--
-- Substrings (3 characters and more) of the search text (lower-cased email and display name): an external-content FTS5
-- table with the trigram tokenizer over contacts.search. Triggers keep it in step, and an update touches the index only
-- when the text changed (every event rewrites its contact's row; few change its email or name). secure-delete makes a
-- delete remove the text's trigrams from the index's pages at once, so an erased contact's text leaves the file too.
CREATE VIRTUAL TABLE contacts_fts USING fts5 (search, content = 'contacts', content_rowid = 'rowid', tokenize = 'trigram', detail = 'full');
INSERT INTO contacts_fts (contacts_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild');
CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_fts (rowid, search) VALUES (new.rowid, new.search);
END;
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, search) VALUES ('delete', old.rowid, old.search);
END;
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF search ON contacts WHEN old.search IS NOT new.search BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, search) VALUES ('delete', old.rowid, old.search);
    INSERT INTO contacts_fts (rowid, search) VALUES (new.rowid, new.search);
END;

-- Trait search: a contact's traits as [name, value] pairs (the value's text lower-cased, both cut to 128 characters),
-- written with its row, and one index row per pair, (re)written by the triggers only when the pairs change.
ALTER TABLE contacts ADD COLUMN traits TEXT;
UPDATE contacts SET traits = (
    SELECT json_group_array(json_array(substr(t.key, 1, 128), lower(substr(CASE json_type(t.value, '$.v') WHEN 'text' THEN t.value ->> '$.v' ELSE t.value -> '$.v' END, 1, 128))))
    FROM json_each(contacts.state, '$.traits') AS t)
WHERE json_extract(state, '$.traits') IS NOT NULL AND json_extract(state, '$.traits') <> '{}';
CREATE TABLE contact_traits (
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    PRIMARY KEY (name, value, contact_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO contact_traits (name, value, contact_id)
SELECT json_extract(p.value, '$[0]'), json_extract(p.value, '$[1]'), contacts.id FROM contacts, json_each(contacts.traits) AS p WHERE contacts.traits IS NOT NULL;
CREATE TRIGGER contact_traits_insert AFTER INSERT ON contacts WHEN new.traits IS NOT NULL BEGIN
    INSERT OR IGNORE INTO contact_traits (name, value, contact_id)
    SELECT json_extract(p.value, '$[0]'), json_extract(p.value, '$[1]'), new.id FROM json_each(new.traits) AS p;
END;
CREATE TRIGGER contact_traits_delete AFTER DELETE ON contacts WHEN old.traits IS NOT NULL BEGIN
    DELETE FROM contact_traits WHERE contact_id = old.id
        AND (name, value) IN (SELECT json_extract(p.value, '$[0]'), json_extract(p.value, '$[1]') FROM json_each(old.traits) AS p);
END;
CREATE TRIGGER contact_traits_update AFTER UPDATE OF traits ON contacts WHEN old.traits IS NOT new.traits BEGIN
    DELETE FROM contact_traits WHERE contact_id = old.id
        AND (name, value) IN (SELECT json_extract(p.value, '$[0]'), json_extract(p.value, '$[1]') FROM json_each(coalesce(old.traits, '[]')) AS p);
    INSERT OR IGNORE INTO contact_traits (name, value, contact_id)
    SELECT json_extract(p.value, '$[0]'), json_extract(p.value, '$[1]'), new.id FROM json_each(coalesce(new.traits, '[]')) AS p;
END;
