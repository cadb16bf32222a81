DELETE FROM changes WHERE entity_type = 'attachment';
ALTER TABLE changes DROP CONSTRAINT changes_entity_type_check;
ALTER TABLE changes ADD CONSTRAINT changes_entity_type_check CHECK (entity_type IN ('program', 'membership', 'mentorship', 'plan', 'activity', 'indicator', 'measurement', 'check_in', 'comment'));
