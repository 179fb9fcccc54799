//! Append-only audit trail of every read and write of patient data, failed logins included.
//!
//! Writes record their event inside the caller's transaction ([`event::record`]), so no change
//! is ever unaudited. Reads follow *audit before disclosure*: the handler hands its events to the
//! [`sink::AuditSink`], which commits the events of concurrent reads together (group commit)
//! and only then lets the responses go. Every append joins one hash chain ([`chain`]), which
//! `GET /api/v1/audit/verify` and `intake-api audit verify` walk. Refused attempts go through
//! the sink as well, after the work, so that a refused change's rollback does not take its event
//! with it. Nothing here updates or deletes an event (once chained).

pub mod api;
pub mod chain;
pub mod event;
pub mod fhir;
pub mod handlers;
pub mod one_statement;
pub mod repo;
pub mod rows;
pub mod service;
pub mod sink;

/// The audit trail (`/api/v1/audit`).
pub fn audit_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(handlers::list_audit_events)
        .service(handlers::verify_audit_chain)
        .service(handlers::list_audit_fhir);
}

/// The patient's own access log (`/api/v1/me`).
pub fn me_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(handlers::list_my_access_log);
}
