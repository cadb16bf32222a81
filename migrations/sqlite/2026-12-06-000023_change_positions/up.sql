-- A change's position is (xid, seq). SQLite has one writer at a time, so
-- seq alone orders the feed (numbered from sync_counter) and xid stays 0;
-- the column keeps one schema for both backends.
ALTER TABLE changes ADD COLUMN xid INTEGER NOT NULL DEFAULT 0;
CREATE INDEX changes_position_idx ON changes (xid, seq);
CREATE INDEX changes_program_position_idx ON changes (program_id, xid);
