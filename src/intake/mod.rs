//! Intake capture: typed sections, server-owned drafts with optimistic concurrency, the
//! completeness-checked submit that scores on the server, idempotency, and consent evidence.

pub mod api;
pub mod completeness;
pub mod consent;
pub mod exam;
pub mod handlers;
pub mod repo;
pub mod sections;
pub mod service;
pub mod triage;

/// The intake document's routes (under `/api/v1/intakes`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(handlers::create_intake)
        .service(handlers::get_intake)
        .service(handlers::update_intake)
        .service(handlers::delete_intake)
        .service(handlers::submit_intake)
        .service(handlers::list_intake_submissions);
}
