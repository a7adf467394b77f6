-- The console's users (passwords as PBKDF2 hashes only) and a name for each API key.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    stamp TEXT NOT NULL,
    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    last_sign_in_at INTEGER
);
ALTER TABLE api_keys ADD COLUMN name TEXT;
