//! Sign-in sessions (SECURITY.md): every sign-in opens one. Its refresh token is opaque (256
//! random bits), stored only as a SHA-256, and rotates on every use; a spent one presented again
//! ends the whole session (someone else holds a copy). Access tokens name their session, so a
//! logout or a revocation refuses them from the next request on.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::api::SessionResponse;
use super::repo::{self, SessionRow, UserRow};
use super::token::{IssuedToken, TokenService};
use crate::audit::event::{self as audit, AuditEvent, Origin, Outcome, RequestMeta};
use crate::clock;
use crate::config::JwtSettings;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::{SessionId, UserId};
use crate::state::Caller;
use crate::text::hex;

/// The tokens of a session: a short access token and the refresh token that renews it.
pub struct SignedIn {
    pub access: IssuedToken,
    pub refresh_token: String,
}

/// How a refresh token is stored.
fn digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A new refresh token and its stored digest.
fn new_refresh_token() -> Result<(String, String), ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(anyhow::anyhow!("random: {e}")))?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = digest(&token);
    Ok((token, hash))
}

fn duration(d: std::time::Duration) -> Result<chrono::Duration, ApiError> {
    chrono::Duration::from_std(d).map_err(ApiError::internal)
}

/// Writes a new session for `user` that ends after `ttl`.
fn start(
    conn: &mut DbConn,
    user: &UserRow,
    meta: &RequestMeta,
    ttl: std::time::Duration,
) -> Result<SessionId, ApiError> {
    let now = clock::now();
    let id = SessionId::new();
    repo::insert_session(
        conn,
        &SessionRow {
            id,
            user_id: user.id,
            created_at: now,
            last_used_at: now,
            expires_at: now + duration(ttl)?,
            revoked_at: None,
            client_addr: meta.client_addr.clone(),
            user_agent: meta.user_agent.clone(),
        },
    )?;
    Ok(id)
}

/// Opens a session for `user` (a sign-in, a registration, a second factor).
pub fn open(
    conn: &mut DbConn,
    tokens: &TokenService,
    jwt: &JwtSettings,
    user: &UserRow,
    meta: &RequestMeta,
) -> Result<SignedIn, ApiError> {
    let id = start(conn, user, meta, jwt.refresh_ttl)?;
    let (refresh_token, hash) = new_refresh_token()?;
    repo::insert_refresh_token(conn, &hash, id, clock::now())?;
    let access = tokens.issue(user.id, user.role, user.token_version, Some(id))?;
    Ok(SignedIn { access, refresh_token })
}

/// Opens a session that ends after `ttl` with no refresh token (a redeemed invitation): one
/// access token for its whole life. Logout and revocation end it like any other.
pub fn open_short(
    conn: &mut DbConn,
    tokens: &TokenService,
    user: &UserRow,
    meta: &RequestMeta,
    ttl: std::time::Duration,
) -> Result<IssuedToken, ApiError> {
    let id = start(conn, user, meta, ttl)?;
    tokens.issue_for(user.id, user.role, user.token_version, id, ttl.as_secs() as i64)
}

/// What presenting a refresh token did.
pub enum Refresh {
    /// A new access token and the refresh token to use next time.
    Renewed(SignedIn),
    /// The token was spent already (the session is ended now), or its session had ended:
    /// refused, and the attempt audited (committed with this answer).
    Refused,
}

