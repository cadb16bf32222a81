-- Change requests: how a running plan changes what its mentor approved
-- (the end date, the goal, an indicator's baseline or target). At most one
-- is open per plan. `changes` holds the proposed values as JSON.
CREATE TABLE change_requests (
    id             uuid PRIMARY KEY,
    plan_id        uuid NOT NULL REFERENCES action_plans (id) ON DELETE CASCADE,
    program_id     uuid NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    requested_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    reason         text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    changes        text NOT NULL,
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'approved', 'declined')),
    plan_version   bigint NOT NULL,
    decided_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    decided_at     timestamptz,
    decision_note  text CHECK (decision_note IS NULL OR length(decision_note) BETWEEN 1 AND 2000),
    created_at     timestamptz NOT NULL,
    version        bigint NOT NULL DEFAULT 1
);
CREATE INDEX change_requests_plan_idx ON change_requests (plan_id, created_at, id);
CREATE UNIQUE INDEX change_requests_one_open_idx ON change_requests (plan_id) WHERE status = 'open';
-- The change feed carries them.
ALTER TABLE changes DROP CONSTRAINT changes_entity_type_check;
ALTER TABLE changes ADD CONSTRAINT changes_entity_type_check CHECK (entity_type IN ('program', 'membership', 'mentorship', 'plan', 'activity', 'indicator', 'measurement', 'check_in', 'comment', 'attachment', 'change_request'));
