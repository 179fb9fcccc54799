//! Append-only audit trail of every read and write of patient data, failed logins included.
//!
//! Writes record their event inside the caller's transaction ([`event::record`]), so no change
//! is ever unaudited. Reads follow *audit before disclosure*: the handler hands its events to the
//! [`sink::AuditSink`], which commits the events of concurrent reads together (group commit)
//! and only then lets the responses go. Refused attempts go through the sink as well, after the
//! work, so that a refused change's rollback does not take its event with it. Nothing here
//! updates or deletes an event.

pub mod api;
pub mod event;
pub mod handlers;
pub mod repo;
pub mod service;
pub mod sink;

/// The audit trail (`/api/v1/audit`).
pub fn audit_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(handlers::list_audit_events);
}

/// The patient's own access log (`/api/v1/me`).
pub fn me_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(handlers::list_my_access_log);
}
