DROP TABLE changes;
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
