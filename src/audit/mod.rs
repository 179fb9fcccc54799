//! Append-only audit trail of every read and write of patient data, failed logins included.
//!
//! Writes record their event inside the caller's transaction ([`record`]), so no change is ever
//! unaudited. Reads follow *audit before disclosure*: the handler hands its events to the
//! [`sink::AuditSink`], which commits the events of concurrent reads together (group commit)
//! and only then lets the responses go. Nothing here updates or deletes an event.

pub mod api;
pub mod handlers;
pub mod repo;
pub mod service;
pub mod sink;

use diesel::QueryResult;
use uuid::Uuid;

use crate::auth::Actor;
use crate::db::DbConn;
use crate::request_context::RequestMeta;

/// How the attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Refused by authorization (e.g. a patient asking for another patient's record).
    Denied,
    /// Failed (e.g. a wrong password).
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failure => "failure",
        }
    }
}

/// One thing that happened to one resource.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// `<resource>.<verb>`, e.g. `patient.read`, `intake.submit`, `auth.login_failed`.
    pub action: &'static str,
    pub resource_type: &'static str,
    pub resource_id: Option<String>,
    /// Whose data this touched, for the patient's own access log.
    pub patient_id: Option<Uuid>,
    pub outcome: Outcome,
}

impl AuditEvent {
    pub fn new(action: &'static str, resource_type: &'static str, resource_id: impl ToString) -> Self {
        Self {
            action,
            resource_type,
            resource_id: Some(resource_id.to_string()),
            patient_id: None,
            outcome: Outcome::Success,
        }
    }

    pub fn patient(mut self, patient_id: Uuid) -> Self {
        self.patient_id = Some(patient_id);
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }
}

/// The acting user (if signed in) and where the request came from.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub actor: Option<&'a Actor>,
    pub meta: &'a RequestMeta,
}

/// Writes events inside the caller's transaction.
pub fn record(conn: &mut DbConn, origin: Origin<'_>, events: &[AuditEvent]) -> QueryResult<()> {
    let rows: Vec<repo::NewAuditRow> = events.iter().map(|e| repo::NewAuditRow::new(origin, e)).collect();
    repo::insert(conn, &rows)
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(utoipa_actix_web::scope("/api/v1/audit").service(handlers::list_audit_events))
        .service(utoipa_actix_web::scope("/api/v1/me").service(handlers::list_my_access_log));
}
