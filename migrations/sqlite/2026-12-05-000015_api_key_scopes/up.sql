-- What an API key may do beyond reading its programme as an observer: a
-- JSON array of scope words (`read`, always; `webhooks`: manage the
-- programme's webhooks). Existing keys read only.
ALTER TABLE api_keys ADD COLUMN scopes text NOT NULL DEFAULT '["read"]';
