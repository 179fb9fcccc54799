//! Clinician review: the worklist with filters and cursor paging, the review state machine with
//! assignment and notes, and clinician exam entries.

pub mod api;
pub mod domain;
pub mod exam;
pub mod handlers;
pub mod repo;
pub mod steps;
pub mod worklist;

/// The worklist and review routes (under `/api/v1/intakes`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(handlers::list_intakes)
        .service(handlers::create_review)
        .service(handlers::list_reviews)
        .service(handlers::record_exam);
}
