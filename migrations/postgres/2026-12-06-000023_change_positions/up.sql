-- The change feed without a global lock. A change's position is
-- (xid, seq): the id of the transaction that wrote it, then a number from a
-- sequence for its order inside that transaction. Writers no longer queue on
-- sync_counter; a reader returns only changes of transactions older than
-- every transaction of this database still running, so a change that
-- commits later always lands after the reader's cursor.
-- Rows written before this migration keep xid 0: they come first, and a
-- cursor issued before it, (0, seq), stays valid.
ALTER TABLE changes ADD COLUMN xid bigint NOT NULL DEFAULT 0;
ALTER TABLE changes ALTER COLUMN xid SET DEFAULT (pg_current_xact_id()::text::bigint);
CREATE SEQUENCE changes_seq OWNED BY changes.seq;
SELECT setval('changes_seq', GREATEST((SELECT value FROM sync_counter WHERE id = 1), (SELECT COALESCE(max(seq), 0) FROM changes)) + 1, false);
ALTER TABLE changes ALTER COLUMN seq SET DEFAULT nextval('changes_seq');
CREATE INDEX changes_position_idx ON changes (xid, seq);
CREATE INDEX changes_program_position_idx ON changes (program_id, xid);
