-- Measurement reads enrollments by journey and entry time and compares groups: each enrollment row carries its
-- experiment arm, whether it is in the journey's holdout (control) group, and the revenue its conversion carried, so
-- lift and experiment reports aggregate indexed columns instead of parsing every enrollment's JSON.
ALTER TABLE enrollments ADD COLUMN arm TEXT;
ALTER TABLE enrollments ADD COLUMN control BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE enrollments ADD COLUMN revenue DOUBLE PRECISION;
UPDATE enrollments
SET arm = state::json ->> 'arm',
    control = COALESCE((state::json ->> 'control')::boolean, false)
WHERE state IS NOT NULL AND (state::json ->> 'arm' IS NOT NULL OR (state::json ->> 'control')::boolean);
CREATE INDEX enrollments_journey_entered ON enrollments (journey_id, entered_at);
