//! Audit rows: append to the chain and query. There is deliberately no update or delete (the
//! one update gives events written before the chain existed their place in it, once).

use chrono::NaiveDateTime;
use diesel::connection::{Connection, TransactionManager};
use diesel::prelude::*;

use super::chain::{self, Head};
use crate::db::{self, DbConn};
use crate::schema::{audit_chain, audit_event_resources, audit_events, users};

pub use super::rows::{AuditRow, ListedRow};

/// Events to store together, with the resources their listings name.
#[derive(Debug, Default)]
pub struct AuditBatch {
    pub events: Vec<AuditRow>,
    pub listed: Vec<ListedRow>,
}

impl AuditBatch {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Rows to write (a measure of the batch's size).
    pub fn len(&self) -> usize {
        self.events.len() + self.listed.len()
    }

    pub fn append(&mut self, mut other: AuditBatch) {
        self.events.append(&mut other.events);
        self.listed.append(&mut other.listed);
    }
}

// Rows per INSERT: SQLite caps bound parameters per statement at 32,766.
const EVENTS_PER_INSERT: usize = 500;
const LISTED_PER_INSERT: usize = 2000;

/// Appends a batch to the chain, many rows per statement: in the caller's transaction, or in
/// one of its own. The chain's head stays locked until that transaction ends, so events join
/// the chain in commit order.
pub fn insert(conn: &mut DbConn, batch: &AuditBatch) -> QueryResult<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let in_transaction = <DbConn as Connection>::TransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()?
        .is_some();
    if in_transaction {
        append(conn, batch)?;
    } else {
        db::write_tx(conn, |c| append(c, batch))?;
    }
    Ok(())
}

/// The locked append, in the caller's transaction; returns the new head.
pub(super) fn append(conn: &mut DbConn, batch: &AuditBatch) -> QueryResult<Head> {
    let mut head = head_for_update(conn)?;
    let mut events = batch.events.clone();
    chain::seal(&mut head, &mut events, &batch.listed);
    for chunk in events.chunks(EVENTS_PER_INSERT) {
        crate::on_backend!(conn, c => diesel::insert_into(audit_events::table).values(chunk).execute(c))?;
    }
    for chunk in batch.listed.chunks(LISTED_PER_INSERT) {
        crate::on_backend!(conn, c => diesel::insert_into(audit_event_resources::table).values(chunk).execute(c))?;
    }
    set_head(conn, &head)?;
    Ok(head)
}

/// The chain's head, locked until the transaction ends (SQLite's single writer already is).
fn head_for_update(conn: &mut DbConn) -> QueryResult<Head> {
    let q = audit_chain::table.find(1).select((audit_chain::seq, audit_chain::hash));
    let (seq, hash) = match conn {
        DbConn::Pg(c) => q.for_update().first::<(i64, String)>(c)?,
        DbConn::Sqlite(c) => q.first::<(i64, String)>(c)?,
    };
    Ok(Head { seq, hash })
}

fn set_head(conn: &mut DbConn, head: &Head) -> QueryResult<()> {
    diesel::update(audit_chain::table.find(1))
        .set((audit_chain::seq.eq(head.seq), audit_chain::hash.eq(&head.hash)))
        .execute(conn)?;
    Ok(())
}

/// The chain's head as recorded.
pub fn head(conn: &mut DbConn) -> QueryResult<Head> {
    let (seq, hash) = audit_chain::table
        .find(1)
        .select((audit_chain::seq, audit_chain::hash))
        .first::<(i64, String)>(conn)?;
    Ok(Head { seq, hash })
}

/// Events after place `after` in the chain, up to place `upto`, in chain order.
pub fn chain_page(conn: &mut DbConn, after: i64, upto: i64, limit: i64) -> QueryResult<Vec<AuditRow>> {
    audit_events::table
        .filter(audit_events::seq.gt(after))
        .filter(audit_events::seq.le(upto))
        .order(audit_events::seq.asc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)
}

