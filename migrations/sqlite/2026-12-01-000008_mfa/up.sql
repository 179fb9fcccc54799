-- A user's TOTP second factor (RFC 6238). Pending until the first code confirms it;
-- `last_step` is the time step of the last code accepted, so a code works once.
CREATE TABLE mfa_totp (
    user_id      TEXT PRIMARY KEY NOT NULL REFERENCES users (id),
    secret       TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    confirmed_at TIMESTAMP,
    last_step    BIGINT
);

-- One-time recovery codes, by SHA-256 (each is 80 random bits).
CREATE TABLE mfa_recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at   TIMESTAMP,
    PRIMARY KEY (user_id, code_hash)
);
