//! Account use-cases: registration, sign-in with lockout, the caller's identity, user admin.

use actix_web::web;

use super::api::{
    CreateUserRequest, LoginResponse, MeResponse, MfaChallenge, MfaVerifyRequest, PasswordRequest, RefreshRequest,
    RegisterRequest, RegisterResponse, TokenRequest, TokenResponse, UpdateUserRequest, UserListQuery, UserResponse,
};
use super::domain::{Role, canonical_email};
use super::mfa::{self, Checked};
use super::repo::{self, NewUserRow, UserChanges};
use super::sessions::{self, Refresh, SignedIn};
use super::{lockout, password};
use crate::audit::event::{self as audit, AuditEvent, Origin, Outcome, RequestMeta};
use crate::clock;
use crate::db::{self, DbConn};
use crate::error::ApiError;
use crate::http::pagination::{self, Page, Paged};
use crate::ids::UserId;
use crate::state::AppState;
use crate::state::{Audited, Authenticated, Caller};

/// Argon2 runs on the blocking pool, a few at a time (each takes 19 MiB).
async fn hash_password(state: &AppState, password: String) -> Result<String, ApiError> {
    let _permit = state.hashing.acquire().await.map_err(ApiError::internal)?;
    web::block(move || password::hash(&password))
        .await?
        .map_err(ApiError::Internal)
}

async fn verify_password(state: &AppState, password: String, phc: String) -> Result<bool, ApiError> {
    let _permit = state.hashing.acquire().await.map_err(ApiError::internal)?;
    Ok(web::block(move || password::verify(&password, &phc)).await?)
}

/// The canonical form of an address a new account is given, or a 422 naming `email`.
fn account_email(raw: &str) -> Result<String, ApiError> {
    canonical_email(raw).map_err(|why| ApiError::invalid("email", "email", why))
}

fn check_password_policy(password: &str, email: &str, field: &str) -> Result<(), ApiError> {
    let issues = password::check_policy(password, email, field);
    if issues.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(issues))
    }
}

pub(super) fn token_response(signed_in: SignedIn) -> TokenResponse {
    TokenResponse {
        access_token: signed_in.access.access_token,
        token_type: "Bearer",
        expires_in: signed_in.access.expires_in,
        refresh_token: signed_in.refresh_token,
    }
}

/// Self-registration of a patient account.
pub async fn register(state: &AppState, meta: RequestMeta, req: RegisterRequest) -> Result<RegisterResponse, ApiError> {
    if !state.settings.allow_patient_signup {
        return Err(ApiError::Forbidden(
            "patient self-registration is turned off at this clinic".into(),
        ));
    }
    let email = account_email(&req.email)?;
    check_password_policy(&req.password, &email, "password")?;
    let hash = hash_password(state, req.password).await?;
    let display_name = req
        .display_name
        .map(|d| d.trim().to_owned())
        .unwrap_or_else(|| email.clone());
    let (tokens, settings) = (state.tokens.clone(), state.settings.clone());
    let (row, signed_in) = db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            if repo::find_by_email(conn, &email)?.is_some() {
                return Err(ApiError::conflict("an account with this email already exists"));
            }
            let id = create_account(conn, &email, &hash, Role::Patient, &display_name)?;
            let row = repo::find(conn, id)?.ok_or(ApiError::NotFound("user"))?;
            let actor = row.actor();
            audit::record(
                conn,
                Origin {
                    actor: Some(&actor),
                    meta: &meta,
                },
                &[AuditEvent::new("user.register", "user", row.id)],
            )?;
            let signed_in = sessions::open(conn, &tokens, &settings.jwt, &row, &meta)?;
            Ok((row, signed_in))
        })
    })
    .await?;
    let token = token_response(signed_in);
    Ok(RegisterResponse {
        user: MeResponse {
            id: row.id.into(),
            email: row.email,
            role: Role::Patient,
            display_name: row.display_name,
            patient_id: None,
        },
        access_token: token.access_token,
        token_type: token.token_type,
        expires_in: token.expires_in,
        refresh_token: token.refresh_token,
    })
}

