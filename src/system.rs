//! Service routes: liveness, readiness and Prometheus metrics. No authentication, no patient data.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use prometheus::Encoder;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{self, Backend};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// Always `ok` while the process serves requests.
    #[schema(example = "ok")]
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadyResponse {
    /// `ready` when the database answered a query.
    #[schema(example = "ready")]
    pub status: &'static str,
    /// Which backend this instance uses: `sqlite` or `postgres`.
    #[schema(example = "postgres")]
    pub database: &'static str,
}

/// Liveness: the process is up.
#[utoipa::path(
    tag = "service",
    responses((status = 200, description = "The process is running", body = HealthResponse,
               example = json!({"status": "ok"})))
)]
#[get("/health")]
pub async fn get_health() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse { status: "ok" })
}

/// Readiness: the database answers a query within a second.
#[utoipa::path(
    tag = "service",
    responses(
        (status = 200, description = "The database answers", body = ReadyResponse,
         example = json!({"status": "ready", "database": "sqlite"})),
    )
)]
#[get("/ready")]
pub async fn get_ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    // Bounded well below a load balancer's probe timeout, so an outage shows within a second.
    db::ping(&state.pool, Duration::from_secs(1)).await?;
    let database = match state.settings.database_url.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    Ok(HttpResponse::Ok().json(ReadyResponse {
        status: "ready",
        database,
    }))
}

/// Prometheus metrics: request counts and latency histograms by route template, method and status.
#[utoipa::path(
    tag = "service",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain; version=0.0.4",
               body = String,
               example = "intake_api_http_requests_total{endpoint=\"/health\",method=\"GET\",status=\"200\"} 1\n"))
)]
#[get("/metrics")]
pub async fn get_metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut buf = Vec::new();
    prometheus::TextEncoder::new()
        .encode(&state.metrics.registry.gather(), &mut buf)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(buf))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_health).service(get_ready).service(get_metrics);
}
