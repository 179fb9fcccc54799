//! The list behind `GET /intakes`: a patient's own intakes, or the clinic's worklist for staff,
//! filtered, sorted and cursor-paged. Each intake listed is an audited read of it.

use super::repo::{self, Filter, Sort, SortKey, WorklistRow};
use crate::audit::event::AuditEvent;
use crate::auth::domain::Role;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::http::pagination::{self, CursorCodec, Page, Paged};
use crate::ids::{IntakeId, PatientId};
use crate::intake::api::{IntakeListQuery, IntakeSort, IntakeSummary};
use crate::intake::read;
use crate::intake::status::IntakeStatus;
use crate::patients::repo as patients_repo;
use crate::state::{Audited, Caller};
use crate::text::NameSearch;

fn empty() -> Audited<Page<IntakeSummary>> {
    Audited::new(Page::empty(), Vec::new())
}

pub fn worklist(
    conn: &mut DbConn,
    caller: &Caller,
    q: &IntakeListQuery,
    codec: &CursorCodec,
) -> Result<Audited<Page<IntakeSummary>>, ApiError> {
    let mut filter = Filter::default();
    if let Some(list) = &q.status {
        for (i, s) in list.split(',').map(str::trim).filter(|s| !s.is_empty()).enumerate() {
            let parsed = IntakeStatus::parse(s).ok_or_else(|| {
                ApiError::invalid(
                    "status",
                    "invalid_value",
                    format!(
                        "item {i}: {s:?} is not a status (draft, submitted, in_review, approved, declined, needs_info)"
                    ),
                )
            })?;
            filter.statuses.push(parsed);
        }
    }
    filter.pain_type = q.pain_type;
    filter.flag = q.flag.clone();
    filter.min_severity = q.severity.map(|s| s.rank());
    filter.assigned_to = q
        .assigned_to
        .as_deref()
        .map(|name| caller.actor.user_named(name, "assigned_to"))
        .transpose()?;
    filter.submitted_from = q.submitted_from.map(|t| t.naive_utc());
    filter.submitted_to = q.submitted_to.map(|t| t.naive_utc());
    filter.name_words = match NameSearch::parse(q.q.as_deref()) {
        NameSearch::All => Vec::new(),
        NameSearch::Words(words) => words,
        NameSearch::Nothing => return Ok(empty()),
    };
    filter.names = patients_repo::name_match(conn, &filter.name_words)?;
    if filter.names.patients.as_ref().is_some_and(Vec::is_empty) {
        return Ok(empty());
    }
    filter.patient_id = q.patient_id.map(PatientId::from);
    if caller.actor.role == Role::Patient {
        // A patient's list is always scoped to their own profile, whatever else they ask.
        match caller.actor.patient_id {
            Some(own) if filter.patient_id.is_none_or(|p| p == own) => filter.patient_id = Some(own),
            _ => return Ok(empty()),
        }
    }
    let sort_param = q.sort.unwrap_or(IntakeSort::UpdatedDesc);
    let sort = match sort_param {
        IntakeSort::SubmittedAsc => Sort {
            key: SortKey::SubmittedAt,
            descending: false,
        },
        IntakeSort::SubmittedDesc => Sort {
            key: SortKey::SubmittedAt,
            descending: true,
        },
        IntakeSort::UpdatedAsc => Sort {
            key: SortKey::UpdatedAt,
            descending: false,
        },
        IntakeSort::UpdatedDesc => Sort {
            key: SortKey::UpdatedAt,
            descending: true,
        },
    };
    let query_key = format!("intakes|{}|{sort_param:?}", filter.key());
    let after: Option<(chrono::NaiveDateTime, IntakeId)> = codec.after(&query_key, q)?;
    let limit = q.limit();
    let rows = repo::worklist(conn, &filter, sort, after, limit)?;
    let key = move |(r, _, _): &WorklistRow| serde_json::json!((repo::sort_time(r, sort.key), r.id));
    let page = pagination::finish_page(rows, limit, codec, &query_key, key, |(r, g, f)| {
        read::summary(r, &g, &f)
    });
    let events = AuditEvent::listing(
        "intake.list",
        "intake",
        page.items.iter().map(|i| (i.id, Some(PatientId::from(i.patient_id)))),
    );
    Ok(Audited::new(page, events))
}
