//! HTTP handlers of courses (`/api/v1/courses`), sessions (`/api/v1/sessions`) and check-ins
//! (`/api/v1/checkins`, `/api/v1/me/checkins`): extract, call the service, answer.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use uuid::Uuid;

use super::api::{
    CancelSessionRequest, CheckinResponse, CourseListQuery, CourseResponse, CourseSummary, CreateCourseRequest,
    CreateSessionRequest, EndCourseRequest, InfusionSession, OutcomesResponse, SessionPatch, SubmitCheckinRequest,
};
use super::course;
use crate::audit::event::{self as audit, AuditEvent};
use crate::courses::access;
use crate::courses::checkin::service as checkins;
use crate::courses::session::service as sessions;
use crate::error::{ApiError, Problem};
use crate::fhir::questionnaire_response;
use crate::fhir::sdc::FhirResource;
use crate::http::etag::{self, with_etag};
use crate::http::extract::{ValidatedJson, ValidatedQuery, from_value};
use crate::http::idempotency::{self, Reply};
use crate::http::pagination::Page;
use crate::ids::{CheckinId, CourseId, InfusionId};
use crate::state::{AppState, Authenticated};

/// Start a course for the patient of an approved intake (staff).
///
/// The intake must be `approved` (else 409); a patient has at most one `active` course (409
/// naming it). The protocol gives the drug, route and dose: ketamine per kg, esketamine in mg.
#[utoipa::path(
    tag = "courses",
    security(("bearer" = [])),
    request_body = CreateCourseRequest,
    responses(
        (status = 201, description = "Course started", body = CourseResponse,
         headers(("Location" = String, description = "URL of the course"), ("ETag" = String, description = "Version for If-Match"))),
        (status = 403, description = "Staff only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such intake", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The intake is not approved, or the patient already has an active course",
         body = Problem, content_type = "application/problem+json",
         examples(
            ("not_approved" = (summary = "Intake not approved", value = json!({"type": "/problems/conflict", "title": "Conflict", "status": 409,
                "detail": "a course starts from an approved intake; this one is in_review"}))),
            ("active_course" = (summary = "A course is already active", value = json!({"type": "/problems/conflict", "title": "Conflict", "status": 409,
                "detail": "the patient already has an active course (0192f0c1-7d2e-7a10-9b6c-3f1e2d4c5b6a); end it before starting another"}))),
         )),
        (status = 422, description = "Invalid body: every bad field named", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("")]
pub async fn create_course(
    state: web::Data<AppState>,
    auth: Authenticated,
    ValidatedJson(body): ValidatedJson<CreateCourseRequest>,
) -> Result<HttpResponse, ApiError> {
    let course = state
        .write(auth, move |conn, caller| course::create(conn, caller, body))
        .await?;
    let mut res = HttpResponse::Created();
    res.insert_header((header::LOCATION, format!("/api/v1/courses/{}", course.id)));
    Ok(with_etag(res, &course))
}

/// Courses: for staff, the clinic's list with filters; for a patient, their own.
///
/// Filters: `patient_id`, `status`, `flag` (a session flag or a check-in's urgent flag),
/// `outcome` (`<instrument>:<classification>`, e.g. `phq9:no_response`), `checkins=overdue`,
/// and `q` (words of the patient's name). Newest first, cursor-paged.
#[utoipa::path(
    tag = "courses",
    security(("bearer" = [])),
    params(CourseListQuery),
    responses(
        (status = 200, description = "One page of courses", body = Page<CourseSummary>),
        (status = 400, description = "Invalid or tampered cursor", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("")]
pub async fn list_courses(
    state: web::Data<AppState>,
    auth: Authenticated,
    ValidatedQuery(q): ValidatedQuery<CourseListQuery>,
) -> Result<HttpResponse, ApiError> {
    state
        .list_page(auth, move |conn, caller, codec| course::list(conn, caller, &q, codec))
        .await
}

/// A course with its flags and outcomes (staff; the patient for their own, without staff notes).
#[utoipa::path(
    tag = "courses",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Course id")),
    responses(
        (status = 200, description = "The course", body = CourseResponse, headers(("ETag" = String, description = "Version for If-Match"))),
        (status = 404, description = "No such course, or not the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/{id}")]
pub async fn get_course(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = CourseId::from(id.into_inner());
    let course = state
        .read(auth, move |conn, caller| course::get(conn, caller, id))
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &course))
}

