-- Follow-up surveys: a programme's rounds, each opening a set number of days
-- after the training ends (on that day in each delegate's time zone) and
-- staying open `open_days` days; each delegate answers a round once and may
-- change the answers until it closes. `title` and `questions` are JSON
-- (texts in Indonesian and English).
CREATE TABLE survey_rounds (
    id                   TEXT PRIMARY KEY,
    program_id           TEXT NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    title                TEXT NOT NULL,
    days_after_training  INTEGER NOT NULL CHECK (days_after_training BETWEEN 0 AND 3650),
    open_days            INTEGER NOT NULL CHECK (open_days BETWEEN 1 AND 90),
    questions            TEXT NOT NULL,
    observers_see_text   INTEGER NOT NULL DEFAULT 0 CHECK (observers_see_text IN (0, 1)),
    created_by           TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    version              INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX survey_rounds_program_idx ON survey_rounds (program_id, days_after_training, id);
CREATE TABLE survey_responses (
    id             TEXT PRIMARY KEY,
    round_id       TEXT NOT NULL REFERENCES survey_rounds (id) ON DELETE CASCADE,
    program_id     TEXT NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    respondent_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    answers        TEXT NOT NULL,
    submitted_at   TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE UNIQUE INDEX survey_responses_once_idx ON survey_responses (round_id, respondent_id);
CREATE INDEX survey_responses_respondent_idx ON survey_responses (respondent_id);
-- A round falling due is one of the reminders a person may turn off.
ALTER TABLE notification_settings ADD COLUMN survey_due INTEGER NOT NULL DEFAULT 1 CHECK (survey_due IN (0, 1));
-- The change feed carries rounds and responses. SQLite cannot change a
-- CHECK in place: the table is rebuilt with its rows and indexes.
CREATE TABLE changes_next (
    seq          INTEGER PRIMARY KEY,
    entity_type  TEXT NOT NULL CHECK (entity_type IN ('program', 'membership', 'mentorship', 'plan', 'activity', 'indicator', 'measurement', 'check_in', 'comment', 'attachment', 'change_request', 'survey_round', 'survey_response')),
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
