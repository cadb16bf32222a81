DROP TABLE api_keys;
ALTER TABLE users DROP COLUMN service;
