//! One error type for every handler, rendered as RFC 9457 `application/problem+json`.
//!
//! The variant decides the status, the stable `type` slug and what a client may see. Internal
//! errors are logged (with the request id, through the request span) and answered with a bare
//! 500: no SQL, file path or stack ever reaches a response. Nothing here may log patient data.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::context::{self, RequestCtx};
use crate::validation::FieldIssue;

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// RFC 9457 problem details. Extension members: `request_id`, `errors` (validation) and
/// `allowed` (the actions or methods that would have been accepted).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation",
    "title": "Request failed validation",
    "status": 422,
    "detail": "1 field is invalid",
    "instance": "/api/v1/intakes/0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f10",
    "request_id": "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f11",
    "errors": [{"field": "sections.demographics.weight_kg", "code": "required", "message": "weight is required for dosing"}]
}))]
pub struct Problem {
    /// Stable URI reference naming the problem type (relative to the API host).
    #[serde(rename = "type")]
    #[schema(example = "/problems/validation")]
    pub type_: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// Explanation of this occurrence (never internal detail).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request path this problem occurred on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Request id, also sent as the `X-Request-Id` header; quote it when reporting a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Every invalid or missing field (validation problems only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldIssue>,
    /// What would have been accepted: allowed methods (405) or review actions (409).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
}

