//! HTTP handlers of `/api/v1/auth` and `/api/v1/users`.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use uuid::Uuid;

use super::api::{
    CreateUserRequest, LoginResponse, MeResponse, MfaCodeRequest, MfaVerifyRequest, PasswordRequest,
    RecoveryCodesResponse, RefreshRequest, RegisterRequest, RegisterResponse, SessionResponse, TokenRequest,
    TokenResponse, TotpEnrolmentResponse, UpdateUserRequest, UserListQuery, UserResponse,
};
use super::mfa::{self, Checked};
use super::{service, sessions};
use crate::audit::event::RequestMeta;
use crate::error::{ApiError, Problem};
use crate::http::extract::{ValidatedJson, ValidatedQuery};
use crate::http::pagination::Page;
use crate::ids::{SessionId, UserId};
use crate::state::AppState;
use crate::state::Authenticated;

/// Register a patient account.
///
/// Creates a user with role `patient` and returns a token. Turned off when the clinic sets
/// `ALLOW_PATIENT_SIGNUP=false`.
#[utoipa::path(
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created; signed in", body = RegisterResponse),
        (status = 403, description = "Self-registration is turned off", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An account with this email exists", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/register")]
pub async fn register(
    state: web::Data<AppState>,
    meta: RequestMeta,
    ValidatedJson(body): ValidatedJson<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let res = service::register(&state, meta, body).await?;
    Ok(HttpResponse::Created().json(res))
}

/// Sign in with email and password.
///
/// The same 401 answers an unknown email, a wrong password and a disabled account. After 5
/// failures for one account (or 50 from one address) within 15 minutes: 429 with `Retry-After`.
/// A user with a second factor gets `{mfa_required: true, mfa_token, expires_in}` instead of
/// tokens, to answer at `POST /api/v1/auth/mfa/verify`.
#[utoipa::path(
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "Signed in, or the second factor is asked for", body = LoginResponse),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json",
         example = json!({"type": "/problems/invalid-credentials", "title": "Invalid email or password", "status": 401,
                          "detail": "the email or password is wrong", "instance": "/api/v1/auth/token"})),
        (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds until sign-in is allowed again"))),
    )
)]
#[post("/token")]
pub async fn create_token(
    state: web::Data<AppState>,
    meta: RequestMeta,
    ValidatedJson(body): ValidatedJson<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(service::login(&state, meta, body).await?))
}

/// Exchange a refresh token for a new access token and refresh token.
///
/// The presented refresh token is spent. Presenting a spent one again ends its whole session
/// (someone else may hold a copy): its access tokens are refused from then on. Unknown, spent,
/// expired and idle tokens all get the same 401.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "Renewed", body = TokenResponse),
        (status = 401, description = "Unknown, spent, expired or revoked refresh token", body = Problem,
         content_type = "application/problem+json",
         example = json!({"type": "/problems/unauthenticated", "title": "Authentication required", "status": 401,
                          "detail": "a valid bearer token is required", "instance": "/api/v1/auth/refresh"})),
    )
)]
#[post("/refresh")]
pub async fn refresh_token(
    state: web::Data<AppState>,
    meta: RequestMeta,
    ValidatedJson(body): ValidatedJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(service::refresh(&state, meta, body).await?))
}

