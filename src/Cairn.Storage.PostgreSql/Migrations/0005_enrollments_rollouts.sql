-- Every enrollment, indexed: active ones (ended_at NULL; their live state is in the contact's state) for the
-- contacts a publish must reach, and ended ones with their whole path for the contact's journey history.
CREATE TABLE enrollments (
    contact_id TEXT NOT NULL,
    enrollment_id TEXT NOT NULL,
    journey_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    entered_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ,
    final TEXT,
    PRIMARY KEY (contact_id, enrollment_id)
);
CREATE INDEX enrollments_active ON enrollments (journey_id, contact_id) WHERE ended_at IS NULL;

-- A publish that must reach existing contacts (moving enrollments by a step mapping, scheduling a date trigger
-- for contacts who already have the date, evaluating a new or edited segment): resumable, one per document version.
CREATE TABLE rollouts (
    kind TEXT NOT NULL,
    journey_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    step_map TEXT NOT NULL,
    scope TEXT NOT NULL,
    after_id TEXT,
    processed BIGINT NOT NULL,
    done BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, journey_id, version)
);

-- What delivery needs beyond the template: the trigger payload, a hand-off's timeline, a webhook's URL.
ALTER TABLE outbox ADD COLUMN payload TEXT;

-- Segment members, written with the membership change (for member lists and counts).
CREATE TABLE segment_members (
    segment_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    entered_at TIMESTAMPTZ NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (segment_id, contact_id)
);
