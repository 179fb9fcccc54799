//! The second factor (SECURITY.md): TOTP per RFC 6238 through `totp-rs` (SHA-1, 6 digits, 30 s
//! steps, one step of clock skew either way: what authenticator apps use), ten one-time recovery
//! codes, a time step accepted once (RFC 6238 §5.2), and wrong codes counted with wrong
//! passwords towards the account's lockout.

use qrcode::QrCode;
use qrcode::render::svg;
use sha2::{Digest, Sha256};
use totp_rs::{Builder, Secret, Totp};

use super::api::{MfaVerifyRequest, TotpEnrolmentResponse};
use super::lockout::{self, Attempt};
use super::repo::{self, TotpRow, UserRow};
use super::sessions::{self, SignedIn};
use super::token::TokenService;
use crate::audit::event::{self as audit, AuditEvent, Origin, Outcome, RequestMeta};
use crate::clock;
use crate::config::JwtSettings;
use crate::db::{self, DbConn};
use crate::error::ApiError;
use crate::ids::UserId;
use crate::state::Caller;
use crate::text::hex;

/// 160 bits, the secret length RFC 4226 recommends.
const SECRET_BYTES: usize = 20;
const RECOVERY_CODES: usize = 10;
/// 80 bits each: as good as a password nobody can guess, stored as a plain SHA-256.
const RECOVERY_CODE_BYTES: usize = 10;

/// The answer to a wrong code from a signed-in user (enrolment, turning the factor off).
pub fn wrong_code() -> ApiError {
    ApiError::invalid("code", "mismatch", "is not the current code of your authenticator app")
}

/// Whether a code was accepted. A refusal is committed (it counts towards the lockout) and then
/// answered as an error by the caller.
pub enum Checked<T> {
    Accepted(T),
    Refused,
}

fn random_bytes(n: usize) -> Result<Vec<u8>, ApiError> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(anyhow::anyhow!("random: {e}")))?;
    Ok(bytes)
}

fn totp_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(anyhow::anyhow!("totp: {e}"))
}

/// The factor of a stored base32 secret; `label` (issuer, account) only for the otpauth URI.
fn factor(secret: &str, label: Option<(&str, &str)>) -> Result<Totp, ApiError> {
    let secret = Secret::try_from_base32(secret).map_err(totp_error)?;
    let mut builder = Builder::new().with_secret(secret);
    if let Some((issuer, account)) = label {
        // A colon separates issuer and account in the URI's label.
        builder = builder
            .with_issuer(Some(issuer))
            .with_account_name(account.replace(':', "_"));
    }
    builder.build().map_err(totp_error)
}

/// The time step a code belongs to, when it is right at `unix_secs` (± one step).
pub fn code_step(secret: &str, code: &str, unix_secs: u64) -> Result<Option<i64>, ApiError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    Ok(factor(secret, None)?
        .check(&code, unix_secs)
        .and_then(|step| i64::try_from(step).ok()))
}

/// A recovery code as shown: 16 base32 characters in groups of four.
fn new_recovery_code() -> Result<String, ApiError> {
    let encoded = Secret::from(random_bytes(RECOVERY_CODE_BYTES)?)
        .to_base32()
        .to_lowercase();
    let mut code = String::with_capacity(19);
    for (i, c) in encoded.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        code.push(c);
    }
    Ok(code)
}

/// How a recovery code is stored and looked up: case, dashes and spaces do not matter.
fn recovery_digest(code: &str) -> String {
    let canonical: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    hex(&Sha256::digest(canonical.as_bytes()))
}

