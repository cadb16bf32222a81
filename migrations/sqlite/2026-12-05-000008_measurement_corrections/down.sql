DROP TABLE measurement_versions;
ALTER TABLE measurements DROP COLUMN withdrawn_reason;
ALTER TABLE measurements DROP COLUMN withdrawn_at;
ALTER TABLE measurements DROP COLUMN updated_at;
ALTER TABLE measurements DROP COLUMN version;
