-- Evidence files attached to a check-in, activity, measurement or comment.
-- The bytes live in the file store under `storage_key`; a row exists only
-- for a file wholly stored. `program_id` and `plan_id` carry the parent's
-- access and the programme's quota.
CREATE TABLE attachments (
    id            uuid PRIMARY KEY,
    program_id    uuid NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    plan_id       uuid NOT NULL REFERENCES action_plans (id) ON DELETE CASCADE,
    parent_type   text NOT NULL CHECK (parent_type IN ('check_in', 'activity', 'measurement', 'comment')),
    parent_id     uuid NOT NULL,
    file_name     text NOT NULL,
    content_type  text NOT NULL,
    size_bytes    bigint NOT NULL CHECK (size_bytes >= 0),
    sha256        text NOT NULL,
    width         integer,
    height        integer,
    storage_key   text NOT NULL UNIQUE,
    uploaded_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL,
    version       bigint NOT NULL
);
CREATE INDEX attachments_parent_idx ON attachments (parent_type, parent_id, created_at, id);
CREATE INDEX attachments_program_idx ON attachments (program_id);
CREATE INDEX attachments_plan_idx ON attachments (plan_id);
