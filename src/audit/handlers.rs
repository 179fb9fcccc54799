//! `GET /api/v1/audit` (admin) and `GET /api/v1/me/access-log` (patient).

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::api::{AccessLogEntry, AccessLogQuery, AuditEventResponse, AuditQuery};
use super::chain::VerifyReport;
use super::fhir;
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

/// The audit trail as FHIR R4 AuditEvents (admin), newest first.
///
/// The same events and filters as `GET /audit`, each an `AuditEvent` in the shape of IHE Basic
/// Audit Log Patterns: `type` rest with the interaction as `subtype`, the user as the requesting
/// agent (role, network address), this server as the source, the patient (`Patient/{id}`) and
/// the resource as entities. A `searchset` Bundle; its `next` link carries the cursor.
#[utoipa::path(
    tag = "audit",
    security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "FHIR R4 Bundle (searchset) of AuditEvents", content_type = "application/fhir+json", body = Object,
         example = json!({"resourceType": "Bundle", "type": "searchset", "entry": [{"fullUrl": "http://127.0.0.1:8080/api/v1/audit/fhir/AuditEvent/0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f10",
            "search": {"mode": "match"}, "resource": {"resourceType": "AuditEvent", "id": "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f10",
            "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest"},
            "subtype": [{"system": "http://hl7.org/fhir/restful-interaction", "code": "read"}], "action": "R",
            "recorded": "2026-11-27T14:00:00.000000Z", "outcome": "0",
            "agent": [{"who": {"identifier": {"system": "https://intake.example.org/fhir/identifier/user", "value": "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f11"}},
                "requestor": true, "role": [{"text": "clinician"}]}],
            "source": {"observer": {"display": "intake-api"}},
            "entity": [{"what": {"reference": "Patient/0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f12"}}]}}]})),
        (status = 400, description = "Invalid cursor", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Administrators only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/fhir")]
pub async fn list_audit_fhir(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    ValidatedQuery(q): ValidatedQuery<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let codec = state.cursors.clone();
    let page = state
        .read(auth, move |conn, caller| service::list(conn, caller, &q, &codec))
        .await?;
    let info = req.connection_info();
    let base = format!("{}://{}/api/v1/audit/fhir", info.scheme(), info.host());
    // The next page: this request's query with the cursor replaced.
    let next = page.next_cursor.as_ref().map(|cursor| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
            if k != "cursor" {
                query.append_pair(&k, &v);
            }
        }
        query.append_pair("cursor", cursor);
        format!("{base}?{}", query.finish())
    });
    let bundle = fhir::searchset(&page.items, &base, next);
    Ok(HttpResponse::Ok()
        .content_type("application/fhir+json")
        .body(bundle.to_string()))
}

/// Check the audit trail's hash chain (admin).
///
/// Walks every event in chain order: each must link to the one before and hash to its content,
/// and the chain must end at its recorded head. Editing, deleting or inserting a row in the
/// database is reported at the first event that no longer holds.
#[utoipa::path(
    tag = "audit",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What the walk found", body = VerifyReport,
         example = json!({"events": 18234, "intact": false, "first_broken_id": "019ad0c4-6f0e-7cc2-9d52-1f1e2a3b4c5d",
            "problem": "its hash does not match its content (the row or the resources it lists were edited)"})),
        (status = 403, description = "Administrators only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/verify")]
pub async fn verify_audit_chain(state: web::Data<AppState>, auth: Authenticated) -> Result<HttpResponse, ApiError> {
    let report = state.read(auth, service::verify).await?;
    Ok(HttpResponse::Ok().json(report))
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
