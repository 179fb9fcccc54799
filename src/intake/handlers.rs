//! HTTP handlers of `/api/v1/intakes`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use uuid::Uuid;

use super::api::{CreateIntakeRequest, IntakeResponse, PatchIntakeRequest, SubmissionResponse};
use super::{draft, read, repo, submit};
use crate::audit::event as audit;
use crate::error::{ApiError, Problem};
use crate::http::etag::{self, with_etag};
use crate::http::extract::ValidatedJson;
use crate::http::idempotency::{self, Reply};
use crate::ids::{IntakeId, PatientId};
use crate::state::{AppState, Authenticated};

/// The intake a stored create response names (its `Location`).
fn created_id(stored: &Reply) -> Result<IntakeId, ApiError> {
    stored
        .location
        .as_deref()
        .and_then(|l| l.rsplit('/').next())
        .and_then(|id| Uuid::parse_str(id).ok())
        .map(IntakeId::from)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a stored create reply without its Location")))
}

/// Start an intake (draft).
///
/// A patient starts their own; staff name the patient (phone intake). Demographics are pre-filled
/// from the patient's profile, and medical history from their last submitted intake. Send
/// `Idempotency-Key` to make retries safe.
#[utoipa::path(
    tag = "intakes",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of a second draft (24 h)")),
    request_body = CreateIntakeRequest,
    responses(
        (status = 201, description = "Draft created", body = IntakeResponse,
         headers(("Location" = String, description = "URL of the intake"), ("ETag" = String, description = "Version for If-Match"))),
        (status = 404, description = "No such patient, or not the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The patient has no profile yet, the key is in use, or the intake this key created has been deleted",
         body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("")]
pub async fn create_intake(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    ValidatedJson(body): ValidatedJson<CreateIntakeRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency::from_request(&req, &serde_json::to_string(&body).map_err(ApiError::internal)?)?;
    let reply = idempotency::retry_race(|| {
        let (body, key, cfg) = (body.clone(), key.clone(), state.settings.screening.clone());
        state.write(auth.clone(), move |conn, caller| {
            let patient_id = draft::patient_of(caller, body.patient_id.map(PatientId::from))?;
            idempotency::once(
                conn,
                caller.actor.user_id,
                key.as_ref(),
                |conn, stored| draft::replayed(conn, caller, created_id(stored)?),
                |conn| {
                    let intake = draft::create(conn, caller, patient_id, body, &cfg)?;
                    Ok(Reply::json(StatusCode::CREATED, &intake)?
                        .location(format!("/api/v1/intakes/{}", intake.id))
                        .version(intake.version))
                },
            )
        })
    })
    .await?;
    Ok(reply.into_response())
}

/// An intake: sections, status, and (once submitted) the server's scores, flags and eligibility.
#[utoipa::path(
    tag = "intakes",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Intake id")),
    responses((status = 200, description = "The intake", body = IntakeResponse, headers(("ETag" = String, description = "Version for If-Match"))))
)]
#[get("/{id}")]
pub async fn get_intake(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (id, cfg) = (IntakeId::from(id.into_inner()), state.settings.screening.clone());
    let intake = state
        .read_fetched(
            auth,
            move |conn, key| repo::find_with_actor(conn, key, id),
            move |_, caller, row| read::get(caller, id, row, &cfg),
        )
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &intake))
}

