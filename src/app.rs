//! The one place the HTTP application is assembled; used by `main`, the tests and the spec.

use std::sync::Arc;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, web};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use tokio::sync::Semaphore;

use crate::audit::sink::AuditSink;
use crate::auth::TokenService;
use crate::config::Settings;
use crate::db::DbPool;
use crate::error::ApiError;
use crate::extract::BodyLimit;
use crate::openapi::{self, ApiDoc, RouteTable};
use crate::pagination::CursorCodec;
use crate::{audit, auth, intake, patients, screening};
use crate::{request_context, system};

/// Shared state of one running service (one instance, shared by every worker).
pub struct AppState {
    pub settings: Arc<Settings>,
    pub pool: DbPool,
    pub metrics: PrometheusMetrics,
    pub tokens: TokenService,
    pub audit: AuditSink,
    pub cursors: CursorCodec,
    /// Bounds concurrent Argon2 work (19 MiB each) so a burst of sign-ins cannot exhaust memory.
    pub hashing: Semaphore,
}

impl AppState {
    pub fn new(settings: Settings, pool: DbPool) -> anyhow::Result<Self> {
        let metrics = PrometheusMetricsBuilder::new("intake_api")
            // Unmatched paths share one label so scanners cannot blow up the series count.
            .mask_unmatched_patterns("UNMATCHED")
            .build()
            .map_err(|e| anyhow::anyhow!("metrics: {e}"))?;
        let tokens = TokenService::new(&settings.jwt, settings.jwt_secret_bytes())?;
        let cursors = CursorCodec::new(settings.jwt_secret_bytes());
        let audit = AuditSink::start(pool.clone())?;
        let permits = std::thread::available_parallelism().map_or(2, |n| n.get()).max(2);
        Ok(Self {
            settings: Arc::new(settings),
            pool,
            metrics,
            tokens,
            audit,
            cursors,
            hashing: Semaphore::new(permits),
        })
    }
}

/// Every documented route, mounted under its prefix.
pub fn api(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.configure(system::routes)
        .configure(auth::routes)
        .configure(patients::routes)
        .configure(audit::routes)
        .configure(screening::routes)
        .configure(intake::routes);
}

/// The OpenAPI document exactly as served at `/api-docs/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(api)
        .split_for_parts();
    openapi::finalize(api)
}

/// Builds the application for one worker.
pub fn build(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(api)
        .split_for_parts();
    let api = openapi::finalize(api);
    let routes = web::Data::new(RouteTable::from_openapi(&api));
    let settings = state.settings.clone();
    let metrics = state.metrics.clone();
    app.app_data(state)
        .app_data(routes)
        .app_data(web::Data::new(BodyLimit(settings.max_body_bytes)))
        .app_data(
            web::PathConfig::default()
                .error_handler(|err, _| ApiError::BadRequest(format!("invalid path parameter: {err}")).into()),
        )
        .service(web::redirect("/docs", "/docs/"))
        .service(
            SwaggerUi::new("/docs/{_:.*}")
                .url("/api-docs/openapi.json", api)
                // Never ask validator.swagger.io for a badge: that would leak the spec URL.
                .config(utoipa_swagger_ui::Config::default().validator_url("none")),
        )
        .default_service(web::to(fallback))
        .wrap(Condition::new(
            !settings.cors_allowed_origins.is_empty(),
            cors(&settings),
        ))
        .wrap(metrics)
        .wrap(from_fn(request_context::middleware))
}

/// Unknown path: 404. Known path, other method: 405 with `Allow`.
async fn fallback(req: HttpRequest, routes: web::Data<RouteTable>) -> Result<HttpResponse, ApiError> {
    match routes.allowed(req.path()) {
        Some(allowed) if !allowed.iter().any(|m| m == req.method().as_str()) => {
            Err(ApiError::MethodNotAllowed(allowed))
        }
        _ => Err(ApiError::NotFound("route")),
    }
}

fn cors(settings: &Settings) -> Cors {
    let mut cors = Cors::default()
        // Same-origin requests (Swagger UI on this host) carry an Origin header too.
        .allowed_origin_fn(|origin, head| {
            let host = head.headers().get(header::HOST).and_then(|h| h.to_str().ok());
            let origin_host = origin.to_str().ok().and_then(|o| o.split_once("://")).map(|(_, h)| h);
            host.is_some() && host == origin_host
        })
        .allowed_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static(request_context::REQUEST_ID_HEADER),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static(request_context::REQUEST_ID_HEADER),
        ])
        .max_age(3600);
    for origin in &settings.cors_allowed_origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}
