//! HTTP handlers of `/api/v1/invitations`.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use uuid::Uuid;

use super::api::{CreateInvitationRequest, InvitationListQuery, InvitationResponse, RedeemRequest, RedeemResponse};
use super::service;
use crate::audit::event::RequestMeta;
use crate::error::{ApiError, Problem};
use crate::http::extract::{ValidatedJson, ValidatedQuery};
use crate::http::pagination::Page;
use crate::ids::InvitationId;
use crate::outreach::seal::Sealer;
use crate::state::{AppState, Authenticated};

/// Invite a patient by link (staff).
///
/// Names an existing patient (`patient_id`) or creates the profile (`patient`). Purpose
/// `intake` points the link at the patient's open draft, or a new one; `checkin` at a due
/// check-in. Channel `email` or `sms` sends the link (through the outbox); `none` leaves it to
/// staff. `link` is in this response only: it is stored nowhere in clear.
#[utoipa::path(
    tag = "invitations",
    security(("bearer" = [])),
    request_body = CreateInvitationRequest,
    responses(
        (status = 201, description = "Invited", body = InvitationResponse,
         headers(("Location" = String, description = "URL of the invitation list entry"))),
        (status = 403, description = "Staff only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such patient", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The check-in is not due", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields; a channel that is not configured names its setting", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("")]
pub async fn create_invitation(
    state: web::Data<AppState>,
    auth: Authenticated,
    ValidatedJson(body): ValidatedJson<CreateInvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    let (cfg, outreach) = (state.settings.screening.clone(), state.settings.outreach.clone());
    let sealer = Sealer::new(state.settings.jwt_secret_bytes());
    let invitation = state
        .write(auth, move |conn, caller| {
            service::create(conn, caller, body, &cfg, &outreach, &sealer)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/invitations?patient_id={}", invitation.patient_id),
        ))
        .json(invitation))
}

/// Invitations, newest first (staff); filtered by status and patient.
#[utoipa::path(
    tag = "invitations",
    security(("bearer" = [])),
    params(InvitationListQuery),
    responses(
        (status = 200, description = "One page", body = Page<InvitationResponse>),
        (status = 400, description = "Invalid cursor", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Staff only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("")]
pub async fn list_invitations(
    state: web::Data<AppState>,
    auth: Authenticated,
    ValidatedQuery(q): ValidatedQuery<InvitationListQuery>,
) -> Result<HttpResponse, ApiError> {
    state
        .list_page(auth, move |conn, caller, codec| service::list(conn, caller, &q, codec))
        .await
}

/// Redeem a link: its token and the patient's date of birth open a patient session.
///
/// No authentication. A wrong, expired, revoked or used token and a wrong date of birth all get
/// the same 401; the fifth wrong date of birth revokes the invitation.
#[utoipa::path(
    tag = "invitations",
    request_body = RedeemRequest,
    responses(
        (status = 200, description = "A session for the invited patient", body = RedeemResponse),
        (status = 401, description = "The link does not open", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/redeem")]
pub async fn redeem_invitation(
    state: web::Data<AppState>,
    meta: RequestMeta,
    ValidatedJson(body): ValidatedJson<RedeemRequest>,
) -> Result<HttpResponse, ApiError> {
    let session: RedeemResponse = service::redeem(&state, meta, body).await?;
    Ok(HttpResponse::Ok().json(session))
}

/// Revoke an invitation (staff): its link, and its reminders' links, stop working at once.
#[utoipa::path(
    tag = "invitations",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Invitation id")),
    responses(
        (status = 204, description = "Revoked (or already revoked or expired)"),
        (status = 403, description = "Staff only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such invitation", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already redeemed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/{id}")]
pub async fn revoke_invitation(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = InvitationId::from(id.into_inner());
    state
        .write(auth, move |conn, caller| service::revoke(conn, caller, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