fn qr_svg(uri: &str) -> Result<String, ApiError> {
    let code = QrCode::new(uri.as_bytes()).map_err(|e| ApiError::internal(anyhow::anyhow!("qr code: {e}")))?;
    Ok(code.render::<svg::Color<'_>>().min_dimensions(200, 200).build())
}

/// Accepts a code of the factor once: right now, and of a later step than any accepted before.
fn accept_code(conn: &mut DbConn, factor_row: &TotpRow, code: &str) -> Result<bool, ApiError> {
    let unix = u64::try_from(chrono::Utc::now().timestamp()).map_err(ApiError::internal)?;
    match code_step(&factor_row.secret, code, unix)? {
        Some(step) => Ok(repo::accept_totp_step(conn, factor_row.user_id, step)?),
        None => Ok(false),
    }
}

fn confirmed(conn: &mut DbConn, user: UserId) -> Result<Option<TotpRow>, ApiError> {
    Ok(repo::totp(conn, user)?.filter(|t| t.confirmed_at.is_some()))
}

fn caller_row(conn: &mut DbConn, caller: &Caller) -> Result<UserRow, ApiError> {
    repo::find(conn, caller.actor.user_id)?.ok_or(ApiError::Unauthenticated)
}

/// Starts the caller's enrolment (replacing a pending one): a new secret, not in force until a
/// code confirms it.
pub fn start(conn: &mut DbConn, caller: &Caller, issuer: &str) -> Result<TotpEnrolmentResponse, ApiError> {
    let user = caller_row(conn, caller)?;
    if confirmed(conn, user.id)?.is_some() {
        return Err(ApiError::conflict(
            "a second factor is on already; turn it off first (DELETE /api/v1/auth/mfa/totp)",
        ));
    }
    let secret = Secret::from(random_bytes(SECRET_BYTES)?).to_base32();
    let otpauth_uri = factor(&secret, Some((issuer, &user.email)))?
        .to_url()
        .map_err(totp_error)?;
    repo::put_pending_totp(
        conn,
        &TotpRow {
            user_id: user.id,
            secret: secret.clone(),
            created_at: clock::now(),
            confirmed_at: None,
            last_step: None,
        },
    )?;
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("mfa.enrolment_start", "user", user.id)],
    )?;
    Ok(TotpEnrolmentResponse {
        secret,
        qr_svg: qr_svg(&otpauth_uri)?,
        otpauth_uri,
    })
}

/// Takes an attempt at a code for the user, committed before the code is checked (see
/// [`lockout::begin`]); a refusal for the lockout is audited under `action`.
fn take_attempt(
    conn: &mut DbConn,
    origin: Origin<'_>,
    user: &UserRow,
    action: &'static str,
) -> Result<Attempt, ApiError> {
    let key = lockout::account_key(&user.email);
    let attempt = lockout::begin(conn, &[(&key, lockout::MAX_PER_ACCOUNT)], clock::now());
    if matches!(attempt, Err(ApiError::TooManyRequests { .. })) {
        let event = AuditEvent::new(action, "user", user.id).outcome(Outcome::Denied);
        audit::record(conn, origin, &[event])?;
    }
    attempt
}

fn pending(conn: &mut DbConn, user: UserId) -> Result<TotpRow, ApiError> {
    repo::totp(conn, user)?
        .filter(|t| t.confirmed_at.is_none())
        .ok_or_else(|| ApiError::conflict("no enrolment is pending: start one with POST /api/v1/auth/mfa/totp"))
}

fn no_factor() -> ApiError {
    ApiError::conflict("no second factor is on")
}

/// Before [`confirm`], outside its transaction: an enrolment is pending; the attempt is taken.
pub fn prepare_confirm(conn: &mut DbConn, caller: &Caller) -> Result<Attempt, ApiError> {
    let user = caller_row(conn, caller)?;
    pending(conn, user.id)?;
    take_attempt(conn, caller.origin(), &user, "mfa.enrol")
}

