-- Tokens issued before a disable or a role change are refused (SECURITY.md): this service's
-- tokens carry the user's token_version, which such a change increments; tokens from the
-- clinic's identity provider are compared by their issue time with tokens_valid_after.
ALTER TABLE users ADD COLUMN token_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN tokens_valid_after TIMESTAMP;
