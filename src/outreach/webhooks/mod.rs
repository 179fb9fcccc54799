//! Webhooks (INTEGRATIONS.md, "Webhooks"): administrators register endpoints with event
//! filters; events are written to the outbox in the transaction of the change they report and
//! delivered signed (Standard Webhooks), with the outbox's retries and dead state.

pub mod api;
pub mod deliver;
pub mod guard;
pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(handlers::create_webhook)
        .service(handlers::list_webhooks)
        .service(handlers::get_webhook)
        .service(handlers::update_webhook)
        .service(handlers::delete_webhook)
        .service(handlers::rotate_webhook_secret)
        .service(handlers::list_webhook_deliveries)
        .service(handlers::test_webhook);
}
