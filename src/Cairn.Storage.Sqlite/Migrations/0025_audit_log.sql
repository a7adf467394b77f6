-- The audit log: every change a person or key made, append-only (see docs/audit.md). The id only grows (AUTOINCREMENT
-- never reuses the id of a deleted row), so it is the cursor of paging. Only the retention pass deletes entries, and an
-- erasure redacts the entries about the erased contact (summary replaced, documents removed, redacted_at set).
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    actor_name TEXT,
    ip_address TEXT,
    action TEXT NOT NULL,
    target_kind TEXT,
    target_id TEXT,
    summary TEXT NOT NULL,
    status INTEGER NOT NULL,
    before_document TEXT,
    after_document TEXT,
    redacted_at INTEGER
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_target ON audit_log (target_kind, target_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
