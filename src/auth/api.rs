//! Request and response bodies of the auth and user routes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::domain::Role;
use super::repo::UserRow;
use crate::clock;

/// Patient self-registration.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"email": "ana.lopez@example.org", "password": "a long unique passphrase", "display_name": "Ana López"}))]
pub struct RegisterRequest {
    /// Sign-in email; compared case-insensitively.
    #[validate(custom(function = "crate::validation::email_address"))]
    #[schema(example = "ana.lopez@example.org", max_length = 254)]
    pub email: String,
    /// At least 12 characters; not your email; not a common password.
    #[schema(min_length = 12, max_length = 128, example = "a long unique passphrase")]
    pub password: String,
    /// Name shown to clinic staff; defaults to the email.
    #[validate(length(min = 1, max = 100), custom(function = "crate::validation::single_line"))]
    #[schema(min_length = 1, max_length = 100, example = "Ana López")]
    pub display_name: Option<String>,
}

/// Email and password sign-in.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"email": "ana.lopez@example.org", "password": "a long unique passphrase"}))]
pub struct TokenRequest {
    #[validate(length(min = 1, max = 254))]
    #[schema(example = "ana.lopez@example.org")]
    pub email: String,
    #[validate(length(min = 1, max = 1024))]
    #[schema(example = "a long unique passphrase")]
    pub password: String,
}

/// A bearer token and the refresh token of its session.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiIwMTkyIn0.sig", "token_type": "Bearer",
    "expires_in": 900, "refresh_token": "N2Yz0k1fGx9m4Wq7cVb2Hs8JpL5tRe3uYi6Oa1Sd0Fg"}))]
pub struct TokenResponse {
    /// JWT to send as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires (`JWT_TTL_SECONDS`, 900 by default).
    #[schema(example = 900)]
    pub expires_in: i64,
    /// Opaque; `POST /api/v1/auth/refresh` exchanges it, once, for a new pair. The session ends
    /// after `REFRESH_TTL_DAYS`, after `REFRESH_IDLE_HOURS` without a refresh, at logout, or
    /// when a spent refresh token is presented again.
    pub refresh_token: String,
}

/// What `POST /auth/token` answers: tokens, or (for a user with a second factor) the challenge
/// to answer at `POST /auth/mfa/verify`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoginResponse {
    Tokens(TokenResponse),
    MfaRequired(MfaChallenge),
}

/// The password was right; now the second factor. No access token yet.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"mfa_required": true, "mfa_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6Im1mYStqd3QifQ.eyJzdWIiOiIwMTkyIn0.sig", "expires_in": 300}))]
pub struct MfaChallenge {
    /// Always `true`.
    pub mfa_required: bool,
    /// Send it with a code to `POST /api/v1/auth/mfa/verify`; it is refused everywhere else.
    pub mfa_token: String,
    /// Seconds until the challenge expires.
    #[schema(example = 300)]
    pub expires_in: i64,
}

/// The second sign-in step: the challenge and either a current code or one recovery code.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"mfa_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6Im1mYStqd3QifQ.eyJzdWIiOiIwMTkyIn0.sig", "code": "492039"}))]
pub struct MfaVerifyRequest {
    #[validate(length(min = 1, max = 4096))]
    pub mfa_token: String,
    /// The 6-digit code of the authenticator app.
    #[validate(length(min = 1, max = 16))]
    #[schema(example = "492039")]
    pub code: Option<String>,
    /// One of the recovery codes shown at enrolment; each works once.
    #[validate(length(min = 1, max = 64))]
    #[schema(example = "k7qm-2xv4-p9rt-c3wa")]
    pub recovery_code: Option<String>,
}

/// A code of the authenticator app.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"code": "492039"}))]
pub struct MfaCodeRequest {
    #[validate(length(min = 1, max = 16))]
    #[schema(example = "492039")]
    pub code: String,
}

/// A pending TOTP enrolment: add it to an authenticator app, then confirm with a code.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "otpauth_uri": "otpauth://totp/Infusion%20clinic%20intake:dr.reyes%40clinic.example.org?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Infusion%20clinic%20intake",
    "qr_svg": "<?xml version=\"1.0\" standalone=\"yes\"?><svg xmlns=\"http://www.w3.org/2000/svg\" …</svg>"}))]
pub struct TotpEnrolmentResponse {
    /// The shared secret in base32, for typing in by hand.
    pub secret: String,
    /// `otpauth://totp/…` (SHA-1, 6 digits, 30 seconds).
    pub otpauth_uri: String,
    /// The same URI as a QR code, an SVG document.
    pub qr_svg: String,
}

