//! HTTP handlers of `/api/v1/outbox` (administrators).

use actix_web::{HttpResponse, get, post, web};
use uuid::Uuid;

use super::admin::{self, OutboxListQuery, OutboxMessage};
use crate::error::{ApiError, Problem};
use crate::http::extract::ValidatedQuery;
use crate::http::pagination::Page;
use crate::state::{AppState, Authenticated};

/// Outbox messages, newest first: status, attempts, last error, next attempt (administrators).
#[utoipa::path(
    tag = "outbox",
    security(("bearer" = [])),
    params(OutboxListQuery),
    responses(
        (status = 200, description = "One page", body = Page<OutboxMessage>),
        (status = 400, description = "Invalid cursor", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Administrators only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("")]
pub async fn list_outbox(
    state: web::Data<AppState>,
    auth: Authenticated,
    ValidatedQuery(q): ValidatedQuery<OutboxListQuery>,
) -> Result<HttpResponse, ApiError> {
    let codec = state.cursors.clone();
    let page = state
        .query(auth, move |conn, caller| admin::list(conn, caller, &q, &codec))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Send a failed or dead message again now (administrators).
#[utoipa::path(
    tag = "outbox",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Message id")),
    responses(
        (status = 200, description = "Due again now", body = OutboxMessage),
        (status = 403, description = "Administrators only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such message", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The message is pending or sent", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/retry")]
pub async fn retry_outbox_message(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let message = state
        .write(auth, move |conn, caller| admin::retry(conn, caller, id))
        .await?;
    Ok(HttpResponse::Ok().json(message))
}
