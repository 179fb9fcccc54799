//! The caller behind a verified token: the user row loaded on every request, and the local
//! user an identity-provider subject maps to.

use sha2::{Digest, Sha256};

use super::domain::{Actor, Role, normalize_email};
use super::repo::{self, NewUserRow, UserChanges};
use super::token::Identity;
use crate::clock;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::UserId;
use crate::text::hex;

/// Loads the caller for a verified token. Unknown or disabled users are refused; the role in
/// the database is authoritative for local users (a demotion applies at once).
pub fn load(conn: &mut DbConn, identity: &Identity) -> Result<Actor, ApiError> {
    let user_id = match identity {
        Identity::Local { user_id } => *user_id,
        Identity::External {
            subject,
            role,
            email,
            name,
        } => provision_external(conn, subject, *role, email.as_deref(), name.as_deref())?,
    };
    let (user_id, role, display_name, disabled, patient_id) =
        repo::actor(conn, user_id)?.ok_or(ApiError::Unauthenticated)?;
    if disabled {
        return Err(ApiError::Unauthenticated);
    }
    Ok(Actor {
        user_id,
        role,
        display_name,
        patient_id,
    })
}

/// Maps an identity-provider user to a local user, creating it on first sight. The provider's
/// role claim is authoritative for its users.
fn provision_external(
    conn: &mut DbConn,
    subject: &str,
    role: Role,
    email: Option<&str>,
    name: Option<&str>,
) -> Result<UserId, ApiError> {
    if let Some(user) = repo::find_by_external_subject(conn, subject)? {
        if user.role != role && !user.disabled {
            let changes = UserChanges {
                role: Some(role),
                updated_at: Some(clock::now()),
                ..Default::default()
            };
            repo::update(conn, user.id, &changes)?;
        }
        return Ok(user.id);
    }
    let id = UserId::new();
    let placeholder = format!("{}@external.invalid", &hex(&Sha256::digest(subject.as_bytes()))[..24]);
    // Never link to an existing local account by email: the provider's claim is not proof of it.
    let email = email
        .map(normalize_email)
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
    Ok(id)
}
