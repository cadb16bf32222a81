-- The outbox: a domain event for each change others are told of, written
-- in the same transaction as the change, so an event exists if and only if
-- its change committed. The worker fans each event out to the programme's
-- webhooks (`dispatched_at` set), then delivers, retries and logs each
-- delivery. `audience` says who may learn of it: webhooks get `programme`
-- events only (never a draft plan's, never a mentors-only comment).
CREATE TABLE outbox_events (
    id             TEXT PRIMARY KEY,
    occurred_at    TEXT NOT NULL,
    program_id     TEXT NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    event_type     TEXT NOT NULL,
    audience       TEXT NOT NULL CHECK (audience IN ('programme', 'plan_team', 'mentors')),
    data           TEXT NOT NULL,
    dispatched_at  TEXT
) STRICT;
CREATE INDEX outbox_events_undispatched_idx ON outbox_events (id) WHERE dispatched_at IS NULL;

-- A webhook: an endpoint subscribed to a programme's events. The secret
-- signs each message (HMAC-SHA256), so it is kept as it was shown.
CREATE TABLE webhooks (
    id               TEXT PRIMARY KEY,
    program_id       TEXT NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    url              TEXT NOT NULL,
    description      TEXT,
    event_types      TEXT NOT NULL,
    secret           TEXT NOT NULL,
    enabled          INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    disabled_at      TEXT,
    disabled_reason  TEXT,
    failing_since    TEXT,
    version          INTEGER NOT NULL,
    created_by       TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
) STRICT;
CREATE INDEX webhooks_program_idx ON webhooks (program_id, created_at, id);

-- One event to one webhook. A pending delivery is due at `next_attempt_at`;
-- a worker that takes it holds it until `locked_until`, so instances sharing
-- the database never send it twice at once.
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    webhook_id       TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         TEXT NOT NULL REFERENCES outbox_events (id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts         INTEGER NOT NULL,
    next_attempt_at  TEXT,
    locked_until     TEXT,
    created_at       TEXT NOT NULL,
    delivered_at     TEXT,
    UNIQUE (webhook_id, event_id)
) STRICT;
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at, id);

-- The delivery log: every attempt, with what the endpoint answered.
CREATE TABLE webhook_attempts (
    id               TEXT PRIMARY KEY,
    delivery_id      TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at     TEXT NOT NULL,
    response_status  INTEGER,
    response_ms      INTEGER NOT NULL,
    error            TEXT,
    response_body    TEXT
) STRICT;
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, attempted_at);
