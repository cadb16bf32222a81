-- Resumable uploads (tus): what has arrived of a file its creator is
-- sending to a parent. The bytes are parts in the file store under the
-- upload's id; an upload left unfinished past `expires_at` is removed.
CREATE TABLE uploads (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    parent_type    TEXT NOT NULL CHECK (parent_type IN ('check_in', 'activity', 'measurement', 'comment')),
    parent_id      TEXT NOT NULL,
    file_name      TEXT NOT NULL,
    upload_length  INTEGER NOT NULL CHECK (upload_length >= 0),
    upload_offset  INTEGER NOT NULL CHECK (upload_offset >= 0 AND upload_offset <= upload_length),
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL
) STRICT;
CREATE INDEX uploads_expires_idx ON uploads (expires_at);
