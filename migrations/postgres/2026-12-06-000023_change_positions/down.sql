UPDATE sync_counter SET value = GREATEST(value, (SELECT COALESCE(max(seq), 0) FROM changes)) WHERE id = 1;
DROP INDEX changes_program_position_idx;
DROP INDEX changes_position_idx;
ALTER TABLE changes ALTER COLUMN seq DROP DEFAULT;
DROP SEQUENCE changes_seq;
ALTER TABLE changes DROP COLUMN xid;
