//! What an audit event says: who (the actor and where the request came from), did what, to
//! whose data, with what outcome. A change writes its events inside its own transaction with
//! [`record`]; reads and refused attempts hand theirs to the sink.

use diesel::QueryResult;
use uuid::Uuid;

use super::repo::{self, AuditRow};
use crate::auth::domain::Actor;
use crate::clock;
use crate::db::DbConn;
use crate::ids::PatientId;

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
    pub patient_id: Option<PatientId>,
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

    pub fn patient(mut self, patient_id: PatientId) -> Self {
        self.patient_id = Some(patient_id);
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    /// The row to store: this event now, by `origin`, with a time-ordered id.
    pub fn row(&self, origin: Origin<'_>) -> AuditRow {
        AuditRow {
            id: Uuid::now_v7().to_string(),
            occurred_at: clock::now(),
            actor_id: origin.actor.map(|a| a.user_id.to_string()),
            actor_role: origin.actor.map(|a| a.role.as_str().to_owned()),
            action: self.action.to_owned(),
            resource_type: self.resource_type.to_owned(),
            resource_id: self.resource_id.clone(),
            patient_id: self.patient_id.map(|p| p.to_string()),
            request_id: origin.meta.request_id.clone(),
            client_addr: origin.meta.client_addr.clone(),
            user_agent: origin.meta.user_agent.clone(),
            outcome: self.outcome.as_str().to_owned(),
        }
    }
}

/// Who is calling from where: recorded on every audit event. No patient data.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
}

/// The acting user (if signed in) and where the request came from.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub actor: Option<&'a Actor>,
    pub meta: &'a RequestMeta,
}

/// Writes events inside the caller's transaction.
pub fn record(conn: &mut DbConn, origin: Origin<'_>, events: &[AuditEvent]) -> QueryResult<()> {
    let rows: Vec<AuditRow> = events.iter().map(|e| e.row(origin)).collect();
    repo::insert(conn, &rows)
}
