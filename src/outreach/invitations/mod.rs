//! Invitations by link (INTEGRATIONS.md, "Invitations"): staff invite, the patient redeems the
//! link with their date of birth and gets a short session scoped to themselves.

pub mod api;
pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(handlers::create_invitation)
        .service(handlers::list_invitations)
        .service(handlers::redeem_invitation)
        .service(handlers::revoke_invitation);
}
