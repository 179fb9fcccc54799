ALTER TABLE users DROP COLUMN tokens_valid_after;
ALTER TABLE users DROP COLUMN token_version;
