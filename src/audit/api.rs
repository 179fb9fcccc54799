//! Bodies of the audit routes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::repo::{AccessRow, AuditRow, ListedRow};
use crate::clock;

crate::paged_query! {
    #[derive(Debug, Deserialize, Validate, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct AuditQuery {
        /// Only events about this resource (e.g. an intake or patient id).
        #[validate(length(max = 64))]
        pub resource_id: Option<String>,
        /// Only events by this user.
        #[validate(length(max = 64))]
        pub actor_id: Option<String>,
        /// Only this action, e.g. `intake.read`.
        #[validate(length(max = 64))]
        #[param(example = "patient.read")]
        pub action: Option<String>,
        /// Events at or after this instant (RFC 3339).
        pub from: Option<DateTime<Utc>>,
        /// Events before this instant (RFC 3339).
        pub to: Option<DateTime<Utc>>,
    }
}

/// One audited access.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f10", "occurred_at": "2026-11-27T14:00:00Z",
    "actor_id": "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f11", "actor_role": "clinician", "action": "patient.read",
    "resource_type": "patient", "resource_id": "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f12",
    "patient_id": "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f12", "request_id": "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f13",
    "client_addr": "203.0.113.7", "user_agent": "Mozilla/5.0", "outcome": "success", "listed": []}))]
pub struct AuditEventResponse {
    pub id: String,
    pub occurred_at: DateTime<Utc>,
    /// Null for anonymous events (e.g. a failed sign-in).
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    /// Whose data was touched.
    pub patient_id: Option<String>,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
    /// `success`, `denied` or `failure`.
    pub outcome: String,
    /// For a listing (`*.list`, one event per page of a list): every resource the page disclosed,
    /// with its patient. Empty for any other event.
    pub listed: Vec<ListedResource>,
}

impl AuditEventResponse {
    /// The event and, for a listing, the resources it disclosed.
    pub fn new(r: AuditRow, listed: Vec<ListedRow>) -> Self {
        Self {
            id: r.id,
            occurred_at: clock::utc(r.occurred_at),
            actor_id: r.actor_id,
            actor_role: r.actor_role,
            action: r.action,
            resource_type: r.resource_type,
            resource_id: r.resource_id,
            patient_id: r.patient_id,
            request_id: r.request_id,
            client_addr: r.client_addr,
            user_agent: r.user_agent,
            outcome: r.outcome,
            listed: listed.into_iter().map(ListedResource::from).collect(),
        }
    }
}

/// One resource a listing event disclosed, and whose data it is.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"resource_id": "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f10",
    "patient_id": "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f12"}))]
pub struct ListedResource {
    pub resource_id: String,
    pub patient_id: Option<String>,
}

impl From<ListedRow> for ListedResource {
    fn from(l: ListedRow) -> Self {
        Self {
            resource_id: l.resource_id,
            patient_id: l.patient_id,
        }
    }
}

crate::paged_query! {
    #[derive(Debug, Deserialize, Validate, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct AccessLogQuery {
    }
}

/// Someone at the clinic read or changed the patient's records.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"at": "2026-11-27T14:00:00Z", "by_role": "clinician", "by_name": "Dr. Marta Reyes",
    "action": "intake.read", "resource_type": "intake", "resource_id": "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f10"}))]
pub struct AccessLogEntry {
    pub at: DateTime<Utc>,
    /// Role of the staff member: `clinician` or `admin`.
    pub by_role: Option<String>,
    /// Display name of the staff member.
    pub by_name: Option<String>,
    /// What they did, e.g. `intake.read`, `patient.update`, `intake.review`.
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
}

impl From<AccessRow> for AccessLogEntry {
    fn from(r: AccessRow) -> Self {
        Self {
            at: clock::utc(r.occurred_at),
            by_role: r.actor_role,
            by_name: r.display_name,
            action: r.action,
            resource_type: r.resource_type,
            resource_id: r.resource_id,
        }
    }
}
