//! Reading the audit trail: the admin view and the patient's own access log.

use std::collections::HashMap;

use super::api::{AccessLogEntry, AccessLogQuery, AuditEventResponse, AuditQuery};
use super::chain::{Verifier, VerifyReport};
use super::event::{AuditEvent, Outcome};
use super::repo::{self, AuditFilter, ListedRow};
use crate::db::DbConn;
use crate::error::ApiError;
use crate::http::pagination::{self, CursorCodec, Page, Paged};
use crate::state::{Audited, Caller};

pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    q: &AuditQuery,
    codec: &CursorCodec,
) -> Result<Audited<Page<AuditEventResponse>>, ApiError> {
    caller.actor.require_admin()?;
    let filter = AuditFilter {
        resource_id: q.resource_id.clone(),
        actor_id: q.actor_id.clone(),
        action: q.action.clone(),
        from: q.from.map(|t| t.naive_utc()),
        to: q.to.map(|t| t.naive_utc()),
    };
    let query_key = format!(
        "audit|{:?}",
        (
            &filter.resource_id,
            &filter.actor_id,
            &filter.action,
            filter.from,
            filter.to
        )
    );
    let after: Option<String> = codec.after(&query_key, q)?;
    let limit = q.limit();
    let rows = repo::list(conn, &filter, after, limit)?;
    let ids: Vec<String> = rows.iter().take(limit.max(0) as usize).map(|r| r.id.clone()).collect();
    let mut listed: HashMap<String, Vec<ListedRow>> = HashMap::new();
    for l in repo::listed_of(conn, &ids)? {
        listed.entry(l.event_id.clone()).or_default().push(l);
    }
    let page = pagination::finish_page(
        rows,
        limit,
        codec,
        &query_key,
        |r| serde_json::json!(&r.id),
        |r| {
            let resources = listed.remove(&r.id).unwrap_or_default();
            AuditEventResponse::new(r, resources)
        },
    );
    // The trail names patients; reading it is itself an audited access.
    let event = AuditEvent {
        resource_id: None,
        ..AuditEvent::new("audit.read", "audit_event", "")
    };
    Ok(Audited::new(page, vec![event]))
}

/// Who at the clinic read or changed the caller's records, newest first. Patients only.
pub fn access_log(
    conn: &mut DbConn,
    caller: &Caller,
    q: &AccessLogQuery,
    codec: &CursorCodec,
) -> Result<Audited<Page<AccessLogEntry>>, ApiError> {
    if caller.actor.is_staff() {
        return Err(ApiError::Forbidden(
            "the access log is a patient's view of their own records".into(),
        ));
    }
    let limit = q.limit();
    let Some(patient_id) = caller.actor.patient_id else {
        return Ok(Audited::new(Page::empty(), Vec::new()));
    };
    let query_key = format!("access-log|{patient_id}");
    let after: Option<(String, String)> = codec.after(&query_key, q)?;
    let rows = repo::access_log(
        conn,
        &patient_id.to_string(),
        &caller.actor.user_id.to_string(),
        after,
        limit,
    )?;
    let page = pagination::finish_page(
        rows,
        limit,
        codec,
        &query_key,
        |r| serde_json::json!(r.position()),
        AccessLogEntry::from,
    );
    let event = AuditEvent::new("access_log.read", "patient", patient_id)
        .patient(patient_id)
        .outcome(Outcome::Success);
    Ok(Audited::new(page, vec![event]))
}

/// Events per page of a chain walk.
const VERIFY_PAGE: i64 = 2_000;

/// Walks the whole chain up to its recorded head: every event linked to the one before, its
/// hash matching its content, nothing missing at the end, no event outside the chain.
pub fn verify_chain(conn: &mut DbConn) -> Result<VerifyReport, ApiError> {
    // The head first: every event up to it is committed (they move together), so a walk up to
    // it is not confused by appends made meanwhile.
    let head = repo::head(conn)?;
    let mut walk = Verifier::default();
    let mut after = 0;
    while after < head.seq && !walk.is_broken() {
        let rows = repo::chain_page(conn, after, head.seq, VERIFY_PAGE)?;
        let Some(last) = rows.last().and_then(|r| r.seq) else {
            break;
        };
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        walk.check(&rows, &repo::listed_of(conn, &ids)?);
        after = last;
    }
    let outside = repo::first_outside(conn)?;
    Ok(walk.finish(&head, outside))
}

/// The chain check as an administrator asks for it (audited like a read of the trail).
pub fn verify(conn: &mut DbConn, caller: &Caller) -> Result<Audited<VerifyReport>, ApiError> {
    caller.actor.require_admin()?;
    let report = verify_chain(conn)?;
    let event = AuditEvent {
        resource_id: None,
        ..AuditEvent::new("audit.verify", "audit_event", "")
    };
    Ok(Audited::new(report, vec![event]))
}

/// Gives every event written before the chain existed its place in it (at start, after the
/// migrations); returns how many were linked.
pub fn link_unchained(conn: &mut DbConn) -> Result<usize, ApiError> {
    let mut total = 0;
    loop {
        let n = repo::chain_unchained(conn, VERIFY_PAGE)?;
        if n == 0 {
            return Ok(total);
        }
        total += n;
    }
}
