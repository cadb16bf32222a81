-- Evidence files attached to a check-in, activity, measurement or comment.
-- The bytes live in the file store under `storage_key`; a row exists only
-- for a file wholly stored. `program_id` and `plan_id` carry the parent's
-- access and the programme's quota.
CREATE TABLE attachments (
    id            TEXT PRIMARY KEY,
    program_id    TEXT NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    plan_id       TEXT NOT NULL REFERENCES action_plans (id) ON DELETE CASCADE,
    parent_type   TEXT NOT NULL CHECK (parent_type IN ('check_in', 'activity', 'measurement', 'comment')),
    parent_id     TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    INTEGER NOT NULL CHECK (size_bytes >= 0),
    sha256        TEXT NOT NULL,
    width         INTEGER,
    height        INTEGER,
    storage_key   TEXT NOT NULL UNIQUE,
    uploaded_by   TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    version       INTEGER NOT NULL
) STRICT;
CREATE INDEX attachments_parent_idx ON attachments (parent_type, parent_id, created_at, id);
CREATE INDEX attachments_program_idx ON attachments (program_id);
CREATE INDEX attachments_plan_idx ON attachments (plan_id);
