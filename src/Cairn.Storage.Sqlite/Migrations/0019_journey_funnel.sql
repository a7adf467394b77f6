-- The journey funnel's counters, kept in the partitions' transactions like journey_moves but per UTC day (day: days
-- since 1970-01-01), so that a report sums the days of its period. Moves (exit: the step's exit, or $goal,
-- $exit_criterion, $expired, $error, $completed for an enrollment that ended at the step, $migrated, $suppressed for a
-- send step's dropped message); time in step before moving on and time to convert as histograms of fixed log-spaced
-- buckets (DurationBuckets); conversions by the day their enrollment entered.
CREATE TABLE journey_funnel_moves (
    journey_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    day INTEGER NOT NULL,
    from_step TEXT NOT NULL,
    exit TEXT NOT NULL,
    to_step TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (journey_id, version, day, from_step, exit, to_step)
);

CREATE TABLE journey_funnel_durations (
    journey_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    day INTEGER NOT NULL,
    step TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (journey_id, version, day, step, bucket)
);

CREATE TABLE journey_funnel_conversions (
    journey_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    entry_day INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (journey_id, version, entry_day, bucket)
);
