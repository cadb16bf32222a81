-- Change requests: how a running plan changes what its mentor approved
-- (the end date, the goal, an indicator's baseline or target). At most one
-- is open per plan. `changes` holds the proposed values as JSON.
CREATE TABLE change_requests (
    id             TEXT PRIMARY KEY,
    plan_id        TEXT NOT NULL REFERENCES action_plans (id) ON DELETE CASCADE,
    program_id     TEXT NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    requested_by   TEXT REFERENCES users (id) ON DELETE SET NULL,
    reason         TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    changes        TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'approved', 'declined')),
    plan_version   INTEGER NOT NULL,
    decided_by     TEXT REFERENCES users (id) ON DELETE SET NULL,
    decided_at     TEXT,
    decision_note  TEXT CHECK (decision_note IS NULL OR length(decision_note) BETWEEN 1 AND 2000),
    created_at     TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX change_requests_plan_idx ON change_requests (plan_id, created_at, id);
CREATE UNIQUE INDEX change_requests_one_open_idx ON change_requests (plan_id) WHERE status = 'open';
-- The change feed carries them. SQLite cannot change a CHECK in place: the
-- table is rebuilt with its rows and indexes.
CREATE TABLE changes_next (
    seq          INTEGER PRIMARY KEY,
    entity_type  TEXT NOT NULL CHECK (entity_type IN ('program', 'membership', 'mentorship', 'plan', 'activity', 'indicator', 'measurement', 'check_in', 'comment', 'attachment', 'change_request')),
    entity_id    TEXT NOT NULL,
    program_id   TEXT NOT NULL,
    plan_id      TEXT,
    owner_id     TEXT,
    plan_status  TEXT,
    restricted   INTEGER NOT NULL DEFAULT 0 CHECK (restricted IN (0, 1)),
    audience_id  TEXT,
    op           TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
    version      INTEGER NOT NULL,
    changed_at   TEXT NOT NULL
) STRICT;
INSERT INTO changes_next SELECT seq, entity_type, entity_id, program_id, plan_id, owner_id, plan_status, restricted, audience_id, op, version, changed_at FROM changes;
DROP TABLE changes;
ALTER TABLE changes_next RENAME TO changes;
CREATE INDEX changes_entity_idx ON changes (entity_id, seq);
CREATE INDEX changes_program_idx ON changes (program_id, seq);
CREATE INDEX changes_owner_idx ON changes (owner_id, seq);
CREATE INDEX changes_audience_idx ON changes (audience_id, seq);
CREATE INDEX changes_changed_at_idx ON changes (changed_at);
