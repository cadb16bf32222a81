-- A programme's status follows its dates (planned before the training,
-- training during it, follow_up until follow_up_until, closed after) unless
-- a coordinator sets it: status_set says which, and `status` holds the one
-- set. A programme left at the old default, planned, follows its dates.
ALTER TABLE programs ADD COLUMN status_set INTEGER NOT NULL DEFAULT 1 CHECK (status_set IN (0, 1));
UPDATE programs SET status_set = 0 WHERE status = 'planned';
