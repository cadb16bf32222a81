ALTER TABLE indicators DROP COLUMN original_target;
ALTER TABLE indicators DROP COLUMN original_baseline;
ALTER TABLE action_plans DROP COLUMN original_goal;
ALTER TABLE action_plans DROP COLUMN original_ends_on;
