-- Journey statistics: every move between steps counted per journey version, conversions per experiment arm,
-- and enrollments that ended for review (maximum run time reached, or an error).
CREATE TABLE journey_moves (
    journey_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    from_step TEXT NOT NULL,
    exit TEXT NOT NULL,
    to_step TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (journey_id, version, from_step, exit, to_step)
);

CREATE TABLE journey_conversions (
    journey_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    arm TEXT NOT NULL,
    control INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (journey_id, version, arm, control)
);

CREATE TABLE journey_reviews (
    journey_id TEXT NOT NULL,
    enrollment_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    reason TEXT NOT NULL,
    ended_at INTEGER NOT NULL,
    PRIMARY KEY (contact_id, enrollment_id)
);
CREATE INDEX journey_reviews_journey ON journey_reviews (journey_id, ended_at DESC);
