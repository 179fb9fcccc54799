//! HTTP handlers of `/api/v1/patients`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use uuid::Uuid;

use super::api::{PatientFields, PatientListQuery, PatientPatch, PatientResponse};
use super::service;
use crate::error::{ApiError, Problem};
use crate::http::etag::{self, with_etag};
use crate::http::extract::{ValidatedJson, ValidatedQuery};
use crate::http::pagination::Page;
use crate::ids::PatientId;
use crate::state::AppState;
use crate::state::Authenticated;

/// Create a patient profile.
///
/// A patient creates their own, once (409 the second time). A clinician or admin creates one
/// for a patient who has no account (phone intake).
#[utoipa::path(
    tag = "patients",
    security(("bearer" = [])),
    request_body = PatientFields,
    responses(
        (status = 201, description = "Created", body = PatientResponse,
         headers(("Location" = String, description = "URL of the profile"), ("ETag" = String, description = "Version"))),
        (status = 409, description = "The patient already has a profile", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("")]
pub async fn create_patient(
    state: web::Data<AppState>,
    auth: Authenticated,
    ValidatedJson(body): ValidatedJson<PatientFields>,
) -> Result<HttpResponse, ApiError> {
    let p = state
        .write(auth, move |conn, caller| service::create(conn, caller, body))
        .await?;
    let mut res = HttpResponse::Created();
    res.insert_header((header::LOCATION, format!("/api/v1/patients/{}", p.id)));
    Ok(with_etag(res, &p))
}

/// A patient profile (a patient: only their own).
#[utoipa::path(
    tag = "patients",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Patient id")),
    responses((status = 200, description = "The profile", body = PatientResponse,
               headers(("ETag" = String, description = "Version, for If-Match"))))
)]
#[get("/{id}")]
pub async fn get_patient(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = PatientId::from(id.into_inner());
    let p = state
        .read(auth, move |conn, caller| service::get(conn, caller, id))
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &p))
}

/// Update a patient profile.
///
/// Absent fields stay; `null` clears an optional field. With `If-Match`, a stale version is a 412.
#[utoipa::path(
    tag = "patients",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Patient id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = PatientPatch,
    responses(
        (status = 200, description = "Updated", body = PatientResponse, headers(("ETag" = String, description = "New version"))),
        (status = 412, description = "The profile changed since that version", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/{id}")]
pub async fn update_patient(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<Uuid>,
    ValidatedJson(body): ValidatedJson<PatientPatch>,
) -> Result<HttpResponse, ApiError> {
    let (id, if_match) = (PatientId::from(id.into_inner()), etag::if_match(&req)?);
    let p = state
        .write(auth, move |conn, caller| {
            service::update(conn, caller, id, body, if_match)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &p))
}

/// Search patients by name (staff).
#[utoipa::path(
    tag = "patients",
    security(("bearer" = [])),
    params(PatientListQuery),
    responses(
        (status = 200, description = "One page, newest profile first (names are sealed at rest, so the database cannot order by them)", body = Page<PatientResponse>),
        (status = 400, description = "Invalid cursor", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Staff only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("")]
pub async fn list_patients(
    state: web::Data<AppState>,
    auth: Authenticated,
    ValidatedQuery(q): ValidatedQuery<PatientListQuery>,
) -> Result<HttpResponse, ApiError> {
    state
        .list_page(auth, move |conn, caller, codec| service::list(conn, caller, &q, codec))
        .await
}
