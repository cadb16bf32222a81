DROP INDEX changes_program_position_idx;
DROP INDEX changes_position_idx;
ALTER TABLE changes DROP COLUMN xid;
