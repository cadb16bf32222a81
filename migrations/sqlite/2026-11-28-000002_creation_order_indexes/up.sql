-- Lists page in creation order, (created_at, id): one index per list.
CREATE INDEX users_created_idx ON users (created_at, id);
CREATE INDEX organizations_created_idx ON organizations (created_at, id);
CREATE INDEX programs_created_idx ON programs (created_at, id);
CREATE INDEX memberships_program_created_idx ON memberships (program_id, created_at, id);
CREATE INDEX mentorships_program_created_idx ON mentorships (program_id, created_at, id);
CREATE INDEX action_plans_created_idx ON action_plans (created_at, id);
CREATE INDEX activities_plan_created_idx ON activities (plan_id, created_at, id);
CREATE INDEX measurements_indicator_created_idx ON measurements (indicator_id, created_at, id);
CREATE INDEX check_ins_plan_created_idx ON check_ins (plan_id, created_at, id);
