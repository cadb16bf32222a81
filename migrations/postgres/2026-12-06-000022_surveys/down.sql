DELETE FROM changes WHERE entity_type IN ('survey_round', 'survey_response');
ALTER TABLE changes DROP CONSTRAINT changes_entity_type_check;
ALTER TABLE changes ADD CONSTRAINT changes_entity_type_check CHECK (entity_type IN ('program', 'membership', 'mentorship', 'plan', 'activity', 'indicator', 'measurement', 'check_in', 'comment', 'attachment', 'change_request'));
ALTER TABLE notification_settings DROP COLUMN survey_due;
DROP TABLE survey_responses;
DROP TABLE survey_rounds;