/// Email and password sign-in. One 401 for unknown email, wrong password and disabled account,
/// with the same work done in each case; 429 with `Retry-After` after repeated failures. A user
/// with a second factor gets a challenge instead of tokens; the account's failure count is
/// cleared only once the code is right too, so a known password gives no fresh guesses at codes.
pub async fn login(state: &AppState, meta: RequestMeta, req: TokenRequest) -> Result<LoginResponse, ApiError> {
    // An address no account can have still costs a full check (the same 401, the same work).
    let email = canonical_email(&req.email).unwrap_or_else(|_| req.email.trim().to_lowercase());
    let account_key = lockout::account_key(&email);
    let address_key = meta.client_addr.as_deref().map(lockout::address_key);

    let meta_a = meta.clone();
    let (user, attempt) = db::run(&state.pool, move |conn| {
        let mut keys = vec![(account_key.as_str(), lockout::MAX_PER_ACCOUNT)];
        if let Some(a) = &address_key {
            keys.push((a.as_str(), lockout::MAX_PER_ADDRESS));
        }
        let attempt = lockout::begin(conn, &keys, clock::now());
        if let Err(ApiError::TooManyRequests { retry_after_secs }) = attempt {
            let event = AuditEvent {
                resource_id: None,
                ..AuditEvent::new("auth.login_blocked", "user", "")
            }
            .outcome(Outcome::Denied);
            audit::record(
                conn,
                Origin {
                    actor: None,
                    meta: &meta_a,
                },
                &[event],
            )?;
            return Err(ApiError::TooManyRequests { retry_after_secs });
        }
        Ok((repo::find_by_email(conn, &email)?, attempt?))
    })
    .await?;

    let phc = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| password::dummy_hash().to_owned());
    let password_ok = verify_password(state, req.password, phc).await?;
    let accepted = password_ok && user.as_ref().is_some_and(|u| !u.disabled && u.password_hash.is_some());

    let (tokens, settings) = (state.tokens.clone(), state.settings.clone());
    db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            match (&user, accepted) {
                (Some(u), true) => {
                    lockout::succeeded(conn, attempt)?;
                    if repo::totp(conn, u.id)?.is_some_and(|t| t.confirmed_at.is_some()) {
                        let challenge = tokens.issue_mfa_pending(u.id, u.role, u.token_version)?;
                        audit::record(
                            conn,
                            Origin {
                                actor: Some(&u.actor()),
                                meta: &meta,
                            },
                            &[AuditEvent::new("auth.mfa_challenge", "user", u.id)],
                        )?;
                        return Ok(Some(LoginResponse::MfaRequired(MfaChallenge {
                            mfa_required: true,
                            mfa_token: challenge.access_token,
                            expires_in: challenge.expires_in,
                        })));
                    }
                    repo::clear_failures(conn, &lockout::account_key(&u.email))?;
                    let actor = u.actor();
                    audit::record(
                        conn,
                        Origin {
                            actor: Some(&actor),
                            meta: &meta,
                        },
                        &[AuditEvent::new("auth.login", "user", u.id)],
                    )?;
                    Ok(Some(LoginResponse::Tokens(token_response(sessions::open(
                        conn,
                        &tokens,
                        &settings.jwt,
                        u,
                        &meta,
                    )?))))
                }
                _ => {
                    // The attempt stays counted as a failure (it was committed before the check).
                    let mut event = AuditEvent::new("auth.login_failed", "user", "").outcome(Outcome::Failure);
                    event.resource_id = user.as_ref().map(|u| u.id.to_string());
                    audit::record(
                        conn,
                        Origin {
                            actor: None,
                            meta: &meta,
                        },
                        &[event],
                    )?;
                    // The failure is committed; the caller gets the one 401.
                    Ok(None)
                }
            }
        })
    })
    .await?
    .ok_or(ApiError::InvalidCredentials)
}

/// A new access token and refresh token for a refresh token, which is spent by it. A spent one
/// presented again ends its session (committed), and answers the same 401 as an unknown one.
pub async fn refresh(state: &AppState, meta: RequestMeta, req: RefreshRequest) -> Result<TokenResponse, ApiError> {
    let (tokens, settings) = (state.tokens.clone(), state.settings.clone());
    let renewed = db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            sessions::refresh(conn, &tokens, &settings.jwt, &req.refresh_token, &meta)
        })
    })
    .await?;
    match renewed {
        Refresh::Renewed(signed_in) => Ok(token_response(signed_in)),
        Refresh::Refused => Err(ApiError::Unauthenticated),
    }
}

/// The second sign-in step: a session for the challenge and a right code, else 401 (the
/// failure committed: it counts towards the account's lockout).
pub async fn verify_mfa(state: &AppState, meta: RequestMeta, req: MfaVerifyRequest) -> Result<TokenResponse, ApiError> {
    let (tokens, settings) = (state.tokens.clone(), state.settings.clone());
    let checked = db::run(&state.pool, move |conn| {
        mfa::verify(conn, &tokens, &settings.jwt, &req, &meta)
    })
    .await?;
    match checked {
        Checked::Accepted(signed_in) => Ok(token_response(signed_in)),
        Checked::Refused => Err(ApiError::InvalidMfaCode),
    }
}

