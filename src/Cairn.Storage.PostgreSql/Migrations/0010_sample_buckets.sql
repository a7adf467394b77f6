-- Each contact's sample bucket (0–9999, fixed for its life): a segment preview over a large workspace evaluates a
-- uniform random sample (the contacts in the first buckets) and estimates the count, in well under a second.
ALTER TABLE contacts ADD COLUMN bucket INTEGER NOT NULL DEFAULT 0;
UPDATE contacts SET bucket = floor(random() * 10000)::integer;
CREATE INDEX contacts_bucket ON contacts (bucket) WHERE merged_into IS NULL;
