//! The webhook endpoints and their delivery log.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::ids::UserId;
use crate::schema::{webhook_deliveries, webhook_endpoints};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = webhook_endpoints, treat_none_as_null = true)]
pub struct EndpointRow {
    pub id: String,
    pub url: String,
    /// Comma-separated event names ([`super::model::join`]).
    pub events: String,
    pub description: Option<String>,
    /// Sealed `whsec_…` secret.
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_until: Option<NaiveDateTime>,
    pub disabled: bool,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: String,
    pub endpoint_id: String,
    pub message_id: String,
    pub event_type: String,
    pub status_code: Option<i32>,
    pub duration_ms: i32,
    pub error: Option<String>,
    pub attempted_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &EndpointRow) -> QueryResult<()> {
    diesel::insert_into(webhook_endpoints::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn update(conn: &mut DbConn, row: &EndpointRow) -> QueryResult<()> {
    diesel::update(webhook_endpoints::table.find(&row.id))
        .set(row)
        .execute(conn)
        .map(|_| ())
}

pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::delete(webhook_endpoints::table.find(id))
        .execute(conn)
        .map(|n| n == 1)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<EndpointRow>> {
    webhook_endpoints::table
        .find(id)
        .select(EndpointRow::as_select())
        .first(conn)
        .optional()
}

/// Every endpoint, oldest first (a clinic has a handful).
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<EndpointRow>> {
    webhook_endpoints::table
        .select(EndpointRow::as_select())
        .order((webhook_endpoints::created_at.asc(), webhook_endpoints::id.asc()))
        .load(conn)
}

/// The ids and subscriptions of every endpoint (what an event's emission reads).
pub fn subscriptions(conn: &mut DbConn) -> QueryResult<Vec<(String, String)>> {
    webhook_endpoints::table
        .select((webhook_endpoints::id, webhook_endpoints::events))
        .load(conn)
}

pub fn record_delivery(conn: &mut DbConn, row: &DeliveryRow) -> QueryResult<()> {
    diesel::insert_into(webhook_deliveries::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// A page of an endpoint's delivery attempts, newest first.
pub fn deliveries(
    conn: &mut DbConn,
    endpoint: &str,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    let mut q = webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(endpoint))
        .select(DeliveryRow::as_select())
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(
            webhook_deliveries::attempted_at
                .lt(at)
                .or(webhook_deliveries::attempted_at
                    .eq(at)
                    .and(webhook_deliveries::id.lt(id))),
        );
    }
    q.order((webhook_deliveries::attempted_at.desc(), webhook_deliveries::id.desc()))
        .limit(limit)
        .load(conn)
}
