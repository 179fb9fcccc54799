//! `GET /api/v1/audit` (admin) and `GET /api/v1/me/access-log` (patient).

use actix_web::{HttpResponse, get, web};

use super::api::{AccessLogEntry, AccessLogQuery, AuditEventResponse, AuditQuery};
use super::service;
use crate::error::{ApiError, Problem};
use crate::http::extract::ValidatedQuery;
use crate::http::pagination::Page;
use crate::state::AppState;
use crate::state::Authenticated;

/// The audit trail (admin), newest first.
#[utoipa::path(
    tag = "audit",
    security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "One page of audit events", body = Page<AuditEventResponse>),
        (status = 400, description = "Invalid cursor", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Administrators only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("")]
pub async fn list_audit_events(
    state: web::Data<AppState>,
    auth: Authenticated,
    ValidatedQuery(q): ValidatedQuery<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    state
        .list_page(auth, move |conn, caller, codec| service::list(conn, caller, &q, codec))
        .await
}

/// Who at the clinic read or changed my records (patient).
///
/// Every read or change of the patient's profile and intakes by a clinician or an administrator,
/// with their role and name, newest first.
#[utoipa::path(
    tag = "patients",
    security(("bearer" = [])),
    params(AccessLogQuery),
    responses(
        (status = 200, description = "One page of accesses", body = Page<AccessLogEntry>),
        (status = 400, description = "Invalid cursor", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Patients only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/access-log")]
pub async fn list_my_access_log(
    state: web::Data<AppState>,
    auth: Authenticated,
    ValidatedQuery(q): ValidatedQuery<AccessLogQuery>,
) -> Result<HttpResponse, ApiError> {
    state
        .list_page(auth, move |conn, caller, codec| {
            service::access_log(conn, caller, &q, codec)
        })
        .await
}
