DROP TABLE check_in_versions;