/// End a course (staff, `If-Match`).
///
/// `completed` ends it `completed`, any other reason `stopped`. Open pre-session check-ins are
/// cancelled; the follow-up check-ins (by default 7, 30 and 90 days) are scheduled from today.
#[utoipa::path(
    tag = "courses",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Course id"),
        ("If-Match" = String, Header, description = "ETag of the course"),
    ),
    request_body = EndCourseRequest,
    responses(
        (status = 200, description = "Ended", body = CourseResponse, headers(("ETag" = String, description = "New version"))),
        (status = 403, description = "Staff only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such course, or not the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already ended", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/end")]
pub async fn end_course(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<Uuid>,
    ValidatedJson(body): ValidatedJson<EndCourseRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, if_match) = (CourseId::from(id.into_inner()), etag::require_if_match(&req)?);
    let (settings, screening) = (state.settings.courses.clone(), state.settings.screening.clone());
    let course = state
        .write(auth, move |conn, caller| {
            course::end(conn, caller, id, if_match, body, &settings, &screening)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &course))
}

/// A course's outcomes per instrument and the series behind them (staff; the patient, own).
#[utoipa::path(
    tag = "courses",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Course id")),
    responses(
        (status = 200, description = "Outcomes and series", body = OutcomesResponse),
        (status = 404, description = "No such course, or not the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/{id}/outcomes")]
pub async fn course_outcomes(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = CourseId::from(id.into_inner());
    let body = state
        .read(auth, move |conn, caller| course::outcomes(conn, caller, id))
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Schedule a session (staff); its pre-session check-in is created, due from 72 h before.
#[utoipa::path(
    tag = "sessions",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Course id")),
    request_body = CreateSessionRequest,
    responses(
        (status = 201, description = "Session planned", body = InfusionSession,
         headers(("Location" = String, description = "URL of the session"), ("ETag" = String, description = "Version for If-Match"))),
        (status = 403, description = "Staff only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such course, or not the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The course has ended", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/sessions")]
pub async fn create_session(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
    ValidatedJson(body): ValidatedJson<CreateSessionRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = CourseId::from(id.into_inner());
    let (settings, screening) = (state.settings.courses.clone(), state.settings.screening.clone());
    let session = state
        .write(auth, move |conn, caller| {
            sessions::create(conn, caller, id, body.scheduled_at, &settings, &screening)
        })
        .await?;
    let mut res = HttpResponse::Created();
    res.insert_header((header::LOCATION, format!("/api/v1/sessions/{}", session.id)));
    Ok(with_etag(res, &session))
}

/// A course's sessions by `scheduled_at` (staff; the patient, own, without staff notes).
#[utoipa::path(
    tag = "sessions",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Course id")),
    responses(
        (status = 200, description = "The sessions", body = Vec<InfusionSession>),
        (status = 404, description = "No such course, or not the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/{id}/sessions")]
pub async fn list_course_sessions(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = CourseId::from(id.into_inner());
    let list = state
        .read(auth, move |conn, caller| sessions::list(conn, caller, id))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A course's check-ins by `due_by` (staff; the patient, own).
#[utoipa::path(
    tag = "checkins",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Course id")),
    responses(
        (status = 200, description = "The check-ins", body = Vec<CheckinResponse>),
        (status = 404, description = "No such course, or not the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/{id}/checkins")]
pub async fn list_course_checkins(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = CourseId::from(id.into_inner());
    let list = state
        .read(auth, move |conn, caller| checkins::of_course(conn, caller, id))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A session with its flags (staff; the patient, own, without staff notes).
#[utoipa::path(
    tag = "sessions",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 200, description = "The session", body = InfusionSession, headers(("ETag" = String, description = "Version for If-Match"))),
        (status = 404, description = "No such session, or not the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/{id}")]
pub async fn get_session(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = InfusionId::from(id.into_inner());
    let session = state
        .read(auth, move |conn, caller| sessions::get(conn, caller, id))
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &session))
}

/// Record a planned session's blocks (staff, `If-Match`): each block given replaces the stored
/// one whole, `null` removes it.
///
/// The server computes `dose.total_mg` (mg/kg × weight, 0.1 mg) and the session flags. A
/// ketamine dose above `KETAMINE_MAX_MG_PER_KG` needs `dose.override_reason` (then it is flagged).
#[utoipa::path(
    tag = "sessions",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Session id"),
        ("If-Match" = String, Header, description = "ETag of the session"),
    ),
    request_body = SessionPatch,
    responses(
        (status = 200, description = "Recorded; flags recomputed", body = InfusionSession, headers(("ETag" = String, description = "New version"))),
        (status = 403, description = "Staff only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session, or not the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The session is completed or cancelled, or its course has ended", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid blocks, or a dose above the ceiling without a reason", body = Problem,
         content_type = "application/problem+json",
         example = json!({"type": "/problems/validation", "title": "Request failed validation", "status": 422, "detail": "dose.override_reason: required",
            "errors": [{"field": "dose.override_reason", "code": "required",
                "message": "1.2 mg/kg is above the ceiling of 1 mg/kg: give an override_reason to record it"}]})),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/{id}")]
pub async fn patch_session(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<Uuid>,
    ValidatedJson(body): ValidatedJson<SessionPatch>,
) -> Result<HttpResponse, ApiError> {
    let (id, if_match) = (InfusionId::from(id.into_inner()), etag::require_if_match(&req)?);
    let rules = sessions::rules(&state.settings.courses, &state.settings.screening.cutoffs);
    let session = state
        .write(auth, move |conn, caller| {
            sessions::patch(conn, caller, id, if_match, body, &rules)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &session))
}

/// Complete a session (staff, `If-Match`): needs the weight, the dose, a `pre` and a `post`
/// vital-sign set and the discharge; a 422 lists everything missing.
#[utoipa::path(
    tag = "sessions",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Session id"),
        ("If-Match" = String, Header, description = "ETag of the session"),
    ),
    responses(
        (status = 200, description = "Completed", body = InfusionSession, headers(("ETag" = String, description = "New version"))),
        (status = 403, description = "Staff only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session, or not the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not planned, or its course has ended", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Incomplete: everything missing is listed", body = Problem, content_type = "application/problem+json",
         example = json!({"type": "/problems/validation", "title": "Request failed validation", "status": 422, "detail": "2 fields are invalid",
            "errors": [{"field": "discharge", "code": "required", "message": "record the discharge"},
                       {"field": "vitals", "code": "required", "message": "record at least one `post` vital-sign set"}]})),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/complete")]
pub async fn complete_session(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (id, if_match) = (InfusionId::from(id.into_inner()), etag::require_if_match(&req)?);
    let session = state
        .write(auth, move |conn, caller| sessions::complete(conn, caller, id, if_match))
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &session))
}

