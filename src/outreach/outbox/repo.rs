//! The outbox table: messages written inside the caller's transaction, taken by delivery
//! workers under a lease, and their results recorded. Nothing here deletes a message.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{Channel, OutboxStatus};
use crate::db::{self, DbConn};
use crate::schema::outbox;

/// The longest `last_error` kept (a transport's answer can be long).
const MAX_ERROR_CHARS: usize = 500;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = outbox, treat_none_as_default_value = false)]
pub struct OutboxRow {
    /// UUIDv7; also the message id receivers deduplicate by.
    pub id: String,
    pub channel: Channel,
    pub recipient: String,
    /// JSON: what the channel needs to send it, never health information.
    pub payload: String,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub leased_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub dedupe_key: Option<String>,
    /// What only sending needs (a link's sealed token); cleared once sent.
    pub secret: Option<String>,
}

impl OutboxRow {
    /// A message to send as soon as a worker is free.
    pub fn new(channel: Channel, recipient: String, payload: String, now: NaiveDateTime) -> Self {
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            channel,
            recipient,
            payload,
            status: OutboxStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            leased_until: None,
            last_error: None,
            created_at: now,
            sent_at: None,
            dedupe_key: None,
            secret: None,
        }
    }
}

/// Where an email or SMS message's sealed recipient lives.
pub fn recipient_place(message_id: &str) -> crate::vault::Place<'_> {
    crate::vault::Place {
        table: "outbox",
        row: message_id,
        column: "recipient",
    }
}

/// Writes `row` in the caller's transaction, so the message exists exactly when the change that
/// caused it does. `false` (and nothing written) when a message with its dedupe key exists.
pub fn enqueue(conn: &mut DbConn, row: &OutboxRow) -> QueryResult<bool> {
    let n = crate::on_backend!(conn, c => diesel::insert_into(outbox::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(n == 1)
}

/// Takes up to `limit` messages due at `now` that no worker holds, and holds them until `until`.
/// On PostgreSQL the candidate rows are locked with `SKIP LOCKED`, so the workers of several
/// instances never take the same message; SQLite has a single writer. A worker that dies
/// holding messages loses them only until `until`: then another takes them (at least once).
pub fn lease(conn: &mut DbConn, now: NaiveDateTime, until: NaiveDateTime, limit: i64) -> QueryResult<Vec<OutboxRow>> {
    db::write_tx(conn, |conn| {
        let due = outbox::table
            .filter(outbox::status.eq_any([OutboxStatus::Pending, OutboxStatus::Failed]))
            .filter(outbox::next_attempt_at.le(now))
            .filter(outbox::leased_until.is_null().or(outbox::leased_until.lt(now)))
            .order((outbox::next_attempt_at.asc(), outbox::id.asc()))
            .limit(limit);
        let mut rows: Vec<OutboxRow> = match conn {
            DbConn::Pg(c) => due.select(OutboxRow::as_select()).for_update().skip_locked().load(c)?,
            DbConn::Sqlite(c) => due.select(OutboxRow::as_select()).load(c)?,
        };
        if rows.is_empty() {
            return Ok(rows);
        }
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
            .set(outbox::leased_until.eq(until))
            .execute(conn)?;
        for row in &mut rows {
            row.leased_until = Some(until);
        }
        Ok(rows)
    })
}

/// Records deliveries, in one statement: sent at `at`, their secrets cleared.
pub fn mark_sent(conn: &mut DbConn, ids: &[String], at: NaiveDateTime) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
        .set((
            outbox::status.eq(OutboxStatus::Sent),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::sent_at.eq(Some(at)),
            outbox::leased_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(None::<String>),
            outbox::secret.eq(None::<String>),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Hands leased messages back untried (a worker stopping): due again at once.
pub fn release(conn: &mut DbConn, ids: &[String]) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
        .set(outbox::leased_until.eq(None::<NaiveDateTime>))
        .execute(conn)
        .map(|_| ())
}

/// An administrator's retry: a failed or dead message is due again at `now`, with its full
/// number of attempts (a dead one starts over). `false` when it is neither.
pub fn retry(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        outbox::table
            .find(id)
            .filter(outbox::status.eq_any([OutboxStatus::Failed, OutboxStatus::Dead])),
    )
    .set((
        outbox::status.eq(OutboxStatus::Pending),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(now),
        outbox::leased_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// A page of messages, newest first, after the `(created_at, id)` of the previous page.
pub fn list(
    conn: &mut DbConn,
    status: Option<OutboxStatus>,
    channel: Option<Channel>,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    let mut q = outbox::table.select(OutboxRow::as_select()).into_boxed();
    if let Some(s) = status {
        q = q.filter(outbox::status.eq(s));
    }
    if let Some(c) = channel {
        q = q.filter(outbox::channel.eq(c));
    }
    if let Some((at, id)) = after {
        q = q.filter(
            outbox::created_at
                .lt(at)
                .or(outbox::created_at.eq(at).and(outbox::id.lt(id))),
        );
    }
    q.order((outbox::created_at.desc(), outbox::id.desc()))
        .limit(limit)
        .load(conn)
}

/// Records a failed attempt: tried again at `retry_at`, or `dead` when there is none.
pub fn mark_failed(conn: &mut DbConn, id: &str, error: &str, retry_at: Option<NaiveDateTime>) -> QueryResult<()> {
    let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
    let status = if retry_at.is_some() {
        OutboxStatus::Failed
    } else {
        OutboxStatus::Dead
    };
    let target = outbox::table.find(id);
    let changes = (
        outbox::status.eq(status),
        outbox::attempts.eq(outbox::attempts + 1),
        outbox::leased_until.eq(None::<NaiveDateTime>),
        outbox::last_error.eq(Some(error)),
    );
    match retry_at {
        Some(at) => diesel::update(target)
            .set((changes, outbox::next_attempt_at.eq(at)))
            .execute(conn),
        None => diesel::update(target).set(changes).execute(conn),
    }
    .map(|_| ())
}

/// Which of `keys` name a message already (a reminder sent before).
pub fn existing_keys(conn: &mut DbConn, keys: &[String]) -> QueryResult<Vec<String>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    outbox::table
        .filter(outbox::dedupe_key.eq_any(keys))
        .select(outbox::dedupe_key.assume_not_null())
        .load(conn)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<OutboxRow>> {
    outbox::table
        .find(id)
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()
}
