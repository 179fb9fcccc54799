//! The group-commit writer's append on PostgreSQL in one statement.
//!
//! The locked append ([`super::repo::insert`]) costs five round trips on PostgreSQL (`BEGIN`,
//! the head `FOR UPDATE`, the inserts, the head's update, `COMMIT`), and the writer runs them
//! one batch after another: on the read benchmark that serial chain of round trips, not the
//! database's work (0.3 ms of execution a batch), bounded audited reads. The writer remembers
//! the head it left, so it can seal a batch before asking: one statement then moves the head
//! only if it still is that one and writes the rows only if it moved. The statement is its own
//! transaction, its `UPDATE` holds the head's row lock until its commit, so events still join
//! the chain in commit order; when anyone else appended since (a write's transaction, another
//! instance), nothing is written and the writer tries again from the head the statement saw,
//! then falls back to the locked append.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamp};

use super::chain::{self, Head};
use super::repo::{self, AuditBatch};
use crate::db::{self, DbConn};

// `?` marks each bound value, in the order [`AppendAfter::walk_ast`] binds them; the events'
// columns are listed as [`AppendAfter`] groups them (text, time, nullable text, place).
const APPEND_AFTER: &str = "
WITH moved AS (
    UPDATE audit_chain SET seq = ?, hash = ? WHERE id = 1 AND seq = ? AND hash = ? RETURNING 1
), events AS (
    INSERT INTO audit_events (id, action, resource_type, outcome, occurred_at, actor_id,
        actor_role, resource_id, patient_id, request_id, client_addr, user_agent, prev_hash, hash,
        seq)
    SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::timestamp[], ?::text[],
        ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
        ?::bigint[])
    WHERE EXISTS (SELECT 1 FROM moved)
), listed AS (
    INSERT INTO audit_event_resources (event_id, resource_id, patient_id)
    SELECT * FROM unnest(?::text[], ?::text[], ?::text[])
    WHERE EXISTS (SELECT 1 FROM moved)
)
SELECT EXISTS (SELECT 1 FROM moved), seq, hash FROM audit_chain WHERE id = 1";

/// What one try found.
#[derive(Debug, PartialEq, Eq)]
pub enum Appended {
    /// Written; the chain ends here now.
    Done(Head),
    /// Someone appended since: nothing written. The head as this statement saw it (it may be
    /// older than the newest when the statement waited for another append to commit).
    Moved(Head),
}

/// The statement with its values, one array per column, in the statement's order. A query type
/// of its own (not `sql_query`) so that diesel prepares it once per connection: planning it
/// took 0.14 ms, as long as running it.
struct AppendAfter {
    head: Head,
    known: Head,
    texts: [Vec<String>; 4],
    occurred_at: Vec<chrono::NaiveDateTime>,
    optional: [Vec<Option<String>>; 9],
    seq: Vec<Option<i64>>,
    listed: [Vec<String>; 2],
    listed_patient: Vec<Option<String>>,
}

impl AppendAfter {
    fn new(known: &Head, batch: &AuditBatch) -> Self {
        let mut head = known.clone();
        let mut events = batch.events.clone();
        chain::seal(&mut head, &mut events, &batch.listed);
        let mut q = Self {
            head,
            known: known.clone(),
            texts: Default::default(),
            occurred_at: Vec::with_capacity(events.len()),
            optional: Default::default(),
            seq: Vec::with_capacity(events.len()),
            listed: Default::default(),
            listed_patient: Vec::with_capacity(batch.listed.len()),
        };
        for e in events {
            for (column, value) in q.texts.iter_mut().zip([e.id, e.action, e.resource_type, e.outcome]) {
                column.push(value);
            }
            q.occurred_at.push(e.occurred_at);
            let optional = [
                e.actor_id,
                e.actor_role,
                e.resource_id,
                e.patient_id,
                e.request_id,
                e.client_addr,
                e.user_agent,
                e.prev_hash,
                e.hash,
            ];
            for (column, value) in q.optional.iter_mut().zip(optional) {
                column.push(value);
            }
            q.seq.push(e.seq);
        }
        for l in &batch.listed {
            q.listed[0].push(l.event_id.clone());
            q.listed[1].push(l.resource_id.clone());
            q.listed_patient.push(l.patient_id.clone());
        }
        q
    }
}

impl QueryId for AppendAfter {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for AppendAfter {
    type SqlType = (Bool, BigInt, Text);
}

impl RunQueryDsl<PgConnection> for AppendAfter {}

impl QueryFragment<Pg> for AppendAfter {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let mut sql = APPEND_AFTER.split('?');
        let mut next = |out: &mut AstPass<'_, 'b, Pg>| out.push_sql(sql.next().unwrap_or_default());
        next(&mut out);
        for head in [&self.head, &self.known] {
            out.push_bind_param::<BigInt, _>(&head.seq)?;
            next(&mut out);
            out.push_bind_param::<Text, _>(&head.hash)?;
            next(&mut out);
        }
        for column in &self.texts {
            out.push_bind_param::<Array<Text>, _>(column)?;
            next(&mut out);
        }
        out.push_bind_param::<Array<Timestamp>, _>(&self.occurred_at)?;
        next(&mut out);
        for column in &self.optional {
            out.push_bind_param::<Array<Nullable<Text>>, _>(column)?;
            next(&mut out);
        }
        out.push_bind_param::<Array<Nullable<BigInt>>, _>(&self.seq)?;
        next(&mut out);
        for column in &self.listed {
            out.push_bind_param::<Array<Text>, _>(column)?;
            next(&mut out);
        }
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.listed_patient)?;
        next(&mut out);
        Ok(())
    }
}

/// Appends `batch` after `known` if the chain still ends there, in one statement.
pub fn append_after(conn: &mut PgConnection, known: &Head, batch: &AuditBatch) -> QueryResult<Appended> {
    let query = AppendAfter::new(known, batch);
    let sealed = query.head.clone();
    let (moved, seq, hash): (bool, i64, String) = query.get_result(conn)?;
    Ok(if moved {
        Appended::Done(sealed)
    } else {
        Appended::Moved(Head { seq, hash })
    })
}

/// Appends a batch outside any transaction for a writer that remembers where it left the
/// chain (`known`, updated): on PostgreSQL one statement while nobody else appended, a second
/// from the head the first saw, else (and always on SQLite, whose append is in-process) the
/// locked append.
pub fn append_remembering(conn: &mut DbConn, known: &mut Option<Head>, batch: &AuditBatch) -> QueryResult<()> {
    if batch.is_empty() {
        return Ok(());
    }
    if let (DbConn::Pg(c), Some(start)) = (&mut *conn, known.as_ref()) {
        let mut guess = start.clone();
        for _ in 0..2 {
            match append_after(c, &guess, batch)? {
                Appended::Done(head) => {
                    *known = Some(head);
                    return Ok(());
                }
                Appended::Moved(seen) => guess = seen,
            }
        }
    }
    *known = Some(db::write_tx(conn, |c| repo::append(c, batch))?);
    Ok(())
}