/// Cancel a planned session (staff, `If-Match`); its open pre-session check-in is cancelled.
#[utoipa::path(
    tag = "sessions",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Session id"),
        ("If-Match" = String, Header, description = "ETag of the session"),
    ),
    request_body = CancelSessionRequest,
    responses(
        (status = 200, description = "Cancelled", body = InfusionSession, headers(("ETag" = String, description = "New version"))),
        (status = 403, description = "Staff only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session, or not the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not planned, or its course has ended", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/cancel")]
pub async fn cancel_session(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<Uuid>,
    ValidatedJson(body): ValidatedJson<CancelSessionRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, if_match) = (InfusionId::from(id.into_inner()), etag::require_if_match(&req)?);
    let session = state
        .write(auth, move |conn, caller| {
            sessions::cancel(conn, caller, id, if_match, body)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &session))
}

/// The caller's check-ins open now (due, or missed and still accepted), soonest first (patients).
#[utoipa::path(
    tag = "checkins",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Open check-ins", body = Vec<CheckinResponse>),
        (status = 403, description = "Patients only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/checkins")]
pub async fn my_checkins(state: web::Data<AppState>, auth: Authenticated) -> Result<HttpResponse, ApiError> {
    let list = state.read(auth, checkins::mine).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A check-in (staff; the patient, own).
#[utoipa::path(
    tag = "checkins",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Check-in id")),
    responses(
        (status = 200, description = "The check-in", body = CheckinResponse, headers(("ETag" = String, description = "Version"))),
        (status = 404, description = "No such check-in, or not the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/{id}")]
pub async fn get_checkin(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = CheckinId::from(id.into_inner());
    let checkin = state
        .read(auth, move |conn, caller| checkins::get(conn, caller, id))
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &checkin))
}

