//! HTTP handlers of `/api/v1/webhooks` (administrators).

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use uuid::Uuid;

use super::api::{
    CreateWebhookRequest, DeliveryListQuery, DeliveryResponse, PingResponse, UpdateWebhookRequest, WebhookResponse,
};
use super::service;
use crate::error::{ApiError, Problem};
use crate::http::extract::{ValidatedJson, ValidatedQuery};
use crate::http::pagination::Page;
use crate::outreach::seal::Sealer;
use crate::state::{AppState, Authenticated};

/// Register a webhook endpoint (administrators). The signing secret is in this answer only.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    request_body = CreateWebhookRequest,
    responses(
        (status = 201, description = "Registered", body = WebhookResponse,
         headers(("Location" = String, description = "URL of the endpoint"))),
        (status = 403, description = "Administrators only", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields; a URL that is not https or resolves to an internal address", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    auth: Authenticated,
    ValidatedJson(body): ValidatedJson<CreateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    let settings = state.settings.outreach.clone();
    let sealer = Sealer::new(state.settings.jwt_secret_bytes());
    // The URL's name lookup runs before the transaction: no lock waits for DNS.
    let hook = state
        .write_prepared(
            auth,
            move |_, caller| Ok((service::checked_url(caller, &body.url, &settings)?, body)),
            move |conn, caller, (url, body)| service::create(conn, caller, body, url, &sealer),
        )
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/webhooks/{}", hook.id)))
        .json(hook))
}

/// Every webhook endpoint (administrators).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every endpoint, oldest first", body = Page<WebhookResponse>),
        (status = 403, description = "Administrators only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("")]
pub async fn list_webhooks(state: web::Data<AppState>, auth: Authenticated) -> Result<HttpResponse, ApiError> {
    let page = state.query(auth, service::list).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One webhook endpoint (administrators).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookResponse),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/{id}")]
pub async fn get_webhook(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let hook = state
        .query(auth, move |conn, caller| service::get(conn, caller, id))
        .await?;
    Ok(HttpResponse::Ok().json(hook))
}

/// Change a webhook endpoint; `{"disabled": true}` pauses it (administrators).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    request_body = UpdateWebhookRequest,
    responses(
        (status = 200, description = "Changed", body = WebhookResponse),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/{id}")]
pub async fn update_webhook(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
    ValidatedJson(body): ValidatedJson<UpdateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, settings) = (id.into_inner(), state.settings.outreach.clone());
    let hook = state
        .write_prepared(
            auth,
            move |_, caller| {
                let url = body
                    .url
                    .as_deref()
                    .map(|u| service::checked_url(caller, u, &settings))
                    .transpose()?;
                Ok((url, body))
            },
            move |conn, caller, (url, body)| service::update(conn, caller, id, body, url),
        )
        .await?;
    Ok(HttpResponse::Ok().json(hook))
}

/// Remove a webhook endpoint and its delivery log (administrators).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state
        .write(auth, move |conn, caller| service::delete(conn, caller, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rotate the signing secret; the old one keeps signing beside it for 24 h (administrators).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The new secret (shown only here)", body = WebhookResponse),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/rotate-secret")]
pub async fn rotate_webhook_secret(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let sealer = Sealer::new(state.settings.jwt_secret_bytes());
    let hook = state
        .write(auth, move |conn, caller| service::rotate(conn, caller, id, &sealer))
        .await?;
    Ok(HttpResponse::Ok().json(hook))
}

/// Delivery attempts of an endpoint, newest first (administrators).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id"), DeliveryListQuery),
    responses(
        (status = 200, description = "One page", body = Page<DeliveryResponse>),
        (status = 400, description = "Invalid cursor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
    ValidatedQuery(q): ValidatedQuery<DeliveryListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, codec) = (id.into_inner(), state.cursors.clone());
    let page = state
        .query(auth, move |conn, caller| {
            service::deliveries(conn, caller, id, &q, &codec)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Send a `ping` event to the endpoint (administrators).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 202, description = "Queued", body = PingResponse),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/test")]
pub async fn test_webhook(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let queued = state
        .write(auth, move |conn, caller| service::ping(conn, caller, id))
        .await?;
    Ok(HttpResponse::Accepted().json(queued))
}