/// End the current session.
///
/// The session's refresh token and every access token of it are refused from now on.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 204, description = "Signed out"))
)]
#[post("/logout")]
pub async fn logout(state: web::Data<AppState>, auth: Authenticated) -> Result<HttpResponse, ApiError> {
    state.write(auth.mfa_exempt(), sessions::logout).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's open sessions, newest first.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, description = "Open sessions", body = Vec<SessionResponse>))
)]
#[get("/sessions")]
pub async fn list_sessions(state: web::Data<AppState>, auth: Authenticated) -> Result<HttpResponse, ApiError> {
    let settings = state.settings.clone();
    let list = state
        .query(auth, move |conn, caller| sessions::list(conn, caller, &settings.jwt))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// End one of the caller's sessions (a lost phone, a shared computer).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "Ended"),
        (status = 404, description = "No open session of yours with this id", body = Problem,
         content_type = "application/problem+json"),
    )
)]
#[delete("/sessions/{id}")]
pub async fn revoke_session(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = SessionId::from(id.into_inner());
    state
        .write(auth, move |conn, caller| sessions::revoke(conn, caller, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change your password, or set a first one.
///
/// `current_password` is required when the account has a password; a wrong one counts towards
/// the sign-in lockout. Every access token issued before is refused and every other session
/// ends; this session continues through its refresh token.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = PasswordRequest,
    responses(
        (status = 204, description = "Changed"),
        (status = 409, description = "The account signs in through the clinic's identity provider", body = Problem,
         content_type = "application/problem+json"),
        (status = 422, description = "Wrong current password, or the new one breaks the policy", body = Problem,
         content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds until another attempt is allowed"))),
    )
)]
#[post("/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    auth: Authenticated,
    ValidatedJson(body): ValidatedJson<PasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    service::change_password(&state, auth, body).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Start a TOTP enrolment.
///
/// A new secret, as base32, as an `otpauth://` URI and as an SVG QR code; it is in force once
/// `POST /api/v1/auth/mfa/totp/confirm` gets a code of it. Starting again replaces a pending
/// enrolment. Staff reach this without a second factor even where `REQUIRE_STAFF_MFA` is on.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Pending enrolment", body = TotpEnrolmentResponse),
        (status = 409, description = "A second factor is on already", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/mfa/totp")]
pub async fn start_totp_enrolment(state: web::Data<AppState>, auth: Authenticated) -> Result<HttpResponse, ApiError> {
    let issuer = state.settings.mfa_issuer.clone();
    let enrolment = state
        .write(auth.mfa_exempt(), move |conn, caller| mfa::start(conn, caller, &issuer))
        .await?;
    Ok(HttpResponse::Created().json(enrolment))
}

/// Confirm the TOTP enrolment with a code; returns the recovery codes, this once.
///
/// A wrong code counts towards the account's lockout (5 within 15 minutes: 429).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = MfaCodeRequest,
    responses(
        (status = 200, description = "The second factor is on", body = RecoveryCodesResponse),
        (status = 409, description = "No enrolment is pending", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The code is wrong", body = Problem, content_type = "application/problem+json",
         example = json!({"type": "/problems/validation", "title": "Request failed validation", "status": 422, "detail": "1 field is invalid",
                          "errors": [{"field": "code", "code": "mismatch", "message": "is not the current code of your authenticator app"}]})),
        (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds until another attempt is allowed"))),
    )
)]
#[post("/mfa/totp/confirm")]
pub async fn confirm_totp_enrolment(
    state: web::Data<AppState>,
    auth: Authenticated,
    ValidatedJson(body): ValidatedJson<MfaCodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let checked = state
        .write_prepared(auth.mfa_exempt(), mfa::prepare_confirm, move |conn, caller, attempt| {
            mfa::confirm(conn, caller, attempt, &body.code)
        })
        .await?;
    match checked {
        Checked::Accepted(recovery_codes) => Ok(HttpResponse::Ok().json(RecoveryCodesResponse { recovery_codes })),
        Checked::Refused => Err(mfa::wrong_code()),
    }
}

/// Turn your second factor off, with a current code.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = MfaCodeRequest,
    responses(
        (status = 204, description = "Turned off; recovery codes deleted"),
        (status = 409, description = "No second factor is on", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The code is wrong", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds until another attempt is allowed"))),
    )
)]
#[delete("/mfa/totp")]
pub async fn disable_totp(
    state: web::Data<AppState>,
    auth: Authenticated,
    ValidatedJson(body): ValidatedJson<MfaCodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let checked = state
        .write_prepared(auth, mfa::prepare_disable, move |conn, caller, attempt| {
            mfa::disable(conn, caller, attempt, &body.code)
        })
        .await?;
    match checked {
        Checked::Accepted(()) => Ok(HttpResponse::NoContent().finish()),
        Checked::Refused => Err(mfa::wrong_code()),
    }
}

