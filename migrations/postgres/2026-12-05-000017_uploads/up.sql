-- Resumable uploads (tus): what has arrived of a file its creator is
-- sending to a parent. The bytes are parts in the file store under the
-- upload's id; an upload left unfinished past `expires_at` is removed.
CREATE TABLE uploads (
    id             uuid PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    parent_type    text NOT NULL CHECK (parent_type IN ('check_in', 'activity', 'measurement', 'comment')),
    parent_id      uuid NOT NULL,
    file_name      text NOT NULL,
    upload_length  bigint NOT NULL CHECK (upload_length >= 0),
    upload_offset  bigint NOT NULL CHECK (upload_offset >= 0 AND upload_offset <= upload_length),
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL
);
CREATE INDEX uploads_expires_idx ON uploads (expires_at);
