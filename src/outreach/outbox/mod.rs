//! The transactional outbox (INTEGRATIONS.md, "The outbox"): every message (email, SMS,
//! webhook) is written in the transaction of the change that causes it, then delivered by a
//! worker with retries ([`backoff`]); several instances on one PostgreSQL never take the same
//! message ([`repo::lease`]). Delivery is at least once: the message id lets receivers
//! deduplicate.

pub mod admin;
pub mod backoff;
pub mod handlers;
pub mod model;
pub mod repo;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(handlers::list_outbox)
        .service(handlers::retry_outbox_message);
}
