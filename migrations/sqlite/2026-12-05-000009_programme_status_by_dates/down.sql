ALTER TABLE programs DROP COLUMN status_set;