/// The oldest event outside the chain: with no place in it, or with a place after its head
/// (one statement, so an append committing meanwhile cannot look like one).
pub fn first_outside(conn: &mut DbConn) -> QueryResult<Option<String>> {
    let head_seq = audit_chain::table
        .filter(audit_chain::id.eq(1))
        .select(audit_chain::seq)
        .single_value();
    audit_events::table
        .filter(
            audit_events::seq
                .is_null()
                .or(audit_events::seq.nullable().gt(head_seq)),
        )
        .order(audit_events::id.asc())
        .select(audit_events::id)
        .first(conn)
        .optional()
}

/// Gives up to `limit` events written before the chain existed (up to the migration's
/// `legacy_until`) their place in it, oldest first, in one transaction; returns how many. Run
/// at start until it returns 0; the last run closes the backlog for good.
pub fn chain_unchained(conn: &mut DbConn, limit: i64) -> QueryResult<usize> {
    db::write_tx(conn, |c| {
        let mut head = head_for_update(c)?;
        let until: Option<String> = audit_chain::table.find(1).select(audit_chain::legacy_until).first(c)?;
        let Some(until) = until else { return Ok(0) };
        let mut rows: Vec<AuditRow> = audit_events::table
            .filter(audit_events::seq.is_null())
            .filter(audit_events::id.le(&until))
            .order(audit_events::id.asc())
            .limit(limit)
            .select(AuditRow::as_select())
            .load(c)?;
        if rows.is_empty() {
            diesel::update(audit_chain::table.find(1))
                .set(audit_chain::legacy_until.eq(None::<String>))
                .execute(c)?;
            return Ok(0);
        }
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let listed = listed_of(c, &ids)?;
        chain::seal(&mut head, &mut rows, &listed);
        for r in &rows {
            diesel::update(audit_events::table.find(&r.id))
                .set((
                    audit_events::seq.eq(r.seq),
                    audit_events::prev_hash.eq(&r.prev_hash),
                    audit_events::hash.eq(&r.hash),
                ))
                .execute(c)?;
        }
        set_head(c, &head)?;
        Ok(rows.len())
    })
}