/// Every failure a handler can return.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request could not be read (malformed JSON, bad header, tampered cursor).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 401: missing, invalid, expired or revoked credentials. Never says which.
    #[error("authentication required")]
    Unauthenticated,
    /// 401 on the login route: one message for unknown email and wrong password.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// 401 at the second sign-in step: a wrong, replayed or spent code (5 lock like passwords).
    #[error("invalid second-factor code")]
    InvalidMfaCode,
    /// An invitation link that does not open: unknown, expired, used, revoked, or the date of
    /// birth is wrong (one answer for all).
    #[error("invalid invitation")]
    InvalidInvitation,
    /// 403: a clinician or administrator without a second factor where `REQUIRE_STAFF_MFA` is on;
    /// only enrolment, `me` and logout answer until they turn one on.
    #[error("mfa enrolment required")]
    MfaEnrollmentRequired,
    /// 403: authenticated but not allowed (only for routes whose existence is not secret).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 404: no such resource, or not visible to the caller.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 404 for something that exists in this build but is switched off at this clinic (e.g. a
    /// restricted instrument); the detail says why and how to enable it.
    #[error("not enabled: {0}")]
    NotEnabled(String),
    /// 405: the path exists, the method does not.
    #[error("method not allowed")]
    MethodNotAllowed(Vec<String>),
    /// 409: the resource's state forbids this; `allowed` lists what would be accepted.
    #[error("conflict: {detail}")]
    Conflict {
        detail: String,
        allowed: Option<Vec<String>>,
    },
    /// 409: separation of duties: nobody reviews, approves or examines an intake whose patient
    /// record is linked to their own account.
    #[error("own record")]
    OwnRecord,
    /// 412: `If-Match` names a version that is no longer current.
    #[error("precondition failed")]
    PreconditionFailed { current_version: i64 },
    /// 413: body over the configured limit.
    #[error("payload too large")]
    PayloadTooLarge(usize),
    /// 415: body is not JSON.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 422: the body or query is well-formed but invalid; every bad field is listed.
    #[error("request failed validation")]
    Validation(Vec<FieldIssue>),
    /// 422 for a single semantic rule that is not tied to one field.
    #[error("unprocessable: {0}")]
    Unprocessable(String),
    /// 428: a conditional request header is required.
    #[error("precondition required: {0}")]
    PreconditionRequired(&'static str),
    /// 429: too many attempts; retry after the given seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// 503: the database did not answer in time.
    #[error("service unavailable")]
    Unavailable,
    /// 500: a bug or an unexpected failure; logged, never described to the client.
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

impl ApiError {
    /// One validation issue.
    pub fn invalid(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldIssue::new(field, code, message)])
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        ApiError::Conflict {
            detail: detail.into(),
            allowed: None,
        }
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(err.into())
    }

    /// Stable `type` slug and title.
    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::BadRequest(_) => ("/problems/bad-request", "Bad request"),
            ApiError::Unauthenticated => ("/problems/unauthenticated", "Authentication required"),
            ApiError::InvalidCredentials => ("/problems/invalid-credentials", "Invalid email or password"),
            ApiError::InvalidMfaCode => ("/problems/invalid-mfa-code", "Invalid second-factor code"),
            ApiError::InvalidInvitation => ("/problems/invalid-invitation", "Invalid invitation"),
            ApiError::MfaEnrollmentRequired => ("/problems/mfa-enrollment-required", "Second factor required"),
            ApiError::Forbidden(_) => ("/problems/forbidden", "Forbidden"),
            ApiError::NotFound(_) => ("/problems/not-found", "Not found"),
            ApiError::NotEnabled(_) => ("/problems/not-enabled", "Not enabled at this clinic"),
            ApiError::MethodNotAllowed(_) => ("/problems/method-not-allowed", "Method not allowed"),
            ApiError::Conflict { .. } => ("/problems/conflict", "Conflict"),
            ApiError::OwnRecord => ("/problems/own-record", "Own record"),
            ApiError::PreconditionFailed { .. } => ("/problems/stale-version", "Precondition failed"),
            ApiError::PayloadTooLarge(_) => ("/problems/payload-too-large", "Payload too large"),
            ApiError::UnsupportedMediaType => ("/problems/unsupported-media-type", "Unsupported media type"),
            ApiError::Validation(_) | ApiError::Unprocessable(_) => {
                ("/problems/validation", "Request failed validation")
            }
            ApiError::PreconditionRequired(_) => ("/problems/precondition-required", "Precondition required"),
            ApiError::TooManyRequests { .. } => ("/problems/too-many-requests", "Too many requests"),
            ApiError::Unavailable => ("/problems/unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("/problems/internal", "Internal server error"),
        }
    }

    fn detail(&self) -> Option<String> {
        Some(match self {
            ApiError::BadRequest(d) | ApiError::Forbidden(d) | ApiError::Unprocessable(d) | ApiError::NotEnabled(d) => {
                d.clone()
            }
            ApiError::Unauthenticated => "a valid bearer token is required".into(),
            ApiError::InvalidCredentials => "the email or password is wrong".into(),
            ApiError::InvalidMfaCode => "the code is wrong, expired or already used".into(),
            ApiError::InvalidInvitation => {
                "the link is not valid (expired, used or revoked) or the date of birth does not match; \
                 ask the clinic for a new link"
                    .into()
            }
            ApiError::MfaEnrollmentRequired => {
                "turn on a second factor first: POST /api/v1/auth/mfa/totp, then /api/v1/auth/mfa/totp/confirm".into()
            }
            ApiError::NotFound(what) => format!("{what} not found"),
            ApiError::MethodNotAllowed(_) => "this path does not accept that method".into(),
            ApiError::Conflict { detail, .. } => detail.clone(),
            ApiError::OwnRecord => {
                "this intake belongs to your own patient record; another clinician reviews it".into()
            }
            ApiError::PreconditionFailed { current_version } => {
                format!("the resource has changed; current version is {current_version}")
            }
            ApiError::PayloadTooLarge(limit) => format!("request body is over the {limit}-byte limit"),
            ApiError::UnsupportedMediaType => "send the body as application/json".into(),
            ApiError::Validation(errors) => match errors.len() {
                1 => "1 field is invalid".into(),
                n => format!("{n} fields are invalid"),
            },
            ApiError::PreconditionRequired(header) => format!("the {header} header is required"),
            ApiError::TooManyRequests { retry_after_secs } => {
                format!("too many attempts; retry after {retry_after_secs} seconds")
            }
            ApiError::Unavailable => "the database is not answering; retry shortly".into(),
            ApiError::Internal(_) => return None,
        })
    }

    /// The body sent to the client.
    pub fn problem(&self) -> Problem {
        let (type_, title) = self.kind();
        let ctx = context::current();
        Problem {
            type_: type_.into(),
            title: title.into(),
            status: self.status_code().as_u16(),
            detail: self.detail(),
            instance: ctx.as_ref().map(|c| c.path.clone()),
            request_id: ctx.map(|c| c.request_id),
            errors: match self {
                ApiError::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
            allowed: match self {
                ApiError::MethodNotAllowed(a) => Some(a.clone()),
                ApiError::Conflict { allowed, .. } => allowed.clone(),
                _ => None,
            },
        }
    }
}