/// Changes the caller's password (or sets a first one). The current one is required when the
/// account has one; a wrong one counts towards the sign-in lockout. Tokens issued before are
/// refused and the caller's other sessions end; this session renews with its refresh token.
pub async fn change_password(state: &AppState, auth: Authenticated, req: PasswordRequest) -> Result<(), ApiError> {
    let caller = state.query(auth, |_, caller| Ok(caller.clone())).await?;
    let user_id = caller.actor.user_id;
    let user = db::run(&state.pool, move |conn| {
        repo::find(conn, user_id)?.ok_or(ApiError::Unauthenticated)
    })
    .await?;
    // The identity provider's users sign in there; a local password would go round its checks.
    if user.external_subject.is_some() {
        return Err(ApiError::conflict(
            "this account signs in through the clinic's identity provider and has no password here",
        ));
    }
    let current = match &user.password_hash {
        Some(phc) => Some((
            phc.clone(),
            req.current_password.clone().ok_or_else(|| {
                ApiError::invalid("current_password", "required", "your current password is required")
            })?,
        )),
        None => None,
    };
    // Checked before the attempt is taken: a weak new password guesses nothing.
    check_password_policy(&req.new_password, &user.email, "new_password")?;
    let account_key = lockout::account_key(&user.email);
    let (key, blocked_by) = (account_key.clone(), caller.clone());
    let attempt = db::run(&state.pool, move |conn| {
        let attempt = lockout::begin(conn, &[(&key, lockout::MAX_PER_ACCOUNT)], clock::now());
        if matches!(attempt, Err(ApiError::TooManyRequests { .. })) {
            let event = AuditEvent::new("auth.password_change", "user", user_id).outcome(Outcome::Denied);
            audit::record(conn, blocked_by.origin(), &[event])?;
        }
        attempt
    })
    .await?;
    if let Some((phc, current)) = current
        && !verify_password(state, current, phc).await?
    {
        // The attempt stays counted; the failure is audited.
        let failed_by = caller.clone();
        db::run(&state.pool, move |conn| {
            let event = AuditEvent::new("auth.password_change", "user", user_id).outcome(Outcome::Failure);
            audit::record(conn, failed_by.origin(), &[event]).map_err(ApiError::from)
        })
        .await?;
        return Err(ApiError::invalid(
            "current_password",
            "mismatch",
            "is not your current password",
        ));
    }
    let hash = hash_password(state, req.new_password).await?;
    db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            // Disabled while the hash was computed: no change.
            repo::find(conn, user_id)?
                .filter(|u| !u.disabled)
                .ok_or(ApiError::Unauthenticated)?;
            let now = clock::now();
            lockout::succeeded(conn, attempt)?;
            repo::set_password(conn, user_id, &hash, now)?;
            repo::revoke_tokens(conn, user_id, now)?;
            repo::revoke_sessions(conn, user_id, caller.session, now)?;
            repo::clear_failures(conn, &account_key)?;
            audit::record(
                conn,
                caller.origin(),
                &[AuditEvent::new("auth.password_change", "user", user_id)],
            )
            .map_err(ApiError::from)
        })
    })
    .await
}

/// The signed-in user.
pub async fn me(state: &AppState, auth: Authenticated) -> Result<MeResponse, ApiError> {
    state
        .query(auth, move |conn, caller| {
            let actor = caller.actor.clone();
            let row = repo::find(conn, actor.user_id)?.ok_or(ApiError::Unauthenticated)?;
            Ok(MeResponse {
                id: actor.user_id.into(),
                email: row.email,
                role: actor.role,
                display_name: actor.display_name,
                patient_id: actor.patient_id.map(Into::into),
            })
        })
        .await
}

/// An administrator creates a clinician or admin account.
pub async fn create_user(
    state: &AppState,
    auth: Authenticated,
    req: CreateUserRequest,
) -> Result<UserResponse, ApiError> {
    // Check the caller before spending Argon2 time on their request.
    let caller = state.query(auth, |_, caller| Ok(caller.clone())).await?;
    caller.actor.require_admin()?;
    if req.role == Role::Patient {
        return Err(ApiError::invalid(
            "role",
            "invalid_value",
            "staff accounts are clinician or admin; patients register themselves",
        ));
    }
    let email = account_email(&req.email)?;
    check_password_policy(&req.password, &email, "password")?;
    let hash = hash_password(state, req.password).await?;
    db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            if repo::find_by_email(conn, &email)?.is_some() {
                return Err(ApiError::conflict("an account with this email already exists"));
            }
            let id = create_account(conn, &email, &hash, req.role, req.display_name.trim())?;
            audit::record(conn, caller.origin(), &[AuditEvent::new("user.create", "user", id)])?;
            Ok(repo::find(conn, id)?.ok_or(ApiError::NotFound("user"))?.into())
        })
    })
    .await
}

