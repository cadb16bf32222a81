-- The change feed is compacted by age (FOLLOWUP_SYNC_RETENTION_DAYS): find
-- the old rows without a scan.
CREATE INDEX changes_changed_at_idx ON changes (changed_at);
