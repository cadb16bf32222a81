-- The outbox: a domain event for each change others are told of, written
-- in the same transaction as the change, so an event exists if and only if
-- its change committed. The worker fans each event out to the programme's
-- webhooks (`dispatched_at` set), then delivers, retries and logs each
-- delivery. `audience` says who may learn of it: webhooks get `programme`
-- events only (never a draft plan's, never a mentors-only comment).
CREATE TABLE outbox_events (
    id             uuid PRIMARY KEY,
    occurred_at    timestamptz NOT NULL,
    program_id     uuid NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    event_type     text NOT NULL,
    audience       text NOT NULL CHECK (audience IN ('programme', 'plan_team', 'mentors')),
    data           text NOT NULL,
    dispatched_at  timestamptz
);
CREATE INDEX outbox_events_undispatched_idx ON outbox_events (id) WHERE dispatched_at IS NULL;

-- A webhook: an endpoint subscribed to a programme's events. The secret
-- signs each message (HMAC-SHA256), so it is kept as it was shown.
CREATE TABLE webhooks (
    id               uuid PRIMARY KEY,
    program_id       uuid NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    url              text NOT NULL,
    description      text,
    event_types      text NOT NULL,
    secret           text NOT NULL,
    enabled          boolean NOT NULL,
    disabled_at      timestamptz,
    disabled_reason  text,
    failing_since    timestamptz,
    version          bigint NOT NULL,
    created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX webhooks_program_idx ON webhooks (program_id, created_at, id);

-- One event to one webhook. A pending delivery is due at `next_attempt_at`;
-- a worker that takes it holds it until `locked_until`, so instances sharing
-- the database never send it twice at once.
CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    webhook_id       uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         uuid NOT NULL REFERENCES outbox_events (id) ON DELETE CASCADE,
    event_type       text NOT NULL,
    status           text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts         integer NOT NULL,
    next_attempt_at  timestamptz,
    locked_until     timestamptz,
    created_at       timestamptz NOT NULL,
    delivered_at     timestamptz,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at, id);

-- The delivery log: every attempt, with what the endpoint answered.
CREATE TABLE webhook_attempts (
    id               uuid PRIMARY KEY,
    delivery_id      uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at     timestamptz NOT NULL,
    response_status  integer,
    response_ms      bigint NOT NULL,
    error            text,
    response_body    text
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, attempted_at);
