DROP INDEX check_ins_plan_latest_idx;
