-- Scoped API keys (issue 22): a key's kind becomes its scope (ingest, read, write, admin). The old write keys send
-- events only, which is the ingest scope now; the old admin keys keep the admin scope. A revoked key stays, marked with
-- when, so the list shows who had access; the last use is flushed about once a minute; an ingest key may carry its own
-- rate limit (requests per second and burst; null for the configured default).
UPDATE api_keys SET kind = 'ingest' WHERE kind = 'write';
ALTER TABLE api_keys RENAME COLUMN kind TO scope;
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
ALTER TABLE api_keys ADD COLUMN revoked_at INTEGER;
ALTER TABLE api_keys ADD COLUMN rate_per_second INTEGER;
ALTER TABLE api_keys ADD COLUMN rate_burst INTEGER;
