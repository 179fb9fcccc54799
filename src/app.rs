//! The one place the HTTP application is assembled; used by `main`, the tests and the spec.

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, web};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::error::ApiError;
use crate::http::context::REQUEST_ID_HEADER;
use crate::http::extract::BodyLimit;
use crate::http::middleware::{self, TrustForwardedFor};
use crate::http::openapi::{self, RouteTable, SecurityAddon};
use crate::state::AppState;
use crate::{audit, auth, courses, fhir, instruments, intake, outreach, patients, review, system};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Patient Intake API",
        description = "Pre-treatment intake for ketamine-infusion pain clinics: patients fill in their intake \
(medical history, medications and opioids, pain conditions, screening questionnaires, logistics, consent); \
clinicians review it. Scores, safety flags and eligibility are computed by the server as decision support; \
the server never declines a patient. Errors are RFC 9457 problem+json.",
        contact(name = "Intake API team", email = "api@intake.example.org", url = "https://intake.example.org"),
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    // Schemas that only query parameters refer to (bodies register theirs automatically).
    components(schemas(
        crate::error::Problem,
        crate::validation::FieldIssue,
        crate::intake::api::IntakeSort,
        crate::screening::model::PainType,
        crate::screening::model::Severity,
        crate::screening::model::Lang,
        crate::patients::api::Language,
        crate::auth::domain::Role,
        crate::courses::api::CheckinFilter,
        crate::courses::status::CourseStatus,
    )),
    modifiers(&SecurityAddon),
    tags(
        (name = "service", description = "Health, readiness and metrics (no authentication)"),
        (name = "auth", description = "Registration, sign-in and the current user"),
        (name = "users", description = "Staff accounts (administrators)"),
        (name = "patients", description = "Patient profiles and the patient's own access log"),
        (name = "intakes", description = "Intake documents: drafts, sections, submit, consent"),
        (name = "reviews", description = "Clinician review of submitted intakes"),
        (name = "instruments", description = "Screening questionnaires (public catalogue) and score previews"),
        (name = "fhir", description = "The instruments as FHIR R4 Questionnaires (HL7 SDC), public"),
        (name = "courses", description = "Treatment courses after an approved intake: protocol, flags, outcomes"),
        (name = "sessions", description = "Infusion sessions: pre-checks, vital signs, dose, adverse events, discharge"),
        (name = "checkins", description = "The patient's check-in questionnaires before sessions and after the course"),
        (name = "audit", description = "The audit trail of every access to patient data (administrators)"),
        (name = "invitations", description = "Invitations by link: staff invite, the patient redeems with their date of birth"),
        (name = "outbox", description = "Email, SMS and webhook deliveries: status, attempts, retry (administrators)"),
        (name = "webhooks", description = "Signed event notifications to integrators' endpoints (administrators)"),
    )
)]
pub struct ApiDoc;

/// Every documented route, mounted under its prefix. Features register their routes relative
/// to the prefix they are given; the intake, review and FHIR routes share `/api/v1/intakes`
/// (one scope: actix does not fall through from one scope to another with the same prefix).
/// Registration order is the order of paths in the OpenAPI document.
pub fn api(cfg: &mut ServiceConfig) {
    use utoipa_actix_web::scope;
    cfg.configure(system::routes)
        .service(scope("/api/v1/auth").configure(auth::auth_routes))
        .service(scope("/api/v1/users").configure(auth::user_routes))
        .service(scope("/api/v1/patients").configure(patients::routes))
        .service(scope("/api/v1/invitations").configure(outreach::invitations::routes))
        .service(scope("/api/v1/outbox").configure(outreach::outbox::routes))
        .service(scope("/api/v1/webhooks").configure(outreach::webhooks::routes))
        .service(scope("/api/v1/audit").configure(audit::audit_routes))
        .service(
            scope("/api/v1/me")
                .configure(audit::me_routes)
                .configure(courses::me_routes),
        )
        .service(
            scope("/api/v1/courses")
                .configure(courses::course_routes)
                .configure(fhir::course_routes),
        )
        .service(scope("/api/v1/sessions").configure(courses::session_routes))
        .service(scope("/api/v1/checkins").configure(courses::checkin_routes))
        .service(scope("/api/v1/instruments").configure(instruments::routes))
        .service(scope("/api/v1/fhir").configure(fhir::sdc::routes))
        .service(
            scope("/api/v1/intakes")
                .configure(review::routes)
                .configure(fhir::routes)
                .configure(intake::routes),
        )
        .service(scope("/api/v1/consent").configure(intake::consent::routes));
}

/// The OpenAPI document exactly as served at `/api-docs/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(api)
        .split_for_parts();
    document(api)
}

/// The shared error responses and the instruments' worked examples, added to what the routes
/// declare.
fn document(api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let mut api = openapi::finalize(api);
    instruments::examples::document(&mut api);
    api
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
    let api = document(api);
    let routes = web::Data::new(RouteTable::from_openapi(&api));
    let settings = state.settings.clone();
    let metrics = state.metrics.clone();
    app.app_data(state)
        .app_data(routes)
        .app_data(web::Data::new(BodyLimit(settings.max_body_bytes)))
        .app_data(web::Data::new(TrustForwardedFor(settings.trust_forwarded_for)))
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
        .wrap(from_fn(middleware::middleware))
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

/// Exactly the configured origins (scheme, host and port), nothing derived from the request's
/// `Host`: a header a client chooses cannot vouch for an origin. (Without configured origins
/// there is no CORS layer at all; same-origin pages such as /docs/ need none.)
fn cors(settings: &Settings) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static(REQUEST_ID_HEADER),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static(REQUEST_ID_HEADER),
        ])
        .max_age(3600);
    for origin in &settings.cors_allowed_origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}
