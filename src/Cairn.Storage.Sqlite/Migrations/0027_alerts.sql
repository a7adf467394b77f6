-- Anomaly alerts (docs/alerts.md). An incident is one (detector, subject) while its condition holds: at most one open
-- row per pair (the partial unique index), resolved once. Its deliveries (webhook, email) are rows queued in the same
-- transaction as the opening or the resolution, so a restart neither sends one twice nor forgets one; the delivery's id
-- is the webhook-id receivers deduplicate by. The watcher's seasonal baselines (EWMA mean and variance per journey,
-- measure and hour slot), its watermark and the alert settings are kept here too. Times are microseconds (UTC).
CREATE TABLE alert_incidents (
    id TEXT PRIMARY KEY,
    detector TEXT NOT NULL,
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    summary TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    resolved_at INTEGER,
    acknowledged_at INTEGER,
    acknowledged_by TEXT,
    clear_passes INTEGER NOT NULL,
    observation TEXT NOT NULL,
    timeline TEXT NOT NULL
);
CREATE UNIQUE INDEX alert_incidents_open ON alert_incidents (detector, subject) WHERE status = 'open';
CREATE INDEX alert_incidents_opened ON alert_incidents (opened_at, id);

CREATE TABLE alert_deliveries (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    destination TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    last_error TEXT
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE status = 'queued';
CREATE INDEX alert_deliveries_incident ON alert_deliveries (incident_id);

CREATE TABLE alert_baselines (
    key TEXT PRIMARY KEY,
    mean REAL NOT NULL,
    variance REAL NOT NULL,
    observations INTEGER NOT NULL
);

CREATE TABLE alert_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
