//! Worklist queries and the review history.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::domain::Role;
use crate::db::DbConn;
use crate::ids::{IntakeId, PatientId, ReviewId, UserId};
use crate::intake::repo::SummaryRow;
use crate::intake::status::IntakeStatus;
use crate::patients::repo::{self as patients_repo, NameMatch, is_true};
use crate::schema::{intake_flags, intake_pain_types, intake_reviews, intakes, patient_name_tokens, users};
use crate::screening::model::PainType;

/// Worklist filters, already validated.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub statuses: Vec<IntakeStatus>,
    pub pain_type: Option<PainType>,
    pub flag: Option<String>,
    /// Highest flag severity at least this (1 info, 2 warning, 3 urgent).
    pub min_severity: Option<i32>,
    pub patient_id: Option<PatientId>,
    pub assigned_to: Option<UserId>,
    pub submitted_from: Option<NaiveDateTime>,
    pub submitted_to: Option<NaiveDateTime>,
    /// Folded name words, each a prefix of a word of the patient's name.
    pub name_words: Vec<String>,
    /// How `name_words` are matched (derived from them, so not part of [`Filter::key`]).
    pub names: NameMatch,
}

impl Filter {
    /// The filter as text, for the fingerprint a cursor carries: every value by its wire form,
    /// so that a cursor survives refactoring of these types.
    pub fn key(&self) -> String {
        let list = |items: Vec<String>| items.join(",");
        let opt = |v: Option<String>| v.unwrap_or_default();
        [
            list(self.statuses.iter().map(|s| s.as_str().to_owned()).collect()),
            opt(self.pain_type.map(|t| t.as_str().to_owned())),
            opt(self.flag.clone()),
            opt(self.min_severity.map(|s| s.to_string())),
            opt(self.patient_id.map(|p| p.to_string())),
            opt(self.assigned_to.map(|a| a.to_string())),
            opt(self.submitted_from.map(|t| t.and_utc().to_rfc3339())),
            opt(self.submitted_to.map(|t| t.and_utc().to_rfc3339())),
            list(self.name_words.clone()),
        ]
        .join("|")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    SubmittedAt,
    UpdatedAt,
}

#[derive(Debug, Clone, Copy)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

// Correlated EXISTS rather than IN (subquery): the planner walks the (status, time) index in
// page order and checks each candidate by key, stopping after one page, instead of
// materialising and sorting every matching intake.
#[diesel::dsl::auto_type(no_type_alias)]
fn with_pain_type(t: String) -> _ {
    diesel::dsl::exists(
        intake_pain_types::table
            .filter(intake_pain_types::pain_type.eq(t))
            .filter(intake_pain_types::intake_id.eq(intakes::id)),
    )
}

#[diesel::dsl::auto_type(no_type_alias)]
fn with_flag(code: String) -> _ {
    diesel::dsl::exists(
        intake_flags::table
            .filter(intake_flags::code.eq(code))
            .filter(intake_flags::intake_id.eq(intakes::id)),
    )
}

#[diesel::dsl::auto_type(no_type_alias)]
fn with_name_word(tokens: Vec<String>) -> _ {
    diesel::dsl::exists(
        patient_name_tokens::table
            .filter(patient_name_tokens::patient_id.eq(intakes::patient_id))
            .filter(patient_name_tokens::token.eq_any(tokens)),
    )
}

// The patients of a word that is not common, read once and checked as a set (see `is_true`).
#[diesel::dsl::auto_type(no_type_alias)]
fn in_name_set(tokens: Vec<String>) -> _ {
    is_true(
        intakes::patient_id.eq_any(
            patient_name_tokens::table
                .filter(patient_name_tokens::token.eq_any(tokens))
                .select(patient_name_tokens::patient_id),
        ),
    )
}

/// A worklist row: the intake's summary columns and the patient's given and family name.
pub type WorklistRow = (SummaryRow, String, String);

/// One page of the worklist (one extra row to know if there is a next page). The sort is stable:
/// ties on the time are broken by id. Sorting by submission time lists only intakes submitted at
/// least once.
///
/// Several statuses are read as one ordered walk per status, merged here: PostgreSQL (before 17)
/// cannot walk `(status, time)` in time order for `status = ANY(…)`, so it walked the time index
/// and filtered out every other status, 45,000 rows for one page of `submitted` on the bench
/// database (bench/NOTES.md, issue 17).
pub fn worklist(
    conn: &mut DbConn,
    f: &Filter,
    sort: Sort,
    after: Option<(NaiveDateTime, IntakeId)>,
    limit: i64,
) -> QueryResult<Vec<WorklistRow>> {
    let mut statuses = f.statuses.clone();
    statuses.sort_by_key(|s| s.as_str());
    statuses.dedup();
    let rows = if statuses.len() <= 1 {
        one_walk(conn, f, statuses.first().copied(), sort, after, limit)?
    } else {
        let mut rows = Vec::new();
        for status in statuses {
            rows.extend(one_walk(conn, f, Some(status), sort, after, limit)?);
        }
        let key = |r: &SummaryRow| (sort_time(r, sort.key), r.id);
        rows.sort_by(|a, b| {
            let order = key(a).cmp(&key(b));
            if sort.descending { order.reverse() } else { order }
        });
        rows.truncate(usize::try_from(limit + 1).unwrap_or(usize::MAX));
        rows
    };
    patients_repo::with_names(conn, rows, |r| r.patient_id)
}

/// The time a row is sorted by (a row sorted by submission time has one: see [`worklist`]).
pub fn sort_time(r: &SummaryRow, key: SortKey) -> NaiveDateTime {
    match key {
        SortKey::SubmittedAt => r.submitted_at.unwrap_or(r.updated_at),
        SortKey::UpdatedAt => r.updated_at,
    }
}

fn one_walk(
    conn: &mut DbConn,
    f: &Filter,
    status: Option<IntakeStatus>,
    sort: Sort,
    after: Option<(NaiveDateTime, IntakeId)>,
    limit: i64,
) -> QueryResult<Vec<SummaryRow>> {
    let mut q = intakes::table.select(SummaryRow::as_select()).into_boxed();
    if let Some(s) = status {
        // `status = ?` would let PostgreSQL drop status from the order (a constant) and then
        // prefer the (time) index, filtering every other status out: 45,000 rows for one page of
        // `submitted` on the bench database, where the newest rows are drafts. As a range, with
        // status leading the order, only the (status, time) index gives the order (bench/NOTES.md).
        q = q.filter(intakes::status.ge(s).and(intakes::status.le(s)));
        q = if sort.descending {
            q.order(intakes::status.desc())
        } else {
            q.order(intakes::status.asc())
        };
    }
    if let Some(ids) = &f.names.patients {
        q = q.filter(intakes::patient_id.eq_any(ids.clone()));
    }
    if let Some(t) = f.pain_type {
        q = q.filter(with_pain_type(t.as_str().to_owned()));
    }
    if let Some(code) = &f.flag {
        q = q.filter(with_flag(code.clone()));
    }
    if let Some(sev) = f.min_severity {
        q = q.filter(intakes::top_severity.ge(sev));
    }
    if let Some(p) = f.patient_id {
        q = q.filter(intakes::patient_id.eq(p));
    }
    if let Some(a) = f.assigned_to {
        q = q.filter(intakes::assigned_to.eq(a));
    }
    if let Some(t) = f.submitted_from {
        q = q.filter(intakes::submitted_at.ge(t));
    }
    if let Some(t) = f.submitted_to {
        q = q.filter(intakes::submitted_at.lt(t));
    }
    for word in &f.names.words {
        q = if word.as_set {
            q.filter(in_name_set(word.tokens.clone()))
        } else {
            q.filter(with_name_word(word.tokens.clone()))
        };
    }
    match (sort.key, sort.descending) {
        (SortKey::SubmittedAt, desc) => {
            q = q.filter(intakes::submitted_at.is_not_null());
            if let Some((t, id)) = after {
                q = if desc {
                    q.filter(
                        intakes::submitted_at
                            .lt(t)
                            .or(intakes::submitted_at.eq(t).and(intakes::id.lt(id))),
                    )
                } else {
                    q.filter(
                        intakes::submitted_at
                            .gt(t)
                            .or(intakes::submitted_at.eq(t).and(intakes::id.gt(id))),
                    )
                };
            }
            q = if desc {
                q.then_order_by((intakes::submitted_at.desc(), intakes::id.desc()))
            } else {
                q.then_order_by((intakes::submitted_at.asc(), intakes::id.asc()))
            };
        }
        (SortKey::UpdatedAt, desc) => {
            if let Some((t, id)) = after {
                q = if desc {
                    q.filter(
                        intakes::updated_at
                            .lt(t)
                            .or(intakes::updated_at.eq(t).and(intakes::id.lt(id))),
                    )
                } else {
                    q.filter(
                        intakes::updated_at
                            .gt(t)
                            .or(intakes::updated_at.eq(t).and(intakes::id.gt(id))),
                    )
                };
            }
            q = if desc {
                q.then_order_by((intakes::updated_at.desc(), intakes::id.desc()))
            } else {
                q.then_order_by((intakes::updated_at.asc(), intakes::id.asc()))
            };
        }
    }
    q.limit(limit + 1).load(conn)
}

crate::sealed_row! {
    table intake_reviews, row id;
    /// One review step; its free-text note is sealed at rest.
    #[derive(Debug, Clone)]
    pub struct ReviewRow;
    #[derive(Debug, Clone, Queryable, Selectable, Insertable)]
    #[diesel(table_name = intake_reviews)]
    pub struct ReviewRecord {
        pub id: ReviewId,
        pub intake_id: IntakeId,
        /// A review action, or `exam` (exam findings recorded).
        pub action: String,
        pub from_status: IntakeStatus,
        pub to_status: IntakeStatus,
        pub actor_id: UserId,
        pub assign_to: Option<UserId>,
        pub created_at: NaiveDateTime,
    }
    sealed {}
    sealed_opt {
        pub note: String,
    }
}

pub fn insert_review(conn: &mut DbConn, row: &ReviewRow) -> QueryResult<()> {
    diesel::insert_into(intake_reviews::table)
        .values(row.seal()?)
        .execute(conn)
        .map(|_| ())
}

/// The history, oldest first, with each actor's role and name.
pub fn reviews(conn: &mut DbConn, intake_id: IntakeId) -> QueryResult<Vec<(ReviewRow, Role, String)>> {
    let found: Vec<(ReviewRecord, Role, String)> = intake_reviews::table
        .inner_join(users::table.on(users::id.eq(intake_reviews::actor_id)))
        .filter(intake_reviews::intake_id.eq(intake_id))
        .order((intake_reviews::created_at.asc(), intake_reviews::id.asc()))
        .select((ReviewRecord::as_select(), users::role, users::display_name))
        .load(conn)?;
    found
        .into_iter()
        .map(|(r, role, name)| Ok((r.open()?, role, name)))
        .collect()
}

/// An enabled staff member, for assignment.
pub fn is_enabled_staff(conn: &mut DbConn, user_id: UserId) -> QueryResult<bool> {
    let n: i64 = users::table
        .filter(users::id.eq(user_id))
        .filter(users::disabled.eq(false))
        .filter(users::role.eq_any([Role::Clinician, Role::Admin]))
        .count()
        .get_result(conn)?;
    Ok(n == 1)
}
