-- A check-in's earlier versions: what the author wrote, and the review it
-- had, before a revision replaced it (a revision is asked for by a mentor).
CREATE TABLE check_in_versions (
    check_in_id     uuid NOT NULL REFERENCES check_ins (id) ON DELETE CASCADE,
    version         bigint NOT NULL,
    reported_on     date NOT NULL,
    summary         text NOT NULL,
    progress        text NOT NULL,
    confidence      integer NOT NULL,
    achievements    text,
    challenges      text,
    support_needed  text,
    next_steps      text,
    evidence        text NOT NULL,
    review_status   text NOT NULL,
    review_note     text,
    reviewer_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    reviewed_at     timestamptz,
    updated_at      timestamptz NOT NULL,
    replaced_at     timestamptz NOT NULL,
    PRIMARY KEY (check_in_id, version)
);
