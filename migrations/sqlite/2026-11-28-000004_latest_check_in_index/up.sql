-- The monitoring reads find each plan's latest check-in by (reported_on,
-- created_at, id) descending; this index serves that order without a sort.
CREATE INDEX check_ins_plan_latest_idx ON check_ins (plan_id, reported_on, created_at, id);
