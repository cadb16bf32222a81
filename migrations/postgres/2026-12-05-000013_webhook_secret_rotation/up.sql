-- Rotating a webhook's secret: the secret it replaced keeps signing beside
-- the new one until `previous_secret_until`, so a receiver can switch
-- without refusing a message.
ALTER TABLE webhooks ADD COLUMN previous_secret text;
ALTER TABLE webhooks ADD COLUMN previous_secret_until timestamptz;
