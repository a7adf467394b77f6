-- Active enrollments in their own rows: the enrollments table, which indexed every enrollment (active ones as keys,
-- ended ones with their final state), now holds every enrollment's state, the live one of an active enrollment
-- included, and the contact's JSON no longer carries them. A journey step that only moves an enrollment rewrites that
-- enrollment's row, not the contact's. The column "final" becomes "state".
ALTER TABLE enrollments RENAME COLUMN final TO state;

-- Each active enrollment of each contact's JSON becomes (or fills) its row. A row already indexed keeps its entry
-- time. The json type (not jsonb) keeps each enrollment's text as it was written, whatever it holds.
INSERT INTO enrollments (contact_id, enrollment_id, journey_id, version, entered_at, ended_at, state)
SELECT c.id,
       a.value ->> 'id',
       a.value ->> 'journey',
       (a.value ->> 'version')::integer,
       (a.value ->> 'enteredAt')::timestamptz,
       NULL,
       a.value::text
FROM contacts c
CROSS JOIN LATERAL json_array_elements(c.state::json -> 'journeys' -> 'active') AS a(value)
ON CONFLICT (contact_id, enrollment_id) DO UPDATE SET version = excluded.version, ended_at = NULL, state = excluded.state;

-- The contacts' JSON keeps the entry history only: rebuilt from its own members (json, not jsonb, so the text of every
-- other member stays as it was).
UPDATE contacts SET state = (
    SELECT json_object_agg(member.key, CASE
        WHEN member.key = 'journeys' THEN (SELECT json_object_agg(inner_member.key, inner_member.value) FROM json_each(member.value) AS inner_member WHERE inner_member.key <> 'active')
        ELSE member.value END)::text
    FROM json_each(contacts.state::json) AS member)
WHERE contacts.state::json -> 'journeys' -> 'active' IS NOT NULL;

-- An active row no contact holds the enrollment of any more has nothing to run: it goes.
DELETE FROM enrollments WHERE ended_at IS NULL AND state IS NULL;
