//! The caller behind a verified token: the user row loaded on every request, and the local
//! user an identity-provider subject maps to.

use chrono::NaiveDateTime;
use diesel::QueryResult;
use sha2::{Digest, Sha256};

use super::domain::{Actor, Role, canonical_email};
use super::repo::{self, ActorKey, ActorRow, NewUserRow};
use super::token::Identity;
use crate::clock;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::UserId;
use crate::text::hex;

/// Loads the caller for a verified token. Unknown or disabled users are refused; the role in
/// the database is authoritative for local users (a demotion applies at once). With
/// `require_staff_mfa`, staff without a second factor are refused too (403).
pub fn load(conn: &mut DbConn, identity: &Identity, require_staff_mfa: bool) -> Result<Actor, ApiError> {
    let key = key(conn, identity)?;
    let row = repo::actor(conn, key)?;
    check(identity, row, require_staff_mfa)
}

/// [`load`], with a row the request needs read in the same statement as the caller's (one round
/// trip fewer): `fetch` reads both for the caller's key. When the caller is refused, the row is
/// dropped unread.
pub fn load_with<R>(
    conn: &mut DbConn,
    identity: &Identity,
    require_staff_mfa: bool,
    fetch: impl FnOnce(&mut DbConn, ActorKey) -> QueryResult<Option<(ActorRow, R)>>,
) -> Result<(Actor, R), ApiError> {
    let key = key(conn, identity)?;
    let (row, fetched) = fetch(conn, key)?.ok_or(ApiError::Unauthenticated)?;
    Ok((check(identity, Some(row), require_staff_mfa)?, fetched))
}

/// The token's user (an identity-provider user is provisioned on first sight) and session, now.
fn key(conn: &mut DbConn, identity: &Identity) -> Result<ActorKey, ApiError> {
    let (user_id, session) = match identity {
        Identity::Local { user_id, session, .. } => (*user_id, *session),
        Identity::External {
            subject,
            role,
            email,
            name,
            amr,
            ..
        } => (
            provision_external(conn, subject, *role, email.as_deref(), name.as_deref(), amr.as_deref())?,
            None,
        ),
    };
    Ok(ActorKey {
        user_id,
        session,
        now: clock::now(),
    })
}

/// Whether the caller's row lets this token act, and as whom.
fn check(identity: &Identity, row: Option<ActorRow>, require_staff_mfa: bool) -> Result<Actor, ApiError> {
    let row = row.ok_or(ApiError::Unauthenticated)?;
    let session = match identity {
        Identity::Local { session, .. } => *session,
        Identity::External { .. } => None,
    };
    // A token of a session that was logged out, revoked or caught reusing a refresh token is
    // refused at once, not when it expires.
    if row.disabled
        || (session.is_some() && !row.session_open)
        || !still_valid(identity, row.token_version, row.tokens_valid_after)
    {
        return Err(ApiError::Unauthenticated);
    }
    // Identity-provider users did their second factor at the provider (SECURITY.md).
    if require_staff_mfa && row.role.is_staff() && !row.mfa_enabled && matches!(identity, Identity::Local { .. }) {
        return Err(ApiError::MfaEnrollmentRequired);
    }
    Ok(Actor {
        user_id: row.id,
        role: row.role,
        display_name: row.display_name,
        patient_id: row.patient_id,
    })
}

/// A token issued before the user was disabled or their role changed is refused, even once
/// they are enabled again: this service's tokens by their token version (exact), the provider's
/// by their `iat` against `tokens_valid_after` (whole seconds, as `iat` has them).
fn still_valid(identity: &Identity, token_version: i64, valid_after: Option<NaiveDateTime>) -> bool {
    match identity {
        Identity::Local { version, .. } => *version == token_version,
        Identity::External { issued_at, .. } => match valid_after {
            None => true,
            Some(after) => issued_at.is_some_and(|iat| iat >= after.and_utc().timestamp()),
        },
    }
}

/// Maps an identity-provider user to a local user, creating it on first sight with the
/// provider's role claim. After that the role is the database's: an administrator's change
/// holds whatever role the provider's tokens still claim (SECURITY.md).
fn provision_external(
    conn: &mut DbConn,
    subject: &str,
    role: Role,
    email: Option<&str>,
    name: Option<&str>,
    amr: Option<&str>,
) -> Result<UserId, ApiError> {
    if let Some(user) = repo::find_by_external_subject(conn, subject)? {
        // Written only when it changes, so a request stays a read.
        if user.external_amr.as_deref() != amr {
            repo::set_external_amr(conn, user.id, amr)?;
        }
        return Ok(user.id);
    }
    let id = UserId::new();
    let placeholder = format!("{}@external.invalid", &hex(&Sha256::digest(subject.as_bytes()))[..24]);
    // Never link to an existing local account by email: the provider's claim is not proof of it.
    let email = email
        .and_then(|e| canonical_email(e).ok())
        .filter(|e| e.contains('@') && e.len() <= 254)
        .filter(|e| matches!(repo::find_by_email(conn, e), Ok(None)))
        .unwrap_or(placeholder);
    let display = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&email)
        .chars()
        .take(100)
        .collect::<String>();
    let now = clock::now();
    repo::insert(
        conn,
        &NewUserRow {
            id,
            email: &email,
            password_hash: None,
            role,
            display_name: &display,
            disabled: false,
            external_subject: Some(subject),
            created_at: now,
            updated_at: now,
        },
    )?;
    if amr.is_some() {
        repo::set_external_amr(conn, id, amr)?;
    }
    Ok(id)
}