/// The resources the listing events among `event_ids` disclosed.
pub fn listed_of(conn: &mut DbConn, event_ids: &[String]) -> QueryResult<Vec<ListedRow>> {
    if event_ids.is_empty() {
        return Ok(Vec::new());
    }
    audit_event_resources::table
        .filter(audit_event_resources::event_id.eq_any(event_ids))
        .select(ListedRow::as_select())
        .order((
            audit_event_resources::event_id.desc(),
            audit_event_resources::resource_id.asc(),
        ))
        .load(conn)
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

/// The filters other than the resource, on a boxed query that reads `audit_events`.
macro_rules! filter_events {
    ($q:expr, $f:expr, $after:expr) => {{
        let mut q = $q;
        if let Some(v) = &$f.actor_id {
            q = q.filter(audit_events::actor_id.eq(v.clone()));
        }
        if let Some(v) = &$f.action {
            q = q.filter(audit_events::action.eq(v.clone()));
        }
        // Ids are UUIDv7: the smallest id of an instant bounds a time range on the primary key.
        if let Some(v) = $f.from {
            q = q.filter(audit_events::id.ge(id_floor(v)));
        }
        if let Some(v) = $f.to {
            q = q.filter(audit_events::id.lt(id_floor(v)));
        }
        if let Some(id) = $after {
            q = q.filter(audit_events::id.lt(id));
        }
        q
    }};
}

/// Newest first; `after` is the id of the last row of the previous page. A resource is found
/// both as an event's own resource and among the resources a listing event names.
pub fn list(conn: &mut DbConn, f: &AuditFilter, after: Option<String>, limit: i64) -> QueryResult<Vec<AuditRow>> {
    let mut q = audit_events::table.select(AuditRow::as_select()).into_boxed();
    if let Some(v) = &f.resource_id {
        q = q.filter(audit_events::resource_id.eq(v.clone()));
    }
    let q = filter_events!(q, f, after.clone());
    let mut rows: Vec<AuditRow> = q.order(audit_events::id.desc()).limit(limit + 1).load(conn)?;
    if let Some(resource) = &f.resource_id {
        let q = audit_event_resources::table
            .inner_join(audit_events::table.on(audit_events::id.eq(audit_event_resources::event_id)))
            .filter(audit_event_resources::resource_id.eq(resource.clone()))
            .select(AuditRow::as_select())
            .into_boxed();
        let q = filter_events!(q, f, after);
        let listings: Vec<AuditRow> = q
            .order(audit_event_resources::event_id.desc())
            .limit(limit + 1)
            .load(conn)?;
        rows = newest_first(rows, listings, limit + 1, |r| (r.id.clone(), String::new()));
    }
    Ok(rows)
}

/// Merges two lists sorted newest first by `key` into the first `n` of both.
fn newest_first<T, K: Ord>(a: Vec<T>, b: Vec<T>, n: i64, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut all: Vec<T> = a.into_iter().chain(b).collect();
    all.sort_by_key(|x| std::cmp::Reverse(key(x)));
    all.truncate(usize::try_from(n).unwrap_or(0));
    all
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

/// Successful accesses by anyone other than the patient themself, newest first: events about
/// one of the patient's resources, and each of the patient's resources a listing disclosed.
/// `after` is the (event id, resource id) of the last entry of the previous page.
pub fn access_log(
    conn: &mut DbConn,
    patient_id: &str,
    own_user_id: &str,
    after: Option<(String, String)>,
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
    // An event of this part is never a listing, so nothing of it is left after its id.
    if let Some((id, _)) = &after {
        q = q.filter(audit_events::id.lt(id.clone()));
    }
    let events: Vec<AccessRow> = q.order(audit_events::id.desc()).limit(limit + 1).load(conn)?;
    let mut q = audit_event_resources::table
        .inner_join(audit_events::table.on(audit_events::id.eq(audit_event_resources::event_id)))
        .left_join(users::table.on(users::id.nullable().eq(audit_events::actor_id)))
        .filter(audit_event_resources::patient_id.eq(patient_id))
        .filter(audit_events::outcome.eq("success"))
        .filter(audit_events::actor_id.ne(own_user_id))
        .select((
            audit_events::id,
            audit_events::occurred_at,
            audit_events::actor_role,
            users::display_name.nullable(),
            audit_events::action,
            audit_events::resource_type,
            audit_event_resources::resource_id.nullable(),
        ))
        .into_boxed();
    if let Some((id, resource)) = after {
        q = q.filter(
            audit_event_resources::event_id
                .lt(id.clone())
                .or(audit_event_resources::event_id
                    .eq(id)
                    .and(audit_event_resources::resource_id.lt(resource))),
        );
    }
    let listed: Vec<AccessRow> = q
        .order((
            audit_event_resources::event_id.desc(),
            audit_event_resources::resource_id.desc(),
        ))
        .limit(limit + 1)
        .load(conn)?;
    Ok(newest_first(events, listed, limit + 1, AccessRow::position))
}

impl AccessRow {
    /// Where the entry sits in the log (and in its cursor): event id, then resource id.
    pub fn position(&self) -> (String, String) {
        (self.id.clone(), self.resource_id.clone().unwrap_or_default())
    }
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

/// A read event with nothing but its id set, for the audit module's unit tests.
#[cfg(test)]
pub(crate) fn sample_row(id: &str) -> AuditRow {
    AuditRow {
        id: id.into(),
        occurred_at: chrono::DateTime::UNIX_EPOCH.naive_utc(),
        actor_id: None,
        actor_role: None,
        action: "intake.read".into(),
        resource_type: "intake".into(),
        resource_id: None,
        patient_id: None,
        request_id: None,
        client_addr: None,
        user_agent: None,
        outcome: "success".into(),
        seq: None,
        prev_hash: None,
        hash: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_append_their_events_and_resources() {
        let listed = |n: usize| {
            (0..n)
                .map(|i| ListedRow {
                    event_id: "e".into(),
                    resource_id: i.to_string(),
                    patient_id: None,
                })
                .collect::<Vec<_>>()
        };
        let batch = |events: usize, rows: usize| AuditBatch {
            events: vec![sample_row("e"); events],
            listed: listed(rows),
        };
        let mut a = batch(2, 3);
        a.append(batch(1, 1));
        assert_eq!((a.events.len(), a.listed.len(), a.len()), (3, 4, 7));
    }

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
