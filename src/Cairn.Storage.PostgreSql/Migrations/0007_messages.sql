-- Rendered messages: who they went to, the subject, the template version, and what the recipient did with them.
ALTER TABLE outbox ADD COLUMN recipient TEXT;
ALTER TABLE outbox ADD COLUMN subject TEXT;
ALTER TABLE outbox ADD COLUMN template_version INTEGER;
ALTER TABLE outbox ADD COLUMN opens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN clicks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN opened_at TIMESTAMPTZ;
ALTER TABLE outbox ADD COLUMN clicked_at TIMESTAMPTZ;
ALTER TABLE outbox ADD COLUMN unsubscribed_at TIMESTAMPTZ;
ALTER TABLE outbox ADD COLUMN delivered_at TIMESTAMPTZ;
ALTER TABLE outbox ADD COLUMN complained_at TIMESTAMPTZ;
CREATE INDEX outbox_sending ON outbox (status) WHERE status = 'sending';

-- The development mailbox: with no provider configured, email (raw MIME), SMS and push are kept here, to be read over the API.
CREATE TABLE mailbox (
    message_id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    raw TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX mailbox_created ON mailbox (created_at DESC);

-- Workspace secrets and settings Cairn generates itself (the key that signs tracking and unsubscribe links).
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The suppression list, by keyed hash of the address (it outlives the contact and holds no address in clear):
-- soft bounces counted, and the reason once the address is suppressed (hard bounce, complaint, too many soft bounces).
CREATE TABLE suppressions (
    address_key TEXT PRIMARY KEY,
    hint TEXT NOT NULL,
    soft_bounces INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    source TEXT,
    suppressed_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX suppressions_suppressed ON suppressions (suppressed_at DESC) WHERE reason IS NOT NULL;

CREATE INDEX contacts_phone ON contacts (phone) WHERE phone IS NOT NULL;
CREATE INDEX outbox_status ON outbox (status, created_at DESC);

-- Push device tokens, registered per contact through the API; a token the provider rejects is removed.
CREATE TABLE devices (
    token TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL,
    platform TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX devices_contact ON devices (contact_id);

-- The in-app inbox: rendered in-app messages per contact, read and dismissed by the customer's app.
CREATE TABLE inbox (
    message_id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    action_label TEXT,
    action_url TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    read_at TIMESTAMPTZ,
    dismissed_at TIMESTAMPTZ
);
CREATE INDEX inbox_contact ON inbox (contact_id, created_at DESC);
