-- What the scheduler has already told: one row per time-based event (an
-- activity overdue for a due date, a delegate silent since a date), written
-- in the same transaction as the event, so each is published once however
-- many instances look, and again only when its date changes.
CREATE TABLE notices (
    kind         text NOT NULL,
    program_id   uuid NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    subject_id   uuid NOT NULL,
    on_date      date NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (kind, program_id, subject_id, on_date)
);
