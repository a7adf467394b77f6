-- The console's outbox lists messages newest first, filtered by contact, template, journey or status, a page at a time:
-- each page walks one index in (created_at, message_id) order from its cursor. The contact and status indexes gain
-- message_id (the cursor's tie-break); the journey and template indexes are new (a journey's statistics count by the
-- journey index too); the unfiltered outbox and a time range walk outbox_created. Channel has no index: a handful of
-- channels share the outbox, so walking outbox_created finds a page of one quickly.
DROP INDEX outbox_contact;
CREATE INDEX outbox_contact ON outbox (contact_id, created_at, message_id);
DROP INDEX outbox_status;
CREATE INDEX outbox_status ON outbox (status, created_at, message_id);
CREATE INDEX outbox_journey ON outbox (journey_id, created_at, message_id);
CREATE INDEX outbox_template ON outbox (template, created_at, message_id);
CREATE INDEX outbox_created ON outbox (created_at, message_id);