/// Renews a session's tokens for its refresh token (in the caller's write transaction).
pub fn refresh(
    conn: &mut DbConn,
    tokens: &TokenService,
    jwt: &JwtSettings,
    presented: &str,
    meta: &RequestMeta,
) -> Result<Refresh, ApiError> {
    let hash = digest(presented);
    let (spent_at, session) = repo::find_refresh_token(conn, &hash)?.ok_or(ApiError::Unauthenticated)?;
    if session.revoked_at.is_some() {
        let event = AuditEvent::new("auth.refresh_revoked", "session", session.id).outcome(Outcome::Denied);
        audit::record(conn, Origin { actor: None, meta }, &[event])?;
        return Ok(Refresh::Refused);
    }
    let now = clock::now();
    if spent_at.is_some() || !repo::spend_refresh_token(conn, &hash, now)? {
        repo::revoke_session(conn, session.user_id, session.id, now)?;
        let event = AuditEvent::new("auth.refresh_reused", "session", session.id).outcome(Outcome::Denied);
        audit::record(conn, Origin { actor: None, meta }, &[event])?;
        return Ok(Refresh::Refused);
    }
    if session.expires_at <= now || session.last_used_at + duration(jwt.refresh_idle)? <= now {
        return Err(ApiError::Unauthenticated);
    }
    let user = repo::find(conn, session.user_id)?
        .filter(|u| !u.disabled)
        .ok_or(ApiError::Unauthenticated)?;
    repo::touch_session(conn, session.id, now)?;
    let (refresh_token, next) = new_refresh_token()?;
    repo::insert_refresh_token(conn, &next, session.id, now)?;
    let access = tokens.issue(user.id, user.role, user.token_version, Some(session.id))?;
    Ok(Refresh::Renewed(SignedIn { access, refresh_token }))
}

/// Ends the caller's own session (the one their token names).
pub fn logout(conn: &mut DbConn, caller: &Caller) -> Result<(), ApiError> {
    if let Some(session) = caller.session {
        repo::revoke_session(conn, caller.actor.user_id, session, clock::now())?;
        audit::record(
            conn,
            caller.origin(),
            &[AuditEvent::new("auth.logout", "session", session)],
        )?;
    }
    Ok(())
}

/// The caller's open sessions (not ended, expired or idle), newest first.
pub fn list(conn: &mut DbConn, caller: &Caller, jwt: &JwtSettings) -> Result<Vec<SessionResponse>, ApiError> {
    let now = clock::now();
    Ok(
        repo::open_sessions(conn, caller.actor.user_id, now, now - duration(jwt.refresh_idle)?)?
            .into_iter()
            .map(|s| SessionResponse {
                id: s.id.into(),
                current: caller.session == Some(s.id),
                created_at: clock::utc(s.created_at),
                last_used_at: clock::utc(s.last_used_at),
                expires_at: clock::utc(s.expires_at),
                client_addr: s.client_addr,
                user_agent: s.user_agent,
            })
            .collect(),
    )
}

/// Ends one of the caller's sessions; another user's is not found.
pub fn revoke(conn: &mut DbConn, caller: &Caller, id: SessionId) -> Result<(), ApiError> {
    if !repo::revoke_session(conn, caller.actor.user_id, id, clock::now())? {
        return Err(ApiError::NotFound("session"));
    }
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("session.revoke", "session", id)],
    )?;
    Ok(())
}

/// Ends every session of the user and refuses every access token issued to them so far (the
/// caller audits why: a disable, a role change, a second factor reset, a sign-out everywhere).
pub fn end_all(conn: &mut DbConn, user: UserId, now: chrono::NaiveDateTime) -> Result<(), ApiError> {
    repo::revoke_sessions(conn, user, None, now)?;
    repo::revoke_tokens(conn, user, now)?;
    Ok(())
}

/// An administrator signs a user out everywhere: every session ends and every access token
/// issued so far is refused (also those outside a session).
pub fn revoke_all(conn: &mut DbConn, caller: &Caller, user: UserId) -> Result<(), ApiError> {
    caller.actor.require_admin()?;
    repo::find(conn, user)?.ok_or(ApiError::NotFound("user"))?;
    end_all(conn, user, clock::now())?;
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("user.sessions_revoke", "user", user)],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_are_long_random_and_stored_as_digests() {
        let (a, hash_a) = new_refresh_token().unwrap();
        let (b, _) = new_refresh_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "256 bits in unpadded base64url");
        assert_eq!(hash_a, digest(&a));
        assert_eq!(hash_a.len(), 64);
        assert!(!hash_a.contains(&a));
    }
}