/// Confirms the pending enrolment with a code; the factor is then in force and the recovery
/// codes (returned this once) replace any earlier ones.
pub fn confirm(
    conn: &mut DbConn,
    caller: &Caller,
    attempt: Attempt,
    code: &str,
) -> Result<Checked<Vec<String>>, ApiError> {
    let user = caller_row(conn, caller)?;
    let pending = pending(conn, user.id)?;
    if !accept_code(conn, &pending, code)? {
        let event = AuditEvent::new("mfa.enrol", "user", user.id).outcome(Outcome::Failure);
        audit::record(conn, caller.origin(), &[event])?;
        return Ok(Checked::Refused);
    }
    let now = clock::now();
    lockout::succeeded(conn, attempt)?;
    repo::confirm_totp(conn, user.id, now)?;
    let codes = (0..RECOVERY_CODES)
        .map(|_| new_recovery_code())
        .collect::<Result<Vec<_>, _>>()?;
    let digests: Vec<String> = codes.iter().map(|c| recovery_digest(c)).collect();
    repo::put_recovery_codes(conn, user.id, &digests)?;
    repo::clear_failures(conn, &lockout::account_key(&user.email))?;
    audit::record(conn, caller.origin(), &[AuditEvent::new("mfa.enrol", "user", user.id)])?;
    Ok(Checked::Accepted(codes))
}

/// Before [`disable`], outside its transaction: a factor is on; the attempt is taken.
pub fn prepare_disable(conn: &mut DbConn, caller: &Caller) -> Result<Attempt, ApiError> {
    let user = caller_row(conn, caller)?;
    confirmed(conn, user.id)?.ok_or_else(no_factor)?;
    take_attempt(conn, caller.origin(), &user, "mfa.disable")
}

/// Turns the caller's second factor off, with a current code.
pub fn disable(conn: &mut DbConn, caller: &Caller, attempt: Attempt, code: &str) -> Result<Checked<()>, ApiError> {
    let user = caller_row(conn, caller)?;
    let factor_row = confirmed(conn, user.id)?.ok_or_else(no_factor)?;
    if !accept_code(conn, &factor_row, code)? {
        let event = AuditEvent::new("mfa.disable", "user", user.id).outcome(Outcome::Failure);
        audit::record(conn, caller.origin(), &[event])?;
        return Ok(Checked::Refused);
    }
    lockout::succeeded(conn, attempt)?;
    repo::delete_mfa(conn, user.id)?;
    repo::clear_failures(conn, &lockout::account_key(&user.email))?;
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("mfa.disable", "user", user.id)],
    )?;
    Ok(Checked::Accepted(()))
}

/// An administrator removes a user's second factor (a lost phone) and ends their sessions; the
/// user signs in again and enrols.
pub fn reset(conn: &mut DbConn, caller: &Caller, user: UserId) -> Result<(), ApiError> {
    caller.actor.require_admin()?;
    repo::find(conn, user)?.ok_or(ApiError::NotFound("user"))?;
    repo::delete_mfa(conn, user)?;
    // Whoever has the lost phone may have a session too; the user signs in again and enrols.
    sessions::end_all(conn, user, clock::now())?;
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("user.mfa_reset", "user", user)],
    )?;
    Ok(())
}

