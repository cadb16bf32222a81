-- Followup initial schema (PostgreSQL). Kept in step with migrations/sqlite by
-- the migration parity test; never edit once landed, add a new migration.

CREATE TABLE organizations (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind        text NOT NULL CHECK (kind IN ('ministry_directorate', 'regional_agency', 'technical_unit', 'partner', 'university', 'other')),
    parent_id   uuid REFERENCES organizations (id) ON DELETE RESTRICT,
    region      text,
    version     bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE UNIQUE INDEX organizations_name_key ON organizations (lower(name));
CREATE INDEX organizations_parent_idx ON organizations (parent_id);

CREATE TABLE users (
    id                  uuid PRIMARY KEY,
    email               text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    display_name        text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    organization_id     uuid REFERENCES organizations (id) ON DELETE RESTRICT,
    position            text,
    locale              text NOT NULL DEFAULT 'en' CHECK (locale IN ('id', 'en')),
    time_zone           text NOT NULL DEFAULT 'Asia/Jakarta',
    system_role         text NOT NULL DEFAULT 'member' CHECK (system_role IN ('admin', 'member')),
    active              boolean NOT NULL DEFAULT true,
    password_hash       text NOT NULL,
    password_changed_at timestamptz NOT NULL,
    version             bigint NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_organization_idx ON users (organization_id);

CREATE TABLE programs (
    id                     uuid PRIMARY KEY,
    code                   text NOT NULL CHECK (length(code) BETWEEN 1 AND 64),
    title                  text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    theme                  text,
    funder                 text,
    partners               text NOT NULL DEFAULT '[]',
    location               text,
    training_starts_on     date NOT NULL,
    training_ends_on       date NOT NULL,
    follow_up_until        date NOT NULL,
    check_in_cadence_days  integer NOT NULL DEFAULT 14 CHECK (check_in_cadence_days BETWEEN 1 AND 90),
    status                 text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'training', 'follow_up', 'closed')),
    version                bigint NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    CHECK (training_ends_on >= training_starts_on),
    CHECK (follow_up_until >= training_ends_on)
);
CREATE UNIQUE INDEX programs_code_key ON programs (lower(code));
CREATE INDEX programs_status_idx ON programs (status);

CREATE TABLE memberships (
    id          uuid PRIMARY KEY,
    program_id  uuid NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('coordinator', 'mentor', 'delegate', 'observer')),
    version     bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX memberships_program_user_key ON memberships (program_id, user_id);
CREATE INDEX memberships_user_idx ON memberships (user_id, program_id);

CREATE TABLE mentorships (
    id           uuid PRIMARY KEY,
    program_id   uuid NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    mentor_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    delegate_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    version      bigint NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CHECK (mentor_id <> delegate_id)
);
CREATE UNIQUE INDEX mentorships_program_mentor_delegate_key ON mentorships (program_id, mentor_id, delegate_id);
CREATE INDEX mentorships_mentor_idx ON mentorships (mentor_id, delegate_id);
CREATE INDEX mentorships_delegate_idx ON mentorships (delegate_id);

CREATE TABLE action_plans (
    id                 uuid PRIMARY KEY,
    program_id         uuid NOT NULL REFERENCES programs (id) ON DELETE RESTRICT,
    owner_id           uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    title              text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    problem_statement  text,
    goal               text,
    target_group       text,
    location           text,
    starts_on          date NOT NULL,
    ends_on            date NOT NULL,
    status             text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted', 'changes_requested', 'active', 'completed', 'discontinued')),
    status_reason      text,
    submitted_at       timestamptz,
    approved_at        timestamptz,
    closed_at          timestamptz,
    version            bigint NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    CHECK (ends_on >= starts_on)
);
CREATE INDEX action_plans_program_status_idx ON action_plans (program_id, status);
CREATE INDEX action_plans_program_updated_idx ON action_plans (program_id, updated_at, id);
CREATE INDEX action_plans_owner_idx ON action_plans (owner_id, updated_at, id);
CREATE INDEX action_plans_updated_idx ON action_plans (updated_at, id);
CREATE INDEX action_plans_ends_idx ON action_plans (ends_on, id);

CREATE TABLE activities (
    id            uuid PRIMARY KEY,
    plan_id       uuid NOT NULL REFERENCES action_plans (id) ON DELETE CASCADE,
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    description   text,
    starts_on     date,
    due_on        date,
    status        text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'in_progress', 'done', 'blocked', 'cancelled')),
    completed_on  date,
    position      integer NOT NULL DEFAULT 0,
    version       bigint NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CHECK (due_on IS NULL OR starts_on IS NULL OR due_on >= starts_on),
    CHECK (completed_on IS NULL OR status = 'done')
);
CREATE INDEX activities_plan_position_idx ON activities (plan_id, position, id);
CREATE INDEX activities_plan_status_due_idx ON activities (plan_id, status, due_on);

