//! Screening instruments and ketamine safety triage: the catalogue (English and Spanish),
//! server-side versioned scoring, safety flags, MME and the eligibility summary.
//!
//! Everything here except `handlers` is pure: no database, no HTTP. The intake submit and the
//! score-preview route call it; rules and cut-offs follow CLINICAL.md.

pub mod answers;
pub mod api;
pub mod catalogue;
pub mod drugs;
pub mod examples;
pub mod handlers;
pub mod mme;
pub mod model;
pub mod safety;
pub mod scoring;
pub mod service;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/api/v1/instruments")
            .service(handlers::list_instruments)
            .service(handlers::get_instrument)
            .service(handlers::score_instrument),
    );
}
