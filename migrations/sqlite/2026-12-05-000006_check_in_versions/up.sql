-- A check-in's earlier versions: what the author wrote, and the review it
-- had, before a revision replaced it (a revision is asked for by a mentor).
CREATE TABLE check_in_versions (
    check_in_id     TEXT NOT NULL REFERENCES check_ins (id) ON DELETE CASCADE,
    version         INTEGER NOT NULL,
    reported_on     TEXT NOT NULL,
    summary         TEXT NOT NULL,
    progress        TEXT NOT NULL,
    confidence      INTEGER NOT NULL,
    achievements    TEXT,
    challenges      TEXT,
    support_needed  TEXT,
    next_steps      TEXT,
    evidence        TEXT NOT NULL,
    review_status   TEXT NOT NULL,
    review_note     TEXT,
    reviewer_id     TEXT REFERENCES users (id) ON DELETE SET NULL,
    reviewed_at     TEXT,
    updated_at      TEXT NOT NULL,
    replaced_at     TEXT NOT NULL,
    PRIMARY KEY (check_in_id, version)
) STRICT;