/// The second sign-in step: the challenge from `POST /auth/token` and a code or a recovery code
/// open a session. The attempt is committed first, then the code is checked in a write
/// transaction; a refusal is committed and answered 401.
pub fn verify(
    conn: &mut DbConn,
    tokens: &TokenService,
    jwt: &JwtSettings,
    req: &MfaVerifyRequest,
    meta: &RequestMeta,
) -> Result<Checked<SignedIn>, ApiError> {
    let presented = presented(req)?;
    let (user_id, version) = tokens.verify_mfa_pending(&req.mfa_token)?;
    // The challenge dies with a disable, a role or password change, a sign-out everywhere.
    let user = repo::find(conn, user_id)?
        .filter(|u| !u.disabled && u.token_version == version)
        .ok_or(ApiError::Unauthenticated)?;
    // Reset by an administrator since the password step: sign in again.
    confirmed(conn, user.id)?.ok_or(ApiError::Unauthenticated)?;
    let attempt = take_attempt(conn, Origin { actor: None, meta }, &user, "auth.mfa_verify")?;
    db::write_tx(conn, |conn| {
        let factor_row = confirmed(conn, user.id)?.ok_or(ApiError::Unauthenticated)?;
        let (accepted, by_recovery_code) = match presented {
            Presented::Totp(code) => (accept_code(conn, &factor_row, code)?, false),
            Presented::Recovery(code) => (
                repo::spend_recovery_code(conn, user.id, &recovery_digest(code), clock::now())?,
                true,
            ),
        };
        if !accepted {
            let event = AuditEvent::new("auth.mfa_failed", "user", user.id).outcome(Outcome::Failure);
            audit::record(conn, Origin { actor: None, meta }, &[event])?;
            return Ok(Checked::Refused);
        }
        lockout::succeeded(conn, attempt)?;
        repo::clear_failures(conn, &lockout::account_key(&user.email))?;
        let mut events = vec![AuditEvent::new("auth.login", "user", user.id)];
        if by_recovery_code {
            events.push(AuditEvent::new("auth.recovery_code_used", "user", user.id));
        }
        let actor = user.actor();
        audit::record(
            conn,
            Origin {
                actor: Some(&actor),
                meta,
            },
            &events,
        )?;
        Ok(Checked::Accepted(sessions::open(conn, tokens, jwt, &user, meta)?))
    })
}

/// What the second step was answered with.
enum Presented<'a> {
    Totp(&'a str),
    Recovery(&'a str),
}

/// Exactly one of `code` and `recovery_code`, or a 422 naming the field.
fn presented(req: &MfaVerifyRequest) -> Result<Presented<'_>, ApiError> {
    match (&req.code, &req.recovery_code) {
        (Some(code), None) => Ok(Presented::Totp(code)),
        (None, Some(code)) => Ok(Presented::Recovery(code)),
        (None, None) => Err(ApiError::invalid("code", "required", "send code or recovery_code")),
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "recovery_code",
            "one_of",
            "send code or recovery_code, not both",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B: the SHA-1 secret "12345678901234567890" at T = 59 s gives 94287082
    // in 8 digits; in 6 digits, its last six.
    const RFC_SECRET_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn codes_follow_rfc_6238() {
        assert_eq!(code_step(RFC_SECRET_B32, "287082", 59).unwrap(), Some(1));
        assert_eq!(code_step(RFC_SECRET_B32, "287 082", 59).unwrap(), Some(1));
        // One step of skew either way, not two.
        assert_eq!(code_step(RFC_SECRET_B32, "287082", 59 + 30).unwrap(), Some(1));
        assert_eq!(code_step(RFC_SECRET_B32, "287082", 59 + 60).unwrap(), None);
        assert_eq!(code_step(RFC_SECRET_B32, "000000", 59).unwrap(), None);
        assert_eq!(code_step(RFC_SECRET_B32, "abc", 59).unwrap(), None);
    }

    #[test]
    fn recovery_codes_are_random_and_match_however_typed() {
        let a = new_recovery_code().unwrap();
        let b = new_recovery_code().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 19);
        assert_eq!(a.matches('-').count(), 3);
        let typed = a.to_uppercase().replace('-', " ");
        assert_eq!(recovery_digest(&typed), recovery_digest(&a));
        assert_ne!(recovery_digest(&a), recovery_digest(&b));
    }

    #[test]
    fn the_enrolment_uri_and_qr_code_carry_the_secret_and_label() {
        let uri = factor(RFC_SECRET_B32, Some(("Clinic", "dr@clinic.org")))
            .unwrap()
            .to_url()
            .unwrap();
        assert!(uri.starts_with("otpauth://totp/Clinic:dr%40clinic.org?"), "{uri}");
        assert!(uri.contains(&format!("secret={RFC_SECRET_B32}")), "{uri}");
        assert!(uri.contains("issuer=Clinic"), "{uri}");
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("<svg"), "{}", &svg[..80]);
    }
}
