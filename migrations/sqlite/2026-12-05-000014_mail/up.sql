-- E-mail: what each person wants to receive (no row: everything), and the
-- messages waiting to be sent. A message is queued in the same transaction
-- as the notice that caused it (never twice for one due date), sent by the
-- worker over SMTP and retried with backoff; a worker holds what it sends
-- until `locked_until`.
CREATE TABLE notification_settings (
    user_id           TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    check_in_due      INTEGER NOT NULL CHECK (check_in_due IN (0, 1)),
    activity_overdue  INTEGER NOT NULL CHECK (activity_overdue IN (0, 1)),
    weekly_digest     INTEGER NOT NULL CHECK (weekly_digest IN (0, 1)),
    version           INTEGER NOT NULL,
    updated_at        TEXT NOT NULL
) STRICT;

CREATE TABLE mail_messages (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    to_address       TEXT NOT NULL,
    subject          TEXT NOT NULL,
    text_body        TEXT NOT NULL,
    html_body        TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL,
    next_attempt_at  TEXT,
    locked_until     TEXT,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    sent_at          TEXT
) STRICT;
CREATE INDEX mail_messages_due_idx ON mail_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX mail_messages_user_idx ON mail_messages (user_id, created_at);
