DELETE FROM changes WHERE entity_type IN ('survey_round', 'survey_response');
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
ALTER TABLE notification_settings DROP COLUMN survey_due;
DROP TABLE survey_responses;
DROP TABLE survey_rounds;
