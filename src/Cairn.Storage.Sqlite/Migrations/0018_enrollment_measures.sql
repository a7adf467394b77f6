-- Measurement reads enrollments by journey and entry time and compares groups: each enrollment row carries its
-- experiment arm, whether it is in the journey's holdout (control) group, and the revenue its conversion carried, so
-- lift and experiment reports aggregate indexed columns instead of parsing every enrollment's JSON.
ALTER TABLE enrollments ADD COLUMN arm TEXT;
ALTER TABLE enrollments ADD COLUMN control INTEGER NOT NULL DEFAULT 0;
ALTER TABLE enrollments ADD COLUMN revenue REAL;
UPDATE enrollments
SET arm = json_extract(state, '$.arm'),
    control = CASE WHEN json_extract(state, '$.control') THEN 1 ELSE 0 END
WHERE state IS NOT NULL AND (json_extract(state, '$.arm') IS NOT NULL OR json_extract(state, '$.control'));
CREATE INDEX enrollments_journey_entered ON enrollments (journey_id, entered_at);