/// Second sign-in step: the challenge and a code (or a recovery code) → tokens.
///
/// A code is accepted once; a wrong, replayed or spent code is a 401 and counts towards the
/// account's lockout (5 within 15 minutes: 429). An expired or unknown challenge: 401
/// `/problems/unauthenticated`; sign in again.
#[utoipa::path(
    tag = "auth",
    request_body = MfaVerifyRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Wrong, replayed or spent code; or an expired challenge", body = Problem,
         content_type = "application/problem+json",
         example = json!({"type": "/problems/invalid-mfa-code", "title": "Invalid second-factor code", "status": 401,
                          "detail": "the code is wrong, expired or already used", "instance": "/api/v1/auth/mfa/verify"})),
        (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds until another attempt is allowed"))),
    )
)]
#[post("/mfa/verify")]
pub async fn verify_mfa(
    state: web::Data<AppState>,
    meta: RequestMeta,
    ValidatedJson(body): ValidatedJson<MfaVerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(service::verify_mfa(&state, meta, body).await?))
}

/// The signed-in user.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, description = "The caller", body = MeResponse))
)]
#[get("/me")]
pub async fn get_current_user(state: web::Data<AppState>, auth: Authenticated) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(service::me(&state, auth.mfa_exempt()).await?))
}

/// Create a staff account (admin).
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    request_body = CreateUserRequest,
    responses(
        (status = 201, description = "Account created", body = UserResponse,
         headers(("Location" = String, description = "URL of the new user"))),
        (status = 403, description = "Administrators only", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An account with this email exists", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("")]
pub async fn create_user(
    state: web::Data<AppState>,
    auth: Authenticated,
    ValidatedJson(body): ValidatedJson<CreateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = service::create_user(&state, auth, body).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", user.id)))
        .json(user))
}

/// List accounts (admin), ordered by email.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(UserListQuery),
    responses(
        (status = 200, description = "One page of users", body = Page<UserResponse>),
        (status = 400, description = "Invalid cursor", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Administrators only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("")]
pub async fn list_users(
    state: web::Data<AppState>,
    auth: Authenticated,
    ValidatedQuery(q): ValidatedQuery<UserListQuery>,
) -> Result<HttpResponse, ApiError> {
    state
        .list_page(auth, move |conn, caller, codec| {
            service::list_users(conn, caller, &q, codec)
        })
        .await
}

/// Change a user's role, name or disabled flag (admin).
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, description = "Updated", body = UserResponse),
        (status = 403, description = "Administrators only", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Would leave no enabled administrator, or lock yourself out", body = Problem,
         content_type = "application/problem+json"),
    )
)]
#[patch("/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
    ValidatedJson(body): ValidatedJson<UpdateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = UserId::from(id.into_inner());
    let user = state
        .write(auth, move |conn, caller| service::update_user(conn, caller, id, body))
        .await?;
    Ok(HttpResponse::Ok().json(user))
}

/// Sign a user out everywhere (admin): every session ends and every token issued so far is refused.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "Signed out everywhere"),
        (status = 403, description = "Administrators only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/{id}/sessions")]
pub async fn revoke_user_sessions(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = UserId::from(id.into_inner());
    state
        .write(auth, move |conn, caller| sessions::revoke_all(conn, caller, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Reset a user's second factor (admin): for a lost phone. Their sessions end and their tokens
/// are refused; they sign in again and enrol.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "Second factor and recovery codes removed"),
        (status = 403, description = "Administrators only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/{id}/mfa")]
pub async fn reset_user_mfa(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = UserId::from(id.into_inner());
    state
        .write(auth, move |conn, caller| mfa::reset(conn, caller, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
