-- Retention (docs/retention.md): what each kind's background pass deleted in its last pass and in all, when it last ran,
-- and where an interrupted pass resumes its walk (an index position, so rows the policy keeps are not read again).
CREATE TABLE retention_runs (
    kind TEXT PRIMARY KEY,
    last_deleted BIGINT NOT NULL,
    total_deleted BIGINT NOT NULL,
    last_run_at TIMESTAMPTZ,
    resume TEXT
);

-- A message whose body (the payload its templates render and its subject) retention removed keeps its row and status,
-- with the time the body went. The bodies still held are found by walking this index from the oldest, one batch at a
-- time: a removed body leaves it, so no batch reads the rows earlier batches stripped.
ALTER TABLE outbox ADD COLUMN body_removed_at TIMESTAMPTZ;
CREATE INDEX outbox_bodies ON outbox (created_at, message_id) WHERE body_removed_at IS NULL;
