-- The change sequence behind GET /sync, with what a reader needs to decide who
-- may learn of a change without the changed row (which may be gone):
--   owner_id     the owner of the plan the entity belongs to (plan-scoped rows)
--   plan_status  that plan's status when the change was written
--   restricted   a mentors-only comment
--   audience_id  set on rows written for one user whose visibility changed
--                (a mentorship or membership added or removed): that user
--                re-reads the entity, and gets a tombstone if it is now hidden.
-- No release wrote to `changes` before this migration, so it is recreated.
DROP TABLE changes;
CREATE TABLE changes (
    seq          INTEGER PRIMARY KEY,
    entity_type  TEXT NOT NULL CHECK (entity_type IN ('program', 'membership', 'mentorship', 'plan', 'activity', 'indicator', 'measurement', 'check_in', 'comment')),
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
CREATE INDEX changes_entity_idx ON changes (entity_id, seq);
CREATE INDEX changes_program_idx ON changes (program_id, seq);
CREATE INDEX changes_owner_idx ON changes (owner_id, seq);
CREATE INDEX changes_audience_idx ON changes (audience_id, seq);
