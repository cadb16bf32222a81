-- A measurement can be corrected or withdrawn by its author: it carries a
-- version (for If-Match), when it last changed, and when and why it was
-- withdrawn (a withdrawn measurement stays, marked, and is never an
-- indicator's current value). Each version a correction or a withdrawal
-- replaced is kept in measurement_versions, with who replaced it and why.
ALTER TABLE measurements ADD COLUMN version bigint NOT NULL DEFAULT 1;
ALTER TABLE measurements ADD COLUMN updated_at timestamptz;
UPDATE measurements SET updated_at = created_at;
ALTER TABLE measurements ALTER COLUMN updated_at SET NOT NULL;
ALTER TABLE measurements ADD COLUMN withdrawn_at timestamptz;
ALTER TABLE measurements ADD COLUMN withdrawn_reason text;

CREATE TABLE measurement_versions (
    measurement_id  uuid NOT NULL REFERENCES measurements (id) ON DELETE CASCADE,
    version         bigint NOT NULL,
    value           double precision NOT NULL,
    measured_on     date NOT NULL,
    note            text,
    evidence        text NOT NULL,
    updated_at      timestamptz NOT NULL,
    replaced_at     timestamptz NOT NULL,
    replaced_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    reason          text NOT NULL,
    PRIMARY KEY (measurement_id, version)
);
