-- Erasures (GDPR / CCPA deletion requests) as the audit log keeps them: the contact id, why, when, and how many rows
-- of each kind were deleted; no personal data (the addresses went to the suppression list as keyed hashes).
CREATE TABLE erasures (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    erased_at INTEGER NOT NULL,
    deleted TEXT NOT NULL
);
CREATE INDEX erasures_erased ON erasures (erased_at DESC);

-- The contacts merged into one (an erasure removes them with it).
CREATE INDEX contacts_merged_into ON contacts (merged_into) WHERE merged_into IS NOT NULL;
