-- The console's journey inventory counts entries and conversions over the last days by index on the enrollment rows
-- (never by reading contacts): each enrollment row carries when it converted, and both times are indexed. A published
-- version records who published it (a user's email, or api-key).
ALTER TABLE enrollments ADD COLUMN converted_at TIMESTAMPTZ;
UPDATE enrollments
SET converted_at = (state::json ->> 'convertedAt')::timestamptz
WHERE state IS NOT NULL AND state::json ->> 'convertedAt' IS NOT NULL;
CREATE INDEX enrollments_entered ON enrollments (entered_at, journey_id);
CREATE INDEX enrollments_converted ON enrollments (converted_at, journey_id) WHERE converted_at IS NOT NULL;
ALTER TABLE document_versions ADD COLUMN published_by TEXT;
