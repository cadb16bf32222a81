-- Followup initial schema (SQLite, STRICT tables). Kept in step with migrations/postgres by
-- the migration parity test; never edit once landed, add a new migration.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind        TEXT NOT NULL CHECK (kind IN ('ministry_directorate', 'regional_agency', 'technical_unit', 'partner', 'university', 'other')),
    parent_id   TEXT REFERENCES organizations (id) ON DELETE RESTRICT,
    region      TEXT,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CHECK (parent_id IS NULL OR parent_id <> id)
) STRICT;
CREATE UNIQUE INDEX organizations_name_key ON organizations (lower(name));
CREATE INDEX organizations_parent_idx ON organizations (parent_id);

CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    email               TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    display_name        TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    organization_id     TEXT REFERENCES organizations (id) ON DELETE RESTRICT,
    position            TEXT,
    locale              TEXT NOT NULL DEFAULT 'en' CHECK (locale IN ('id', 'en')),
    time_zone           TEXT NOT NULL DEFAULT 'Asia/Jakarta',
    system_role         TEXT NOT NULL DEFAULT 'member' CHECK (system_role IN ('admin', 'member')),
    active              INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    password_hash       TEXT NOT NULL,
    password_changed_at TEXT NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_organization_idx ON users (organization_id);

CREATE TABLE programs (
    id                     TEXT PRIMARY KEY,
    code                   TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 64),
    title                  TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    theme                  TEXT,
    funder                 TEXT,
    partners               TEXT NOT NULL DEFAULT '[]',
    location               TEXT,
    training_starts_on     TEXT NOT NULL,
    training_ends_on       TEXT NOT NULL,
    follow_up_until        TEXT NOT NULL,
    check_in_cadence_days  INTEGER NOT NULL DEFAULT 14 CHECK (check_in_cadence_days BETWEEN 1 AND 90),
    status                 TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'training', 'follow_up', 'closed')),
    version                INTEGER NOT NULL DEFAULT 1,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    CHECK (training_ends_on >= training_starts_on),
    CHECK (follow_up_until >= training_ends_on)
) STRICT;
CREATE UNIQUE INDEX programs_code_key ON programs (lower(code));
CREATE INDEX programs_status_idx ON programs (status);

CREATE TABLE memberships (
    id          TEXT PRIMARY KEY,
    program_id  TEXT NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('coordinator', 'mentor', 'delegate', 'observer')),
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX memberships_program_user_key ON memberships (program_id, user_id);
CREATE INDEX memberships_user_idx ON memberships (user_id, program_id);

CREATE TABLE mentorships (
    id           TEXT PRIMARY KEY,
    program_id   TEXT NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    mentor_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    delegate_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    CHECK (mentor_id <> delegate_id)
) STRICT;
CREATE UNIQUE INDEX mentorships_program_mentor_delegate_key ON mentorships (program_id, mentor_id, delegate_id);
CREATE INDEX mentorships_mentor_idx ON mentorships (mentor_id, delegate_id);
CREATE INDEX mentorships_delegate_idx ON mentorships (delegate_id);

CREATE TABLE action_plans (
    id                 TEXT PRIMARY KEY,
    program_id         TEXT NOT NULL REFERENCES programs (id) ON DELETE RESTRICT,
    owner_id           TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    title              TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    problem_statement  TEXT,
    goal               TEXT,
    target_group       TEXT,
    location           TEXT,
    starts_on          TEXT NOT NULL,
    ends_on            TEXT NOT NULL,
    status             TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted', 'changes_requested', 'active', 'completed', 'discontinued')),
    status_reason      TEXT,
    submitted_at       TEXT,
    approved_at        TEXT,
    closed_at          TEXT,
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    CHECK (ends_on >= starts_on)
) STRICT;
CREATE INDEX action_plans_program_status_idx ON action_plans (program_id, status);
CREATE INDEX action_plans_program_updated_idx ON action_plans (program_id, updated_at, id);
CREATE INDEX action_plans_owner_idx ON action_plans (owner_id, updated_at, id);
CREATE INDEX action_plans_updated_idx ON action_plans (updated_at, id);
CREATE INDEX action_plans_ends_idx ON action_plans (ends_on, id);

CREATE TABLE activities (
    id            TEXT PRIMARY KEY,
    plan_id       TEXT NOT NULL REFERENCES action_plans (id) ON DELETE CASCADE,
    title         TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    description   TEXT,
    starts_on     TEXT,
    due_on        TEXT,
    status        TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'in_progress', 'done', 'blocked', 'cancelled')),
    completed_on  TEXT,
    position      INTEGER NOT NULL DEFAULT 0,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CHECK (due_on IS NULL OR starts_on IS NULL OR due_on >= starts_on),
    CHECK (completed_on IS NULL OR status = 'done')
) STRICT;
CREATE INDEX activities_plan_position_idx ON activities (plan_id, position, id);
CREATE INDEX activities_plan_status_due_idx ON activities (plan_id, status, due_on);

CREATE TABLE indicators (
    id          TEXT PRIMARY KEY,
    plan_id     TEXT NOT NULL REFERENCES action_plans (id) ON DELETE CASCADE,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    unit        TEXT,
    baseline    REAL NOT NULL,
    target      REAL NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('increase', 'decrease')),
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;
CREATE INDEX indicators_plan_idx ON indicators (plan_id, created_at, id);