CREATE TABLE indicators (
    id          uuid PRIMARY KEY,
    plan_id     uuid NOT NULL REFERENCES action_plans (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    unit        text,
    baseline    double precision NOT NULL,
    target      double precision NOT NULL,
    direction   text NOT NULL CHECK (direction IN ('increase', 'decrease')),
    version     bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX indicators_plan_idx ON indicators (plan_id, created_at, id);

CREATE TABLE measurements (
    id            uuid PRIMARY KEY,
    indicator_id  uuid NOT NULL REFERENCES indicators (id) ON DELETE CASCADE,
    value         double precision NOT NULL,
    measured_on   date NOT NULL,
    note          text,
    evidence      text NOT NULL DEFAULT '[]',
    recorded_by   uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    created_at    timestamptz NOT NULL
);
CREATE INDEX measurements_indicator_idx ON measurements (indicator_id, measured_on, created_at, id);

CREATE TABLE check_ins (
    id              uuid PRIMARY KEY,
    plan_id         uuid NOT NULL REFERENCES action_plans (id) ON DELETE CASCADE,
    author_id       uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    reported_on     date NOT NULL,
    summary         text NOT NULL CHECK (length(summary) BETWEEN 1 AND 4000),
    progress        text NOT NULL CHECK (progress IN ('on_track', 'at_risk', 'off_track')),
    confidence      integer NOT NULL CHECK (confidence BETWEEN 0 AND 10),
    achievements    text,
    challenges      text,
    support_needed  text,
    next_steps      text,
    evidence        text NOT NULL DEFAULT '[]',
    review_status   text NOT NULL DEFAULT 'pending' CHECK (review_status IN ('pending', 'acknowledged', 'revision_requested')),
    review_note     text,
    reviewer_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    reviewed_at     timestamptz,
    version         bigint NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX check_ins_plan_reported_idx ON check_ins (plan_id, reported_on, id);
CREATE INDEX check_ins_review_idx ON check_ins (review_status, plan_id);

CREATE TABLE comments (
    id           uuid PRIMARY KEY,
    plan_id      uuid NOT NULL REFERENCES action_plans (id) ON DELETE CASCADE,
    target_type  text CHECK (target_type IN ('activity', 'indicator', 'check_in')),
    target_id    uuid,
    author_id    uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    body         text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    visibility   text NOT NULL DEFAULT 'shared' CHECK (visibility IN ('shared', 'mentors')),
    version      bigint NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CHECK ((target_type IS NULL) = (target_id IS NULL))
);
CREATE INDEX comments_plan_idx ON comments (plan_id, created_at, id);
CREATE INDEX comments_target_idx ON comments (target_type, target_id);

-- Append-only; written in the same transaction as the change it records.
CREATE TABLE audit_events (
    id           uuid PRIMARY KEY,
    occurred_at  timestamptz NOT NULL,
    actor_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    entity_type  text NOT NULL,
    entity_id    uuid NOT NULL,
    program_id   uuid,
    plan_id      uuid,
    action       text NOT NULL,
    changes      text NOT NULL DEFAULT '{}',
    reason       text
);
CREATE INDEX audit_events_plan_idx ON audit_events (plan_id, occurred_at, id);
CREATE INDEX audit_events_entity_idx ON audit_events (entity_type, entity_id, occurred_at);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, occurred_at);

-- A login session: the family of rotated refresh tokens. Access tokens carry its id (`sid`).
CREATE TABLE sessions (
    id              uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL,
    last_used_at    timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    revoked_reason  text CHECK (revoked_reason IN ('logout', 'password_change', 'reuse_detected', 'deactivated', 'admin'))
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Refresh tokens are stored only as a SHA-256 hash.
CREATE TABLE refresh_tokens (
    id           uuid PRIMARY KEY,
    session_id   uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    token_hash   text NOT NULL,
    issued_at    timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    rotated_at   timestamptz
);
CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- POST replay store: one row per (caller, key); kept at least 24 hours.
CREATE TABLE idempotency_keys (
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    idempotency_key  text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    request_method   text NOT NULL,
    request_path     text NOT NULL,
    request_hash     text NOT NULL,
    response_status  integer,
    response_headers text,
    response_body    text,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    PRIMARY KEY (user_id, idempotency_key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);

-- The change sequence behind GET /sync: one row per change, numbered from the
-- counter in sync_counter inside the writing transaction, so numbers are
-- handed out in commit order.
CREATE TABLE changes (
    seq          bigint PRIMARY KEY,
    entity_type  text NOT NULL,
    entity_id    uuid NOT NULL,
    program_id   uuid,
    plan_id      uuid,
    op           text NOT NULL CHECK (op IN ('upsert', 'delete')),
    version      bigint NOT NULL,
    changed_at   timestamptz NOT NULL
);
CREATE INDEX changes_entity_idx ON changes (entity_type, entity_id);
CREATE INDEX changes_program_idx ON changes (program_id, seq);
CREATE INDEX changes_plan_idx ON changes (plan_id, seq);

CREATE TABLE sync_counter (
    id     integer PRIMARY KEY CHECK (id = 1),
    value  bigint NOT NULL
);
INSERT INTO sync_counter (id, value) VALUES (1, 0);

-- Server-wide settings shared by every instance (e.g. the generated JWT secret).
CREATE TABLE server_settings (
    name        text PRIMARY KEY,
    value       text NOT NULL,
    created_at  timestamptz NOT NULL
);
