-- E-mail: what each person wants to receive (no row: everything), and the
-- messages waiting to be sent. A message is queued in the same transaction
-- as the notice that caused it (never twice for one due date), sent by the
-- worker over SMTP and retried with backoff; a worker holds what it sends
-- until `locked_until`.
CREATE TABLE notification_settings (
    user_id           uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    check_in_due      boolean NOT NULL,
    activity_overdue  boolean NOT NULL,
    weekly_digest     boolean NOT NULL,
    version           bigint NOT NULL,
    updated_at        timestamptz NOT NULL
);

CREATE TABLE mail_messages (
    id               uuid PRIMARY KEY,
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind             text NOT NULL,
    to_address       text NOT NULL,
    subject          text NOT NULL,
    text_body        text NOT NULL,
    html_body        text NOT NULL,
    status           text NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         integer NOT NULL,
    next_attempt_at  timestamptz,
    locked_until     timestamptz,
    last_error       text,
    created_at       timestamptz NOT NULL,
    sent_at          timestamptz
);
CREATE INDEX mail_messages_due_idx ON mail_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX mail_messages_user_idx ON mail_messages (user_id, created_at);
