-- Follow-up surveys: a programme's rounds, each opening a set number of days
-- after the training ends (on that day in each delegate's time zone) and
-- staying open `open_days` days; each delegate answers a round once and may
-- change the answers until it closes. `title` and `questions` are JSON
-- (texts in Indonesian and English).
CREATE TABLE survey_rounds (
    id                   uuid PRIMARY KEY,
    program_id           uuid NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    title                text NOT NULL,
    days_after_training  integer NOT NULL CHECK (days_after_training BETWEEN 0 AND 3650),
    open_days            integer NOT NULL CHECK (open_days BETWEEN 1 AND 90),
    questions            text NOT NULL,
    observers_see_text   boolean NOT NULL DEFAULT false,
    created_by           uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    version              bigint NOT NULL DEFAULT 1
);
CREATE INDEX survey_rounds_program_idx ON survey_rounds (program_id, days_after_training, id);
CREATE TABLE survey_responses (
    id             uuid PRIMARY KEY,
    round_id       uuid NOT NULL REFERENCES survey_rounds (id) ON DELETE CASCADE,
    program_id     uuid NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    respondent_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    answers        text NOT NULL,
    submitted_at   timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    version        bigint NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX survey_responses_once_idx ON survey_responses (round_id, respondent_id);
CREATE INDEX survey_responses_respondent_idx ON survey_responses (respondent_id);
-- A round falling due is one of the reminders a person may turn off.
ALTER TABLE notification_settings ADD COLUMN survey_due boolean NOT NULL DEFAULT true;
-- The change feed carries rounds and responses.
ALTER TABLE changes DROP CONSTRAINT changes_entity_type_check;
ALTER TABLE changes ADD CONSTRAINT changes_entity_type_check CHECK (entity_type IN ('program', 'membership', 'mentorship', 'plan', 'activity', 'indicator', 'measurement', 'check_in', 'comment', 'attachment', 'change_request', 'survey_round', 'survey_response'));
