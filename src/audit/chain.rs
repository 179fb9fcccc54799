//! The audit trail as one hash chain: each event's hash is SHA-256 over the hash of the event
//! before it and the event's canonical serialisation (with the resources a listing disclosed),
//! so editing, deleting or inserting any row breaks the chain from that row on. Pure: the
//! repository locks the head and stores what [`seal`] computes; [`Verifier`] walks the chain.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::rows::{AuditRow, ListedRow};
use crate::text::hex;

/// The hash before the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The end of the chain: the last event's place and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

/// The bytes an event's hash covers: every stored field, in a fixed order, with explicit nulls,
/// and the resources a listing disclosed, sorted. Versioned, so that a later format can be told
/// apart.
pub fn canonical(row: &AuditRow, seq: i64, listed: &[&ListedRow]) -> Vec<u8> {
    let mut resources: Vec<(&str, Option<&str>)> = listed
        .iter()
        .map(|l| (l.resource_id.as_str(), l.patient_id.as_deref()))
        .collect();
    resources.sort_unstable();
    let fields = (
        "audit-v1",
        seq,
        &row.id,
        row.occurred_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        &row.actor_id,
        &row.actor_role,
        &row.action,
        &row.resource_type,
        &row.resource_id,
        &row.patient_id,
        &row.request_id,
        &row.client_addr,
        &row.user_agent,
        &row.outcome,
        resources,
    );
    serde_json::to_vec(&fields).unwrap_or_default()
}

/// The hash of an event that follows `prev_hash` (lowercase hex).
pub fn link(prev_hash: &str, row: &AuditRow, seq: i64, listed: &[&ListedRow]) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical(row, seq, listed));
    hex(&h.finalize())
}

/// The resources each event's listing disclosed, by event id.
pub fn listed_by_event(listed: &[ListedRow]) -> BTreeMap<&str, Vec<&ListedRow>> {
    let mut by: BTreeMap<&str, Vec<&ListedRow>> = BTreeMap::new();
    for l in listed {
        by.entry(l.event_id.as_str()).or_default().push(l);
    }
    by
}

/// Appends `events` (in order) after `head`: sets each one's place and hashes, moves the head.
pub fn seal(head: &mut Head, events: &mut [AuditRow], listed: &[ListedRow]) {
    let by_event = listed_by_event(listed);
    for row in events {
        let seq = head.seq + 1;
        let mine = by_event.get(row.id.as_str()).map(Vec::as_slice).unwrap_or_default();
        let hash = link(&head.hash, row, seq, mine);
        row.seq = Some(seq);
        row.prev_hash = Some(head.hash.clone());
        row.hash = Some(hash.clone());
        *head = Head { seq, hash };
    }
}

/// What a walk of the chain found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct VerifyReport {
    /// Events checked, in chain order.
    #[schema(example = 18234)]
    pub events: i64,
    /// Whether every event links to the one before and the chain ends at its recorded head.
    pub intact: bool,
    /// The first event that does not hold (`null` when intact, or when the break is after the
    /// last event: rows deleted from the end).
    pub first_broken_id: Option<String>,
    /// Why the chain breaks there.
    #[schema(example = "its hash does not match its content (the row was edited)")]
    pub problem: Option<String>,
    /// The recorded head: its place and hash. Kept outside the database (a log, a ticket), it
    /// also shows a rewrite of the whole chain from some event on.
    #[schema(example = 18234)]
    pub head_seq: i64,
    #[schema(example = "5f0c1e8d2a7b4c6e9f1a3b5d7c9e0f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c1d3e")]
    pub head_hash: String,
}

/// Walks the chain in `seq` order, page by page ([`Verifier::check`]), then [`Verifier::finish`].
#[derive(Debug)]
pub struct Verifier {
    expected_seq: i64,
    prev: String,
    events: i64,
    broken: Option<(Option<String>, String)>,
}

impl Default for Verifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev: GENESIS.to_owned(),
            events: 0,
            broken: None,
        }
    }
}

impl Verifier {
    /// Whether a break was found (the walk can stop).
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    /// The next events in chain order, with the resources their listings disclosed.
    pub fn check(&mut self, rows: &[AuditRow], listed: &[ListedRow]) {
        let by_event = listed_by_event(listed);
        for row in rows {
            if self.broken.is_some() {
                return;
            }
            let Some(seq) = row.seq else { continue };
            let problem = if seq != self.expected_seq {
                Some(format!(
                    "it is event {seq} of the chain where event {} was expected (rows before it were deleted)",
                    self.expected_seq
                ))
            } else if row.prev_hash.as_deref() != Some(self.prev.as_str()) {
                Some("it does not link to the event before it (a row was inserted or replaced)".to_owned())
            } else {
                let mine = by_event.get(row.id.as_str()).map(Vec::as_slice).unwrap_or_default();
                let hash = link(&self.prev, row, seq, mine);
                (row.hash.as_deref() != Some(hash.as_str())).then(|| {
                    "its hash does not match its content (the row or the resources it lists were edited)".to_owned()
                })
            };
            if let Some(p) = problem {
                self.broken = Some((Some(row.id.clone()), p));
                return;
            }
            self.events += 1;
            self.expected_seq = seq + 1;
            self.prev = row.hash.clone().unwrap_or_default();
        }
    }

