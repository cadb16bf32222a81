-- What a plan's mentor approved, kept beside what the plan says now: the
-- end date and goal when the plan was approved, each indicator's baseline
-- and target then (or when it was added to the running plan). NULL until
-- the plan is approved. Plans approved before this migration keep their
-- values of today as their originals.
ALTER TABLE action_plans ADD COLUMN original_ends_on TEXT;
ALTER TABLE action_plans ADD COLUMN original_goal TEXT;
ALTER TABLE indicators ADD COLUMN original_baseline REAL;
ALTER TABLE indicators ADD COLUMN original_target REAL;
UPDATE action_plans SET original_ends_on = ends_on, original_goal = goal WHERE approved_at IS NOT NULL;
UPDATE indicators SET original_baseline = baseline, original_target = target
WHERE plan_id IN (SELECT id FROM action_plans WHERE approved_at IS NOT NULL);
