DROP TABLE mail_messages;
DROP TABLE notification_settings;