CREATE TABLE measurements (
    id            TEXT PRIMARY KEY,
    indicator_id  TEXT NOT NULL REFERENCES indicators (id) ON DELETE CASCADE,
    value         REAL NOT NULL,
    measured_on   TEXT NOT NULL,
    note          TEXT,
    evidence      TEXT NOT NULL DEFAULT '[]',
    recorded_by   TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    created_at    TEXT NOT NULL
) STRICT;
CREATE INDEX measurements_indicator_idx ON measurements (indicator_id, measured_on, created_at, id);

CREATE TABLE check_ins (
    id              TEXT PRIMARY KEY,
    plan_id         TEXT NOT NULL REFERENCES action_plans (id) ON DELETE CASCADE,
    author_id       TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    reported_on     TEXT NOT NULL,
    summary         TEXT NOT NULL CHECK (length(summary) BETWEEN 1 AND 4000),
    progress        TEXT NOT NULL CHECK (progress IN ('on_track', 'at_risk', 'off_track')),
    confidence      INTEGER NOT NULL CHECK (confidence BETWEEN 0 AND 10),
    achievements    TEXT,
    challenges      TEXT,
    support_needed  TEXT,
    next_steps      TEXT,
    evidence        TEXT NOT NULL DEFAULT '[]',
    review_status   TEXT NOT NULL DEFAULT 'pending' CHECK (review_status IN ('pending', 'acknowledged', 'revision_requested')),
    review_note     TEXT,
    reviewer_id     TEXT REFERENCES users (id) ON DELETE SET NULL,
    reviewed_at     TEXT,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;
CREATE INDEX check_ins_plan_reported_idx ON check_ins (plan_id, reported_on, id);
CREATE INDEX check_ins_review_idx ON check_ins (review_status, plan_id);

CREATE TABLE comments (
    id           TEXT PRIMARY KEY,
    plan_id      TEXT NOT NULL REFERENCES action_plans (id) ON DELETE CASCADE,
    target_type  TEXT CHECK (target_type IN ('activity', 'indicator', 'check_in')),
    target_id    TEXT,
    author_id    TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    body         TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    visibility   TEXT NOT NULL DEFAULT 'shared' CHECK (visibility IN ('shared', 'mentors')),
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    CHECK ((target_type IS NULL) = (target_id IS NULL))
) STRICT;
CREATE INDEX comments_plan_idx ON comments (plan_id, created_at, id);
CREATE INDEX comments_target_idx ON comments (target_type, target_id);

-- Append-only; written in the same transaction as the change it records.
CREATE TABLE audit_events (
    id           TEXT PRIMARY KEY,
    occurred_at  TEXT NOT NULL,
    actor_id     TEXT REFERENCES users (id) ON DELETE SET NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    program_id   TEXT,
    plan_id      TEXT,
    action       TEXT NOT NULL,
    changes      TEXT NOT NULL DEFAULT '{}',
    reason       TEXT
) STRICT;
CREATE INDEX audit_events_plan_idx ON audit_events (plan_id, occurred_at, id);
CREATE INDEX audit_events_entity_idx ON audit_events (entity_type, entity_id, occurred_at);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, occurred_at);

-- A login session: the family of rotated refresh tokens. Access tokens carry its id (`sid`).
CREATE TABLE sessions (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      TEXT NOT NULL,
    last_used_at    TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    revoked_at      TEXT,
    revoked_reason  TEXT CHECK (revoked_reason IN ('logout', 'password_change', 'reuse_detected', 'deactivated', 'admin'))
) STRICT;
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Refresh tokens are stored only as a SHA-256 hash.
CREATE TABLE refresh_tokens (
    id           TEXT PRIMARY KEY,
    session_id   TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    token_hash   TEXT NOT NULL,
    issued_at    TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    rotated_at   TEXT
) STRICT;
CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- POST replay store: one row per (caller, key); kept at least 24 hours.
CREATE TABLE idempotency_keys (
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    idempotency_key  TEXT NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    request_method   TEXT NOT NULL,
    request_path     TEXT NOT NULL,
    request_hash     TEXT NOT NULL,
    response_status  INTEGER,
    response_headers TEXT,
    response_body    TEXT,
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    PRIMARY KEY (user_id, idempotency_key)
) STRICT;
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);

-- The change sequence behind GET /sync: one row per change, numbered from the
-- counter in sync_counter inside the writing transaction, so numbers are
-- handed out in commit order.
CREATE TABLE changes (
    seq          INTEGER PRIMARY KEY,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    program_id   TEXT,
    plan_id      TEXT,
    op           TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
    version      INTEGER NOT NULL,
    changed_at   TEXT NOT NULL
) STRICT;
CREATE INDEX changes_entity_idx ON changes (entity_type, entity_id);
CREATE INDEX changes_program_idx ON changes (program_id, seq);
CREATE INDEX changes_plan_idx ON changes (plan_id, seq);

CREATE TABLE sync_counter (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    value  INTEGER NOT NULL
) STRICT;
INSERT INTO sync_counter (id, value) VALUES (1, 0);

-- Server-wide settings shared by every instance (e.g. the generated JWT secret).
CREATE TABLE server_settings (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;
