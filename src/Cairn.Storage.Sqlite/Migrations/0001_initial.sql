-- Times are microseconds since the Unix epoch (UTC).
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    contact_id TEXT NOT NULL,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX events_contact_time ON events (contact_id, timestamp DESC, seq DESC);

CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    user_id TEXT,
    email TEXT,
    phone TEXT,
    search TEXT NOT NULL,
    merged_into TEXT,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX contacts_email ON contacts (email) WHERE email IS NOT NULL;
CREATE INDEX contacts_user_id ON contacts (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX contacts_listing ON contacts (created_at, id) WHERE merged_into IS NULL;

CREATE TABLE identities (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    PRIMARY KEY (kind, value)
);
CREATE INDEX identities_contact ON identities (contact_id);

CREATE TABLE pending_merges (
    from_id TEXT PRIMARY KEY,
    into_id TEXT NOT NULL
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
