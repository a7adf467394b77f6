-- Journeys and templates as documents: the applied draft, and immutable published versions.
CREATE TABLE documents (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    status TEXT NOT NULL,
    draft TEXT NOT NULL,
    draft_hash TEXT NOT NULL,
    published_version INTEGER,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, id)
);

CREATE TABLE document_versions (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    hash TEXT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, id, version)
);