/// Replace named sections of a draft (or a `needs_info` intake).
///
/// Needs `If-Match` with the current `ETag`. Each section given replaces the stored one whole;
/// `null` removes it. A draft may be incomplete, but everything it holds must be valid.
#[utoipa::path(
    tag = "intakes",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Intake id"),
        ("If-Match" = String, Header, description = "ETag of the version being changed"),
    ),
    request_body = PatchIntakeRequest,
    responses(
        (status = 200, description = "Updated", body = IntakeResponse, headers(("ETag" = String, description = "New version"))),
        (status = 403, description = "A patient's own intake: changed by the patient only (staff change the intakes they start for a patient)",
         body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The status does not allow edits", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match: someone else changed it", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/{id}")]
pub async fn update_intake(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<Uuid>,
    ValidatedJson(body): ValidatedJson<PatchIntakeRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, if_match, cfg) = (
        IntakeId::from(id.into_inner()),
        etag::require_if_match(&req)?,
        state.settings.screening.clone(),
    );
    let intake = state
        .write(auth, move |conn, caller| {
            draft::patch(conn, caller, id, if_match, body, &cfg)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &intake))
}

/// Delete a draft that was never submitted. Submitted intakes are never deleted (409).
#[utoipa::path(
    tag = "intakes",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Intake id"),
        ("If-Match" = Option<String>, Header, description = "Optional: only delete this version"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "A patient's own intake: changed by the patient only (staff change the intakes they start for a patient)",
         body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The intake was submitted and is kept", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/{id}")]
pub async fn delete_intake(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (id, if_match) = (IntakeId::from(id.into_inner()), etag::if_match(&req)?);
    state
        .write(auth, move |conn, caller| draft::delete(conn, caller, id, if_match))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Submit an intake.
///
/// Checks completeness (every required section and field, consent on the current text, the
/// required instruments including the conditional ones) and answers 422 with everything that is
/// missing. On success the server computes scores, flags, MME and eligibility, stores an
/// immutable snapshot, and the status becomes `submitted`. Honours `Idempotency-Key`.
#[utoipa::path(
    tag = "intakes",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Intake id"),
        ("If-Match" = Option<String>, Header, description = "Optional: submit only this version"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response (24 h)"),
    ),
    responses(
        (status = 200, description = "Submitted and scored", body = IntakeResponse, headers(("ETag" = String, description = "New version"))),
        (status = 403, description = "A patient's own intake: changed by the patient only (staff change the intakes they start for a patient)",
         body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already submitted or under review", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Incomplete or invalid: every missing or invalid field is listed", body = Problem,
         content_type = "application/problem+json",
         example = json!({"type": "/problems/validation", "title": "Request failed validation", "status": 422, "detail": "3 fields are invalid",
            "instance": "/api/v1/intakes/0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f10/submit",
            "errors": [{"field": "sections.consent.accepted", "code": "must_be_true", "message": "the consent must be accepted to submit"},
                       {"field": "sections.demographics.weight_kg", "code": "required", "message": "weight is required for dosing (mg/kg)"},
                       {"field": "sections.screenings.asq", "code": "required", "message": "answer the Ask Suicide-Screening Questions (ASQ)"}]})),
    )
)]
#[post("/{id}/submit")]
pub async fn submit_intake(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (id, if_match) = (IntakeId::from(id.into_inner()), etag::if_match(&req)?);
    let key = idempotency::from_request(&req, "")?;
    let reply = idempotency::retry_race(|| {
        let (key, cfg, cfg2) = (
            key.clone(),
            state.settings.screening.clone(),
            state.settings.screening.clone(),
        );
        state.write_prepared(
            auth.clone(),
            move |conn, caller| submit::prepare(conn, caller, id, &cfg),
            move |conn, caller, prepared| {
                let replay = prepared.replay_event();
                idempotency::once(
                    conn,
                    caller.actor.user_id,
                    key.as_ref(),
                    |conn, _| Ok(audit::record(conn, caller.origin(), &[replay])?),
                    |conn| {
                        let row = submit::commit(conn, caller, prepared, if_match, &cfg2)?;
                        let intake = read::response(&row, None, &cfg2)?;
                        Reply::json(StatusCode::OK, &intake).map(|r| r.version(intake.version))
                    },
                )
            },
        )
    })
    .await?;
    Ok(reply.into_response())
}

/// Every submission of an intake, oldest first, exactly as submitted and scored.
#[utoipa::path(
    tag = "intakes",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Intake id")),
    responses((status = 200, description = "The submissions", body = Vec<SubmissionResponse>))
)]
#[get("/{id}/submissions")]
pub async fn list_intake_submissions(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = IntakeId::from(id.into_inner());
    let list = state
        .read(auth, move |conn, caller| read::submissions(conn, caller, id))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}
