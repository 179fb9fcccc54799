//! Staff routes on intakes: the worklist, reviews and exam entries.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use uuid::Uuid;

use super::api::{ExamRequest, ReviewEntry, ReviewRequest, ReviewResult};
use super::{exam, steps, worklist};
use crate::error::{ApiError, Problem};
use crate::http::etag::{self, with_etag};
use crate::http::extract::{ValidatedJson, ValidatedQuery};
use crate::http::pagination::Page;
use crate::ids::IntakeId;
use crate::intake::api::{IntakeListQuery, IntakeResponse, IntakeSummary};
use crate::state::AppState;
use crate::state::Authenticated;

/// Intakes: a patient's own; for staff, the clinic's worklist.
///
/// Staff filter by status, pain type, flag and severity, patient, assignee (`me`), submission
/// time and patient name, sort by submission or update time (stable), and page with an opaque
/// cursor. Each item is a summary with the key scores and flags.
#[utoipa::path(
    tag = "intakes",
    security(("bearer" = [])),
    params(IntakeListQuery),
    responses(
        (status = 200, description = "One page of intake summaries", body = Page<IntakeSummary>),
        (status = 400, description = "Invalid or tampered cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("")]
pub async fn list_intakes(
    state: web::Data<AppState>,
    auth: Authenticated,
    ValidatedQuery(q): ValidatedQuery<IntakeListQuery>,
) -> Result<HttpResponse, ApiError> {
    state
        .list_page(auth, move |conn, caller, codec| {
            worklist::worklist(conn, caller, &q, codec)
        })
        .await
}

/// Take a review step (staff): start, approve, decline, request information, assign.
///
/// With `If-Match`, the step applies only to that version of the intake (412 when it has moved
/// on); without it, to the current version. A step not allowed from the current status is a 409
/// whose `allowed` lists the steps that are. `request_info` sends the intake back to the patient
/// (`needs_info`) with the note visible to them. A patient gets 403 on their own intake and 404
/// on anyone else's.
#[utoipa::path(
    tag = "reviews",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Intake id"),
        ("If-Match" = Option<String>, Header, description = "Optional: take the step only on this version (its ETag)"),
    ),
    request_body = ReviewRequest,
    responses(
        (status = 201, description = "Step recorded", body = ReviewResult, headers(("ETag" = String, description = "The intake's new version"))),
        (status = 403, description = "Staff only: a patient gets this on their own intake, and 404 on anyone else's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed from the current status, or the intake is the caller's own patient record",
         body = Problem, content_type = "application/problem+json",
         examples(
            ("not_allowed" = (summary = "Not allowed from the current status", value = json!({"type": "/problems/conflict", "title": "Conflict", "status": 409,
                "detail": "approve is not allowed while the intake is submitted", "allowed": ["start_review", "assign"]}))),
            ("own_record" = (summary = "The caller's own patient record (separation of duties)", value = json!({"type": "/problems/own-record",
                "title": "Own record", "status": 409,
                "detail": "this intake belongs to your own patient record; another clinician reviews it"}))),
         )),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/reviews")]
pub async fn create_review(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<Uuid>,
    ValidatedJson(body): ValidatedJson<ReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, if_match) = (IntakeId::from(id.into_inner()), etag::if_match(&req)?);
    let result = state
        .write(auth, move |conn, caller| {
            steps::review(conn, caller, id, if_match, body)
        })
        .await?;
    Ok(with_etag(HttpResponse::Created(), &result))
}

/// The review history, oldest first (staff).
#[utoipa::path(
    tag = "reviews",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Intake id")),
    responses(
        (status = 200, description = "Every step with actor, time and note", body = Vec<ReviewEntry>),
        (status = 403, description = "Staff only: a patient gets this on their own intake, and 404 on anyone else's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/{id}/reviews")]
pub async fn list_reviews(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = IntakeId::from(id.into_inner());
    let list = state
        .read(auth, move |conn, caller| steps::history(conn, caller, id))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Record the clinician's examination (staff): CRPS signs and "another diagnosis explains it",
/// and the DN4 exam items when DN4 is enabled.
///
/// Re-scores the intake (`pending_clinician_exam` → `met`/`not_met`); only on a submitted or
/// in-review intake; needs `If-Match`.
#[utoipa::path(
    tag = "reviews",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Intake id"),
        ("If-Match" = String, Header, description = "ETag of the intake version"),
    ),
    request_body = ExamRequest,
    responses(
        (status = 200, description = "The intake with its scores recomputed", body = IntakeResponse,
         headers(("ETag" = String, description = "New version"))),
        (status = 403, description = "Staff only: a patient gets this on their own intake, and 404 on anyone else's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not submitted or in review, or the intake is the caller's own patient record",
         body = Problem, content_type = "application/problem+json",
         examples(
            ("not_in_review" = (summary = "Not submitted or in review", value = json!({"type": "/problems/conflict", "title": "Conflict", "status": 409,
                "detail": "exam findings are recorded on a submitted or in-review intake; this one is draft"}))),
            ("own_record" = (summary = "The caller's own patient record (separation of duties)", value = json!({"type": "/problems/own-record",
                "title": "Own record", "status": 409,
                "detail": "this intake belongs to your own patient record; another clinician reviews it"}))),
         )),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/{id}/exam")]
pub async fn record_exam(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<Uuid>,
    ValidatedJson(body): ValidatedJson<ExamRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, if_match) = (IntakeId::from(id.into_inner()), etag::if_match(&req)?);
    let cfg = state.settings.screening.clone();
    let intake = state
        .write(auth, move |conn, caller| {
            exam::record(conn, caller, id, if_match, body, &cfg)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &intake))
}
