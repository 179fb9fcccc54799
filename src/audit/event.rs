//! What an audit event says: who (the actor and where the request came from), did what, to
//! whose data, with what outcome. A change writes its events inside its own transaction with
//! [`record`]; reads and refused attempts hand theirs to the sink.

use diesel::QueryResult;
use uuid::Uuid;

use super::repo::{self, AuditBatch, AuditRow, ListedRow};
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

/// One thing that happened to one resource, or to each resource of one page of a list.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// `<resource>.<verb>`, e.g. `patient.read`, `intake.submit`, `auth.login_failed`.
    pub action: &'static str,
    pub resource_type: &'static str,
    pub resource_id: Option<String>,
    /// Whose data this touched, for the patient's own access log.
    pub patient_id: Option<PatientId>,
    pub outcome: Outcome,
    /// What a listing disclosed (see [`AuditEvent::listing`]); empty for any other event.
    pub listed: Vec<Listed>,
}

/// One resource a listing disclosed, and whose data it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub resource_id: String,
    pub patient_id: Option<PatientId>,
}

impl AuditEvent {
    pub fn new(action: &'static str, resource_type: &'static str, resource_id: impl ToString) -> Self {
        Self {
            action,
            resource_type,
            resource_id: Some(resource_id.to_string()),
            patient_id: None,
            outcome: Outcome::Success,
            listed: Vec::new(),
        }
    }

    /// One event for one page of a list, naming every listed resource and its patient; none
    /// when the page is empty. The resources are stored as narrow rows beside the event, so a
    /// page costs one event however long it is, and `GET /audit?resource_id=` and each
    /// patient's access log still find every listed resource.
    pub fn listing<I, R>(action: &'static str, resource_type: &'static str, items: I) -> Vec<AuditEvent>
    where
        I: IntoIterator<Item = (R, Option<PatientId>)>,
        R: ToString,
    {
        let mut listed: Vec<Listed> = Vec::new();
        for (resource, patient_id) in items {
            let resource_id = resource.to_string();
            // A resource is stored once per event (it is the key of its row).
            if !listed.iter().any(|l| l.resource_id == resource_id) {
                listed.push(Listed {
                    resource_id,
                    patient_id,
                });
            }
        }
        if listed.is_empty() {
            return Vec::new();
        }
        vec![Self {
            resource_id: None,
            listed,
            ..Self::new(action, resource_type, "")
        }]
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
            seq: None,
            prev_hash: None,
            hash: None,
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

/// The rows that store `events` by `origin`: each event, and the resources each listing names.
pub fn batch(origin: Origin<'_>, events: &[AuditEvent]) -> AuditBatch {
    let mut batch = AuditBatch::default();
    for event in events {
        let row = event.row(origin);
        batch.listed.extend(event.listed.iter().map(|l| ListedRow {
            event_id: row.id.clone(),
            resource_id: l.resource_id.clone(),
            patient_id: l.patient_id.map(|p| p.to_string()),
        }));
        batch.events.push(row);
    }
    batch
}

/// Writes events inside the caller's transaction.
pub fn record(conn: &mut DbConn, origin: Origin<'_>, events: &[AuditEvent]) -> QueryResult<()> {
    repo::insert(conn, &batch(origin, events))
}
