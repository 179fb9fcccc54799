//! The stored shape of audit events and of the resources a listing disclosed.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::{audit_event_resources, audit_events};

/// One stored event, as written and as read back.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
pub struct AuditRow {
    pub id: String,
    pub occurred_at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub patient_id: Option<String>,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
    pub outcome: String,
    /// Place in the hash chain, the previous event's hash and this one's: set on append.
    pub seq: Option<i64>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

/// One resource a listing event disclosed.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_event_resources, treat_none_as_default_value = false)]
pub struct ListedRow {
    pub event_id: String,
    pub resource_id: String,
    pub patient_id: Option<String>,
}