fn create_account(
    conn: &mut DbConn,
    email: &str,
    hash: &str,
    role: Role,
    display_name: &str,
) -> Result<UserId, ApiError> {
    let id = UserId::new();
    let now = clock::now();
    repo::insert(
        conn,
        &NewUserRow {
            id,
            email,
            password_hash: Some(hash),
            role,
            display_name,
            disabled: false,
            external_subject: None,
            created_at: now,
            updated_at: now,
        },
    )?;
    Ok(id)
}

pub fn list_users(
    conn: &mut DbConn,
    caller: &Caller,
    q: &UserListQuery,
    codec: &pagination::CursorCodec,
) -> Result<Audited<Page<UserResponse>>, ApiError> {
    caller.actor.require_admin()?;
    let query_key = format!("users|role={}", q.role.map(Role::as_str).unwrap_or(""));
    let after: Option<String> = codec.after(&query_key, q)?;
    let limit = q.limit();
    let rows = repo::list(conn, q.role, after.as_deref(), limit)?;
    // A patient's account (name, email) is patient data: listing it is an audited read.
    let patients: Vec<UserId> = rows
        .iter()
        .take(limit.max(0) as usize)
        .filter(|r| r.role == Role::Patient)
        .map(|r| r.id)
        .collect();
    let profiles = repo::patient_profiles(conn, &patients)?;
    let events = AuditEvent::listing(
        "user.list",
        "user",
        patients.iter().map(|user| {
            let patient = profiles.iter().find(|(u, _)| u == user).map(|(_, p)| *p);
            (user, patient)
        }),
    );
    let page = pagination::finish_page(
        rows,
        limit,
        codec,
        &query_key,
        |r| serde_json::json!(r.email),
        UserResponse::from,
    );
    Ok(Audited::new(page, events))
}

/// Role, name and disabled flag. An admin cannot lock themself out, and the last enabled admin
/// stays an enabled admin.
pub fn update_user(
    conn: &mut DbConn,
    caller: &Caller,
    id: UserId,
    req: UpdateUserRequest,
) -> Result<UserResponse, ApiError> {
    caller.actor.require_admin()?;
    let user = repo::find(conn, id)?.ok_or(ApiError::NotFound("user"))?;
    let demotes = req.role.is_some_and(|r| r != Role::Admin) || req.disabled == Some(true);
    if demotes && user.role == Role::Admin && !user.disabled {
        if id == caller.actor.user_id {
            return Err(ApiError::conflict("you cannot disable or demote your own account"));
        }
        if repo::count_enabled_admins(conn)? <= 1 {
            return Err(ApiError::conflict(
                "the last enabled administrator cannot be disabled or demoted",
            ));
        }
    }
    let now = clock::now();
    let changes = UserChanges {
        role: req.role,
        display_name: req.display_name.map(|d| d.trim().to_owned()),
        disabled: req.disabled,
        updated_at: Some(now),
    };
    repo::update(conn, id, &changes)?;
    // A disable or a role change ends every token issued so far and every session (whose
    // refresh tokens would otherwise mint new ones): re-enabling revives none of them, and a
    // demoted user's old tokens do not keep the old role (SECURITY.md).
    if req.disabled == Some(true) || req.role.is_some_and(|r| r != user.role) {
        sessions::end_all(conn, id, now)?;
    }
    audit::record(conn, caller.origin(), &[AuditEvent::new("user.update", "user", id)])?;
    Ok(repo::find(conn, id)?.ok_or(ApiError::NotFound("user"))?.into())
}

/// Creates a staff account from the command line or the bootstrap variables. Returns the new
/// id, or `None` when `only_if_no_admin` and an enabled admin already exists.
pub fn create_staff(
    conn: &mut DbConn,
    email: &str,
    password: &str,
    role: Role,
    display_name: &str,
    only_if_no_admin: bool,
) -> Result<Option<UserId>, ApiError> {
    let email = account_email(email)?;
    check_password_policy(password, &email, "password")?;
    let hash = password::hash(password).map_err(ApiError::Internal)?;
    db::write_tx(conn, |conn| {
        if only_if_no_admin && repo::count_enabled_admins(conn)? > 0 {
            return Ok(None);
        }
        if repo::find_by_email(conn, &email)?.is_some() {
            return Err(ApiError::conflict("an account with this email already exists"));
        }
        let id = create_account(conn, &email, &hash, role, display_name)?;
        let meta = RequestMeta {
            request_id: Some("command-line".into()),
            client_addr: None,
            user_agent: None,
        };
        audit::record(
            conn,
            Origin {
                actor: None,
                meta: &meta,
            },
            &[AuditEvent::new("user.create", "user", id)],
        )?;
        Ok(Some(id))
    })
}
