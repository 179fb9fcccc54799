-- Sign-in sessions (SECURITY.md): short access tokens name their session, which a logout, a
-- revocation or a reused refresh token ends; refresh tokens rotate and are stored hashed.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id),
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP,
    client_addr  TEXT,
    user_agent   TEXT
);
CREATE INDEX sessions_user_idx ON sessions (user_id, created_at);

-- Every refresh token a session was given, by SHA-256; a spent one presented again ends the
-- session (theft detection).
CREATE TABLE refresh_tokens (
    hash       TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    created_at TIMESTAMP NOT NULL,
    spent_at   TIMESTAMP
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);
