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

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamp};

use super::chain::{self, Head};
use super::repo::{self, AuditBatch};
use crate::db::{self, DbConn};

const APPEND_AFTER: &str = "
WITH moved AS (
    UPDATE audit_chain SET seq = $1, hash = $2 WHERE id = 1 AND seq = $3 AND hash = $4 RETURNING 1
), events AS (
    INSERT INTO audit_events (id, occurred_at, actor_id, actor_role, action, resource_type,
        resource_id, patient_id, request_id, client_addr, user_agent, outcome, seq, prev_hash, hash)
    SELECT * FROM unnest($5::text[], $6::timestamp[], $7::text[], $8::text[], $9::text[],
        $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
        $17::bigint[], $18::text[], $19::text[])
    WHERE EXISTS (SELECT 1 FROM moved)
), listed AS (
    INSERT INTO audit_event_resources (event_id, resource_id, patient_id)
    SELECT * FROM unnest($20::text[], $21::text[], $22::text[])
    WHERE EXISTS (SELECT 1 FROM moved)
)
SELECT EXISTS (SELECT 1 FROM moved) AS moved, seq, hash FROM audit_chain WHERE id = 1";

/// What one try found.
#[derive(Debug, PartialEq, Eq)]
pub enum Appended {
    /// Written; the chain ends here now.
    Done(Head),
    /// Someone appended since: nothing written. The head as this statement saw it (it may be
    /// older than the newest when the statement waited for another append to commit).
    Moved(Head),
}

#[derive(QueryableByName)]
struct Outcome {
    #[diesel(sql_type = Bool)]
    moved: bool,
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    hash: String,
}

/// Appends `batch` after `known` if the chain still ends there, in one statement.
pub fn append_after(conn: &mut diesel::PgConnection, known: &Head, batch: &AuditBatch) -> QueryResult<Appended> {
    let mut head = known.clone();
    let mut events = batch.events.clone();
    chain::seal(&mut head, &mut events, &batch.listed);
    let column = |f: fn(&repo::AuditRow) -> Option<String>| events.iter().map(f).collect::<Vec<_>>();
    let text = |f: fn(&repo::AuditRow) -> String| events.iter().map(f).collect::<Vec<_>>();
    let out: Outcome = diesel::sql_query(APPEND_AFTER)
        .bind::<BigInt, _>(head.seq)
        .bind::<Text, _>(&head.hash)
        .bind::<BigInt, _>(known.seq)
        .bind::<Text, _>(&known.hash)
        .bind::<Array<Text>, _>(text(|e| e.id.clone()))
        .bind::<Array<Timestamp>, _>(events.iter().map(|e| e.occurred_at).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(column(|e| e.actor_id.clone()))
        .bind::<Array<Nullable<Text>>, _>(column(|e| e.actor_role.clone()))
        .bind::<Array<Text>, _>(text(|e| e.action.clone()))
        .bind::<Array<Text>, _>(text(|e| e.resource_type.clone()))
        .bind::<Array<Nullable<Text>>, _>(column(|e| e.resource_id.clone()))
        .bind::<Array<Nullable<Text>>, _>(column(|e| e.patient_id.clone()))
        .bind::<Array<Nullable<Text>>, _>(column(|e| e.request_id.clone()))
        .bind::<Array<Nullable<Text>>, _>(column(|e| e.client_addr.clone()))
        .bind::<Array<Nullable<Text>>, _>(column(|e| e.user_agent.clone()))
        .bind::<Array<Text>, _>(text(|e| e.outcome.clone()))
        .bind::<Array<Nullable<BigInt>>, _>(events.iter().map(|e| e.seq).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(column(|e| e.prev_hash.clone()))
        .bind::<Array<Nullable<Text>>, _>(column(|e| e.hash.clone()))
        .bind::<Array<Text>, _>(batch.listed.iter().map(|l| l.event_id.clone()).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(batch.listed.iter().map(|l| l.resource_id.clone()).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(batch.listed.iter().map(|l| l.patient_id.clone()).collect::<Vec<_>>())
        .get_result(conn)?;
    Ok(if out.moved {
        Appended::Done(head)
    } else {
        Appended::Moved(Head {
            seq: out.seq,
            hash: out.hash,
        })
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
