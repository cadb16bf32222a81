DROP TABLE account_tokens;
ALTER TABLE users DROP COLUMN password_state;
