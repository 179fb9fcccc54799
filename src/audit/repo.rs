//! Audit rows: insert and query. There is deliberately no update or delete.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::schema::{audit_events, users};

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
}

/// Inserts rows, many per statement (in chunks: SQLite caps bound parameters per statement).
pub fn insert(conn: &mut DbConn, rows: &[AuditRow]) -> QueryResult<()> {
    for chunk in rows.chunks(500) {
        crate::on_backend!(conn, c => diesel::insert_into(audit_events::table).values(chunk).execute(c))?;
    }
    Ok(())
}

/// Filters for the admin audit view.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub resource_id: Option<String>,
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

/// Newest first; `after` is the id of the last row of the previous page.
pub fn list(conn: &mut DbConn, f: &AuditFilter, after: Option<String>, limit: i64) -> QueryResult<Vec<AuditRow>> {
    let mut q = audit_events::table.select(AuditRow::as_select()).into_boxed();
    if let Some(v) = &f.resource_id {
        q = q.filter(audit_events::resource_id.eq(v));
    }
    if let Some(v) = &f.actor_id {
        q = q.filter(audit_events::actor_id.eq(v));
    }
    if let Some(v) = &f.action {
        q = q.filter(audit_events::action.eq(v));
    }
    // Ids are UUIDv7: the smallest id of an instant bounds a time range on the primary key.
    if let Some(v) = f.from {
        q = q.filter(audit_events::id.ge(id_floor(v)));
    }
    if let Some(v) = f.to {
        q = q.filter(audit_events::id.lt(id_floor(v)));
    }
    if let Some(id) = after {
        q = q.filter(audit_events::id.lt(id));
    }
    q.order(audit_events::id.desc()).limit(limit + 1).load(conn)
}

/// A staff member's access to one patient's records, for that patient's access log.
#[derive(Debug, Clone, Queryable)]
pub struct AccessRow {
    pub id: String,
    pub occurred_at: NaiveDateTime,
    pub actor_role: Option<String>,
    pub display_name: Option<String>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
}

/// Successful accesses by anyone other than the patient themself, newest first.
pub fn access_log(
    conn: &mut DbConn,
    patient_id: &str,
    own_user_id: &str,
    after: Option<String>,
    limit: i64,
) -> QueryResult<Vec<AccessRow>> {
    let mut q = audit_events::table
        .left_join(users::table.on(users::id.nullable().eq(audit_events::actor_id)))
        .filter(audit_events::patient_id.eq(patient_id))
        .filter(audit_events::outcome.eq("success"))
        .filter(audit_events::actor_id.ne(own_user_id))
        .select((
            audit_events::id,
            audit_events::occurred_at,
            audit_events::actor_role,
            users::display_name.nullable(),
            audit_events::action,
            audit_events::resource_type,
            audit_events::resource_id,
        ))
        .into_boxed();
    if let Some(id) = after {
        q = q.filter(audit_events::id.lt(id));
    }
    q.order(audit_events::id.desc()).limit(limit + 1).load(conn)
}

/// The smallest UUIDv7 (as stored text) of the millisecond `t`.
pub fn id_floor(t: NaiveDateTime) -> String {
    let ms = t.and_utc().timestamp_millis().max(0) as u64;
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, ms / 1000, ((ms % 1000) * 1_000_000) as u32);
    let v7 = uuid::Uuid::new_v7(ts);
    // Keep the 48-bit time and the version; zero everything after.
    let mut bytes = *v7.as_bytes();
    bytes[6] &= 0xf0;
    bytes[7..].iter_mut().for_each(|b| *b = 0);
    uuid::Uuid::from_bytes(bytes).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_floor_orders_like_time() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-27T14:00:00.123Z")
            .unwrap()
            .naive_utc();
        let floor = id_floor(t);
        let later = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
            uuid::NoContext,
            t.and_utc().timestamp() as u64,
            123_000_001,
        ))
        .to_string();
        let earlier = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
            uuid::NoContext,
            t.and_utc().timestamp() as u64,
            122_999_999,
        ))
        .to_string();
        assert!(floor <= later, "{floor} {later}");
        assert!(earlier < floor, "{earlier} {floor}");
    }
}