/// Answer a check-in (the patient, own, or staff on their behalf). Honours `Idempotency-Key`.
///
/// Scored on the server like the intake: the same validation, conditional rules (PHQ-9 item 9
/// of 1 or more → the ASQ is required) and flags. A check-in past `due_by` is accepted and
/// marked `late`. Urgent flags are listed on the course; the course's outcomes are recomputed.
///
/// The answers come as JSON (`screenings`, keyed by instrument), or as a FHIR `Bundle` of
/// QuestionnaireResponses (`application/fhir+json`), one per instrument, each naming its
/// Questionnaire (`GET /fhir/Questionnaire/{code}`) by canonical url; bad `linkId`s and
/// answers are named by their path in the Bundle.
#[utoipa::path(
    tag = "checkins",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Check-in id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response (24 h)"),
    ),
    request_body(content(
        (SubmitCheckinRequest = "application/json"),
        (FhirResource = "application/fhir+json", example = json!({"resourceType": "Bundle", "type": "collection", "entry": [
            {"resource": {"resourceType": "QuestionnaireResponse", "status": "completed",
                "questionnaire": "https://intake.example.org/fhir/Questionnaire/pgic|1.0",
                "item": [{"linkId": "1", "answer": [{"valueCoding": {"system": "https://intake.example.org/fhir/Questionnaire/pgic/answers", "code": "6"}}]}]}}]})),
    )),
    responses(
        (status = 200, description = "Completed and scored", body = CheckinResponse, headers(("ETag" = String, description = "New version"))),
        (status = 404, description = "No such check-in, or not the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already completed, or cancelled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Every missing instrument and invalid item named", body = Problem, content_type = "application/problem+json",
         example = json!({"type": "/problems/validation", "title": "Request failed validation", "status": 422, "detail": "2 fields are invalid",
            "errors": [{"field": "screenings.asq", "code": "required", "message": "PHQ-9 item 9 was answered 1 or more: answer the ASQ suicide risk screen"},
                       {"field": "screenings.peg", "code": "required", "message": "answer this questionnaire"}]})),
    )
)]
#[post("/{id}/submit")]
pub async fn submit_checkin(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<Uuid>,
    ValidatedJson(FhirResource(body)): ValidatedJson<FhirResource>,
) -> Result<HttpResponse, ApiError> {
    let id = CheckinId::from(id.into_inner());
    let body = if body.get("resourceType").is_some() {
        let screenings = questionnaire_response::bundle_answers(&body).map_err(ApiError::Validation)?;
        SubmitCheckinRequest { screenings }
    } else {
        from_value::<SubmitCheckinRequest>(&body)?
    };
    let key = idempotency::from_request(
        &req,
        &serde_json::to_string(&body.screenings).map_err(ApiError::internal)?,
    )?;
    let reply = idempotency::retry_race(|| {
        let (key, body) = (key.clone(), body.clone());
        let (cfg, settings) = (state.settings.screening.clone(), state.settings.courses.clone());
        state.write(auth.clone(), move |conn, caller| {
            idempotency::once(
                conn,
                caller.actor.user_id,
                key.as_ref(),
                |conn, _| {
                    // A replay discloses the check-in again: the caller must still see it.
                    let row = access::checkin(conn, caller, id, "checkin.submit")?;
                    let event = AuditEvent::new("checkin.submit_replayed", "checkin", id).patient(row.patient_id);
                    Ok(audit::record(conn, caller.origin(), &[event])?)
                },
                |conn| {
                    let checkin = checkins::submit(conn, caller, id, body, &cfg, &settings)?;
                    Reply::json(StatusCode::OK, &checkin).map(|r| r.version(checkin.version))
                },
            )
        })
    })
    .await?;
    Ok(reply.into_response())
}
