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
    seq          bigint PRIMARY KEY,
    entity_type  text NOT NULL CHECK (entity_type IN ('program', 'membership', 'mentorship', 'plan', 'activity', 'indicator', 'measurement', 'check_in', 'comment')),
    entity_id    uuid NOT NULL,
    program_id   uuid NOT NULL,
    plan_id      uuid,
    owner_id     uuid,
    plan_status  text,
    restricted   boolean NOT NULL DEFAULT false,
    audience_id  uuid,
    op           text NOT NULL CHECK (op IN ('upsert', 'delete')),
    version      bigint NOT NULL,
    changed_at   timestamptz NOT NULL
);
CREATE INDEX changes_entity_idx ON changes (entity_id, seq);
CREATE INDEX changes_program_idx ON changes (program_id, seq);
CREATE INDEX changes_owner_idx ON changes (owner_id, seq);
CREATE INDEX changes_audience_idx ON changes (audience_id, seq);
