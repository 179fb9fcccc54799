//! Patient profiles: demographics, ownership, name search.

pub mod api;
pub mod handlers;
pub mod repo;
pub mod service;

/// Profiles (`/api/v1/patients`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(handlers::create_patient)
        .service(handlers::list_patients)
        .service(handlers::get_patient)
        .service(handlers::update_patient);
}
