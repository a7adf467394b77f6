-- Contact search answers from indexes, never from a scan of the contacts (issue 20: a console over 1,000,000 contacts).
--
-- Substrings (3 characters and more) of the search text (lower-cased email and display name): a pg_trgm GIN index on
-- contacts.search answers LIKE '%…%'. pg_trgm is a trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX contacts_search_trgm ON contacts USING gin (search gin_trgm_ops);

-- Short queries (1–2 characters) are prefixes of email, user id, phone and anonymous ids, by ranges in byte order.
CREATE INDEX contacts_email_prefix ON contacts (email COLLATE "C") WHERE email IS NOT NULL AND merged_into IS NULL;
CREATE INDEX contacts_user_id_prefix ON contacts (user_id COLLATE "C") WHERE user_id IS NOT NULL AND merged_into IS NULL;
CREATE INDEX contacts_phone_prefix ON contacts (phone COLLATE "C") WHERE phone IS NOT NULL AND merged_into IS NULL;
CREATE INDEX identities_anonymous_prefix ON identities (value COLLATE "C") WHERE kind = 'anon';

-- Trait search: a contact's traits as [name, value] pairs (the value's text lower-cased, both cut to 128 characters),
-- written with its row, and one index row per pair, (re)written by the trigger only when the pairs change.
ALTER TABLE contacts ADD COLUMN traits TEXT;
UPDATE contacts SET traits = (
    SELECT jsonb_agg(jsonb_build_array(left(t.key, 128), lower(left(CASE jsonb_typeof(t.value -> 'v') WHEN 'string' THEN t.value ->> 'v' ELSE (t.value -> 'v')::text END, 128))))::text
    FROM jsonb_each(contacts.state::jsonb -> 'traits') AS t)
WHERE state::jsonb -> 'traits' <> '{}'::jsonb;
CREATE TABLE contact_traits (
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    PRIMARY KEY (name, value, contact_id)
);
INSERT INTO contact_traits (name, value, contact_id)
SELECT p ->> 0, p ->> 1, contacts.id FROM contacts, jsonb_array_elements(contacts.traits::jsonb) AS p WHERE contacts.traits IS NOT NULL
ON CONFLICT DO NOTHING;
CREATE FUNCTION contact_traits_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.traits IS NOT NULL THEN
        DELETE FROM contact_traits AS t USING jsonb_array_elements(OLD.traits::jsonb) AS p
        WHERE t.name = p ->> 0 AND t.value = p ->> 1 AND t.contact_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.traits IS NOT NULL THEN
        INSERT INTO contact_traits (name, value, contact_id)
        SELECT p ->> 0, p ->> 1, NEW.id FROM jsonb_array_elements(NEW.traits::jsonb) AS p
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER contact_traits_insert AFTER INSERT ON contacts FOR EACH ROW WHEN (NEW.traits IS NOT NULL) EXECUTE FUNCTION contact_traits_sync();
CREATE TRIGGER contact_traits_update AFTER UPDATE OF traits ON contacts FOR EACH ROW WHEN (OLD.traits IS DISTINCT FROM NEW.traits) EXECUTE FUNCTION contact_traits_sync();
CREATE TRIGGER contact_traits_delete AFTER DELETE ON contacts FOR EACH ROW WHEN (OLD.traits IS NOT NULL) EXECUTE FUNCTION contact_traits_sync();
