DROP TABLE changes;
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