    /// The report, given the recorded head and the first event outside the chain (no place in
    /// it, or a place after its head), if any.
    pub fn finish(self, head: &Head, outside: Option<String>) -> VerifyReport {
        let broken = self.broken.or_else(|| {
            if let Some(id) = outside {
                return Some((
                    Some(id),
                    "it is not in the chain (the row was inserted directly)".to_owned(),
                ));
            }
            (head.seq != self.expected_seq - 1 || head.hash != self.prev).then(|| {
                (
                    None,
                    format!(
                        "the chain ends at event {} but its head records event {} (rows at the end were deleted)",
                        self.expected_seq - 1,
                        head.seq
                    ),
                )
            })
        });
        VerifyReport {
            events: self.events,
            intact: broken.is_none(),
            first_broken_id: broken.as_ref().and_then(|b| b.0.clone()),
            problem: broken.map(|b| b.1),
            head_seq: head.seq,
            head_hash: head.hash.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::repo::sample_row;

    fn chain(n: usize) -> (Vec<AuditRow>, Vec<ListedRow>, Head) {
        let mut rows: Vec<AuditRow> = (0..n).map(|i| sample_row(&format!("{i:02}"))).collect();
        let listed = vec![ListedRow {
            event_id: rows[1].id.clone(),
            resource_id: "intake-a".into(),
            patient_id: Some("patient-a".into()),
        }];
        let mut head = Head {
            seq: 0,
            hash: GENESIS.into(),
        };
        seal(&mut head, &mut rows, &listed);
        (rows, listed, head)
    }

    fn verify(rows: &[AuditRow], listed: &[ListedRow], head: &Head) -> VerifyReport {
        let mut v = Verifier::default();
        v.check(rows, listed);
        v.finish(head, None)
    }

    #[test]
    fn a_sealed_chain_verifies_and_links() {
        let (rows, listed, head) = chain(4);
        assert_eq!(head.seq, 4);
        assert_eq!(rows[0].prev_hash.as_deref(), Some(GENESIS));
        assert_eq!(rows[2].prev_hash, rows[1].hash);
        assert_eq!(head.hash, rows[3].hash.clone().unwrap());
        assert_eq!(rows[0].hash.as_ref().unwrap().len(), 64);
        let report = verify(&rows, &listed, &head);
        assert_eq!((report.events, report.intact, report.first_broken_id), (4, true, None));
    }

    #[test]
    fn edits_deletions_and_insertions_are_found_where_they_are() {
        let (rows, listed, head) = chain(5);
        let mut edited = rows.clone();
        edited[2].outcome = "denied".into();
        let r = verify(&edited, &listed, &head);
        assert_eq!(r.first_broken_id.as_deref(), Some(rows[2].id.as_str()));
        assert!(r.problem.unwrap().contains("edited"));

        // A listed resource removed changes its event's hash.
        let r = verify(&rows, &[], &head);
        assert_eq!(r.first_broken_id.as_deref(), Some(rows[1].id.as_str()));

        let mut deleted = rows.clone();
        deleted.remove(3);
        let r = verify(&deleted, &listed, &head);
        assert_eq!(r.first_broken_id.as_deref(), Some(rows[4].id.as_str()));
        assert!(r.problem.unwrap().contains("deleted"));

        let r = verify(&rows[..4], &listed, &head);
        assert_eq!((r.intact, r.first_broken_id.clone()), (false, None));
        assert!(r.problem.unwrap().contains("at the end were deleted"));

        // An event slipped in with a place of its own, its hash computed over a forged link.
        let mut inserted = rows.clone();
        let mut forged = sample_row("99");
        forged.seq = Some(3);
        forged.prev_hash = Some(GENESIS.into());
        forged.hash = Some(link(GENESIS, &forged, 3, &[]));
        inserted[2] = forged.clone();
        let r = verify(&inserted, &listed, &head);
        assert_eq!(r.first_broken_id.as_deref(), Some(forged.id.as_str()));

        let mut v = Verifier::default();
        v.check(&rows, &listed);
        let r = v.finish(&head, Some("outsider".into()));
        assert_eq!(r.first_broken_id.as_deref(), Some("outsider"));
    }
}
