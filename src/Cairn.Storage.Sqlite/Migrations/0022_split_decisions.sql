-- Adaptive splits (automatic winner, bandit) read each experiment arm's entries and goal conversions per journey
-- version: a partial index over the enrollment rows that took an arm covers that aggregate (journey_id, version, arm,
-- control, converted_at, entered_at), so it reads the index alone, never the enrollments' state.
CREATE INDEX enrollments_arms ON enrollments (journey_id, version, arm, control, converted_at, entered_at) WHERE arm IS NOT NULL;

-- An automatic winner, decided once per split of a journey version: the arm every new entrant takes from then on, who
-- decided it and when, and the evidence it was decided on (JSON: [{arm, entries, conversions}] in the split's order).
CREATE TABLE split_decisions (
    journey_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    step_id TEXT NOT NULL,
    arm TEXT NOT NULL,
    decided_at INTEGER NOT NULL,
    decided_by TEXT NOT NULL,
    evidence TEXT NOT NULL,
    PRIMARY KEY (journey_id, version, step_id)
);
