-- A measurement can be corrected or withdrawn by its author: it carries a
-- version (for If-Match), when it last changed, and when and why it was
-- withdrawn (a withdrawn measurement stays, marked, and is never an
-- indicator's current value). Each version a correction or a withdrawal
-- replaced is kept in measurement_versions, with who replaced it and why.
ALTER TABLE measurements ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE measurements ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
UPDATE measurements SET updated_at = created_at;
ALTER TABLE measurements ADD COLUMN withdrawn_at TEXT;
ALTER TABLE measurements ADD COLUMN withdrawn_reason TEXT;

CREATE TABLE measurement_versions (
    measurement_id  TEXT NOT NULL REFERENCES measurements (id) ON DELETE CASCADE,
    version         INTEGER NOT NULL,
    value           REAL NOT NULL,
    measured_on     TEXT NOT NULL,
    note            TEXT,
    evidence        TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    replaced_at     TEXT NOT NULL,
    replaced_by     TEXT REFERENCES users (id) ON DELETE SET NULL,
    reason          TEXT NOT NULL,
    PRIMARY KEY (measurement_id, version)
) STRICT;
