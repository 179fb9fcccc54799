//! The HTTP face of the screening instruments: the public catalogue as this clinic offers it,
//! each questionnaire in English or Spanish, and score previews. The instruments themselves
//! (definitions and scoring) are `screening`'s.

pub mod api;
pub mod examples;
pub mod handlers;
pub mod service;

/// The catalogue and score previews (`/api/v1/instruments`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(handlers::list_instruments)
        .service(handlers::get_instrument)
        .service(handlers::score_instrument);
}
