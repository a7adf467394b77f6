-- Delivery state of outbox messages (owner alerts are delivered now; the messaging milestone adds the channels).
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN next_attempt_at TIMESTAMPTZ;
ALTER TABLE outbox ADD COLUMN sent_at TIMESTAMPTZ;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
CREATE INDEX outbox_queued ON outbox (channel, next_attempt_at) WHERE status = 'queued';

-- Hand-offs to sales: who got the lead and why, the SLA, the acknowledgement and any escalation.
CREATE TABLE handoffs (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL,
    team TEXT NOT NULL,
    owner_id TEXT,
    routed_by TEXT NOT NULL,
    domain TEXT,
    journey_id TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    due_at TIMESTAMPTZ,
    acknowledged_at TIMESTAMPTZ,
    acknowledged_by TEXT,
    escalated_at TIMESTAMPTZ,
    escalated_to TEXT
);
CREATE INDEX handoffs_created ON handoffs (created_at DESC);
CREATE INDEX handoffs_contact ON handoffs (contact_id);
