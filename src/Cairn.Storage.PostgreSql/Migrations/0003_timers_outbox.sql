-- Durable timers (journey waits) and the outbox of messages journeys decided to send.
CREATE TABLE timers (
    contact_id TEXT NOT NULL,
    enrollment_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (contact_id, enrollment_id, step_id, due_at)
);
CREATE INDEX timers_due ON timers (due_at);

CREATE TABLE outbox (
    message_id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL,
    journey_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    enrollment_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    template TEXT NOT NULL,
    category TEXT NOT NULL,
    priority INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX outbox_contact ON outbox (contact_id, created_at DESC);
