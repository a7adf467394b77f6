-- The orchestrator's decision trail per message: which checks ran, which deferred or blocked it, and why.
ALTER TABLE outbox ADD COLUMN decision TEXT;
CREATE INDEX outbox_sent ON outbox (contact_id, sent_at) WHERE sent_at IS NOT NULL;
ALTER TABLE outbox ADD COLUMN fallback TEXT;
ALTER TABLE outbox ADD COLUMN send_window INTEGER;

-- Events by name and time: the population's engagement hours for send-time optimisation.
CREATE INDEX events_name_time ON events (name, timestamp DESC);
