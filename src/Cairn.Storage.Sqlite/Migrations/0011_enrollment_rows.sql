-- Active enrollments in their own rows: the enrollments table, which indexed every enrollment (active ones as keys,
-- ended ones with their final state), now holds every enrollment's state, the live one of an active enrollment
-- included, and the contact's JSON no longer carries them. A journey step that only moves an enrollment rewrites that
-- enrollment's row, not the contact's. The column "final" becomes "state".
ALTER TABLE enrollments RENAME COLUMN final TO state;

-- Each active enrollment of each contact's JSON becomes (or fills) its row. A row already indexed keeps its entry
-- time; one missing (a contact from before the index) takes it from the JSON, to the millisecond.
INSERT INTO enrollments (contact_id, enrollment_id, journey_id, version, entered_at, ended_at, state)
SELECT c.id,
       json_extract(a.value, '$.id'),
       json_extract(a.value, '$.journey'),
       json_extract(a.value, '$.version'),
       CAST(round((julianday(json_extract(a.value, '$.enteredAt')) - 2440587.5) * 86400000.0) AS INTEGER) * 1000,
       NULL,
       a.value
FROM contacts c, json_each(c.state, '$.journeys.active') a
WHERE true
ON CONFLICT (contact_id, enrollment_id) DO UPDATE SET version = excluded.version, ended_at = NULL, state = excluded.state;

-- The contacts' JSON keeps the entry history only.
UPDATE contacts SET state = json_remove(state, '$.journeys.active') WHERE json_type(state, '$.journeys.active') IS NOT NULL;

-- An active row no contact holds the enrollment of any more has nothing to run: it goes.
DELETE FROM enrollments WHERE ended_at IS NULL AND state IS NULL;
