-- The outcome counters the lift and experiment reports sum, kept in the partitions' transactions like the funnel's:
-- contacts' first enrollments in a journey by version, the UTC day they entered (days since 1970-01-01), holdout and
-- experiment arm ('' is the row every entry counts in, whatever its arm): entries, goal conversions, and the sum and sum
-- of squares of the revenue those conversions carried. A report reads one row per day instead of every enrollment.
CREATE TABLE journey_outcomes (
    journey_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    entry_day INTEGER NOT NULL,
    control INTEGER NOT NULL,
    arm TEXT NOT NULL,
    entries INTEGER NOT NULL,
    conversions INTEGER NOT NULL,
    revenue REAL NOT NULL,
    revenue_squares REAL NOT NULL,
    PRIMARY KEY (journey_id, version, entry_day, control, arm)
) WITHOUT ROWID;

-- The counters of the enrollments already stored (a contact's first enrollment in a journey has the id '{journey}:1').
INSERT INTO journey_outcomes (journey_id, version, entry_day, control, arm, entries, conversions, revenue, revenue_squares)
SELECT journey_id, version, entry_day, control, arm, COUNT(*), SUM(converted), SUM(earned), SUM(earned * earned)
FROM (
    SELECT journey_id, version, entered_at / 86400000000 AS entry_day, control, arm_taken AS arm, converted, earned
    FROM (
        SELECT journey_id, version, entered_at, control, '' AS arm_taken,
            CASE WHEN converted_at IS NULL THEN 0 ELSE 1 END AS converted,
            CASE WHEN converted_at IS NULL THEN 0 ELSE COALESCE(revenue, 0) END AS earned
        FROM enrollments WHERE enrollment_id = journey_id || ':1'
        UNION ALL
        SELECT journey_id, version, entered_at, control, arm,
            CASE WHEN converted_at IS NULL THEN 0 ELSE 1 END,
            CASE WHEN converted_at IS NULL THEN 0 ELSE COALESCE(revenue, 0) END
        FROM enrollments WHERE enrollment_id = journey_id || ':1' AND arm IS NOT NULL
    )
)
GROUP BY journey_id, version, entry_day, control, arm;

-- Attribution credits kept in primary-key order (WITHOUT ROWID): a report's day range then reads the rows themselves
-- instead of the key index and a table lookup per row, which was half of a two-year report's time (0.70 s against
-- 0.31 s over 438,000 rows).
CREATE TABLE attribution_credits_by_key (
    day INTEGER NOT NULL,
    model TEXT NOT NULL,
    journey_id TEXT NOT NULL,
    template TEXT NOT NULL,
    channel TEXT NOT NULL,
    conversions REAL NOT NULL,
    revenue INTEGER NOT NULL,
    PRIMARY KEY (day, model, journey_id, template, channel)
) WITHOUT ROWID;
INSERT INTO attribution_credits_by_key SELECT day, model, journey_id, template, channel, conversions, revenue FROM attribution_credits;
DROP TABLE attribution_credits;
ALTER TABLE attribution_credits_by_key RENAME TO attribution_credits;