/// Recovery codes, shown this once (only their hashes are kept).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"recovery_codes": ["k7qm-2xv4-p9rt-c3wa", "b5nd-8hj2-w4zs-q6ye"]}))]
pub struct RecoveryCodesResponse {
    /// Ten codes; each replaces the app's code once at sign-in.
    pub recovery_codes: Vec<String>,
}

/// A refresh token to exchange for a new pair.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"refresh_token": "N2Yz0k1fGx9m4Wq7cVb2Hs8JpL5tRe3uYi6Oa1Sd0Fg"}))]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 256))]
    pub refresh_token: String,
}

/// One of the caller's open sign-in sessions.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f40", "current": true, "created_at": "2026-12-01T09:00:00Z",
    "last_used_at": "2026-12-01T09:45:00Z", "expires_at": "2026-12-15T09:00:00Z", "client_addr": "203.0.113.7", "user_agent": "Mozilla/5.0"}))]
pub struct SessionResponse {
    pub id: Uuid,
    /// The session of the token this list was asked with.
    pub current: bool,
    pub created_at: DateTime<Utc>,
    /// Its last refresh.
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
}

/// A new password; the current one is required when the account has one.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"current_password": "a long unique passphrase", "new_password": "an even longer passphrase"}))]
pub struct PasswordRequest {
    #[validate(length(min = 1, max = 1024))]
    pub current_password: Option<String>,
    /// At least 12 characters; not your email; not a common password.
    #[schema(min_length = 12, max_length = 128)]
    pub new_password: String,
}

/// A user account as administrators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    #[schema(example = "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f10")]
    pub id: Uuid,
    #[schema(example = "dr.reyes@clinic.example.org")]
    pub email: String,
    pub role: Role,
    #[schema(example = "Dr. Marta Reyes")]
    pub display_name: String,
    /// A disabled user's tokens stop working at once.
    pub disabled: bool,
    /// For users of the clinic's identity provider: how it last said it authenticated them
    /// (its tokens' `amr` claim, RFC 8176), since they are not asked for a second factor here.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = json!(["pwd", "otp"]))]
    pub external_amr: Option<Vec<String>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UserRow> for UserResponse {
    fn from(r: UserRow) -> Self {
        Self {
            id: r.id.into(),
            email: r.email,
            role: r.role,
            display_name: r.display_name,
            disabled: r.disabled,
            external_amr: r
                .external_amr
                .map(|a| a.split_whitespace().map(str::to_owned).collect()),
            created_at: clock::utc(r.created_at),
            updated_at: clock::utc(r.updated_at),
        }
    }
}

/// The new account and a token, so the app can continue straight away.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterResponse {
    pub user: MeResponse,
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    #[schema(example = 900)]
    pub expires_in: i64,
    /// The refresh token of the new session (see `TokenResponse`).
    pub refresh_token: String,
}

/// The signed-in user.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f10", "email": "ana.lopez@example.org", "role": "patient", "display_name": "Ana López", "patient_id": "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f99"}))]
pub struct MeResponse {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub display_name: String,
    /// The caller's own patient profile, once created (patients only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_id: Option<Uuid>,
}

/// A staff account created by an administrator.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"email": "dr.reyes@clinic.example.org", "password": "another long passphrase", "role": "clinician", "display_name": "Dr. Marta Reyes"}))]
pub struct CreateUserRequest {
    #[validate(custom(function = "crate::validation::email_address"))]
    #[schema(example = "dr.reyes@clinic.example.org")]
    pub email: String,
    #[schema(min_length = 12, max_length = 128)]
    pub password: String,
    /// `clinician` or `admin` (patients register themselves).
    pub role: Role,
    #[validate(length(min = 1, max = 100), custom(function = "crate::validation::single_line"))]
    #[schema(example = "Dr. Marta Reyes", min_length = 1, max_length = 100)]
    pub display_name: String,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"disabled": true}))]
pub struct UpdateUserRequest {
    pub role: Option<Role>,
    #[validate(length(min = 1, max = 100), custom(function = "crate::validation::single_line"))]
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: Option<String>,
    /// Disabling refuses the user's tokens from the next request on.
    pub disabled: Option<bool>,
}

crate::paged_query! {
    #[derive(Debug, Deserialize, Validate, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct UserListQuery {
        /// Only users with this role.
        pub role: Option<Role>,
    }
}
