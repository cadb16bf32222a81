ALTER TABLE attachments DROP COLUMN preview_key;
