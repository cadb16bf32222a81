-- An image's small preview (a JPEG at most 320 pixels a side), where the
-- file store keeps it; NULL when the file has none.
ALTER TABLE attachments ADD COLUMN preview_key text;