/// A problem for an error response that did not come from [`ApiError`] (e.g. a CORS rejection):
/// RFC 9457's `about:blank` type with the status phrase as title.
pub fn generic_problem(status: StatusCode, ctx: &RequestCtx) -> Problem {
    Problem {
        type_: "about:blank".into(),
        title: status.canonical_reason().unwrap_or("Error").into(),
        status: status.as_u16(),
        detail: None,
        instance: Some(ctx.path.clone()),
        request_id: Some(ctx.request_id.clone()),
        errors: Vec::new(),
        allowed: None,
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated
            | ApiError::InvalidCredentials
            | ApiError::InvalidMfaCode
            | ApiError::InvalidInvitation => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::MfaEnrollmentRequired => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::NotEnabled(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } | ApiError::OwnRecord => StatusCode::CONFLICT,
            ApiError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) | ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            // `{:#}` prints the cause chain; error messages from diesel/libpq carry no patient
            // data (values are bound parameters, never interpolated into SQL).
            ApiError::Internal(e) => tracing::error!(error = format!("{e:#}"), "request failed"),
            ApiError::Unavailable => tracing::warn!("database unavailable"),
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        match self {
            ApiError::Unauthenticated => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::MethodNotAllowed(allowed) => {
                res.insert_header((header::ALLOW, allowed.join(", ")));
            }
            ApiError::Unavailable => {
                res.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        res.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => ApiError::NotFound("resource"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                ApiError::conflict("a record with the same unique value already exists")
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => ApiError::Unavailable,
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => ApiError::Unavailable,
            Error::DatabaseError(DatabaseErrorKind::Unknown, ref info) if is_unavailable_message(info.message()) => {
                ApiError::Unavailable
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

/// libpq and SQLite report lost connections, timeouts and lock contention as generic errors;
/// they are the database being unavailable, not a bug.
fn is_unavailable_message(msg: &str) -> bool {
    const MARKERS: [&str; 8] = [
        "server closed the connection",
        "terminating connection",
        "no connection to the server",
        "could not connect",
        "connection refused",
        "canceling statement due to statement timeout",
        "database is locked",
        "the database system is",
    ];
    let lower = msg.to_ascii_lowercase();
    MARKERS.iter().any(|m| lower.contains(m))
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(_: diesel::r2d2::PoolError) -> Self {
        ApiError::Unavailable
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = ApiError::internal(anyhow::anyhow!("SELECT * FROM patients failed at /srv/db"));
        let p = err.problem();
        assert_eq!(p.status, 500);
        assert_eq!(p.detail, None);
        let body = serde_json::to_string(&p).unwrap();
        assert!(!body.contains("SELECT"));
        assert!(!body.contains("/srv"));
    }

    #[test]
    fn validation_lists_every_issue() {
        let err = ApiError::Validation(vec![
            FieldIssue::new("a", "required", "a is required"),
            FieldIssue::new("b.c", "range", "out of range"),
        ]);
        let p = err.problem();
        assert_eq!(p.status, 422);
        assert_eq!(p.type_, "/problems/validation");
        assert_eq!(p.errors.len(), 2);
        assert_eq!(p.detail.as_deref(), Some("2 fields are invalid"));
    }

    #[test]
    fn lost_connections_are_unavailable_not_internal() {
        assert!(is_unavailable_message("server closed the connection unexpectedly"));
        assert!(is_unavailable_message(
            "FATAL: terminating connection due to administrator command"
        ));
        assert!(!is_unavailable_message("syntax error at or near"));
    }
}
