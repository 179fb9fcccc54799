//! Intake rows, their worklist child rows and their submissions.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::sections::Sections;
use super::status::IntakeStatus;
use crate::auth::repo::{ActorKey, ActorRow, actor_columns};
use crate::db::DbConn;
use crate::ids::{IntakeId, Json, PatientId, SubmissionId, UserId};
use crate::schema::{intake_flags, intake_pain_types, intake_submissions, intakes, users};
use crate::screening::policy::{Exam, Scores};
use crate::screening::safety::Assessment;

crate::sealed_row! {
    table intakes, row id;
    /// An intake as services see it. The documents (answers, notes, exam, scores, flags) are
    /// sealed at rest; the columns the worklist filters and sorts on stay in clear.
    #[derive(Debug, Clone)]
    pub struct IntakeRow;
    #[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
    #[diesel(table_name = intakes, treat_none_as_null = true, treat_none_as_default_value = false)]
    pub struct IntakeRecord {
        pub id: IntakeId,
        pub patient_id: PatientId,
        pub status: IntakeStatus,
        pub version: i64,
        pub created_by: UserId,
        pub created_on_behalf: bool,
        pub created_at: NaiveDateTime,
        pub updated_at: NaiveDateTime,
        pub submitted_at: Option<NaiveDateTime>,
        pub submission_count: i32,
        pub assigned_to: Option<UserId>,
        pub top_severity: Option<i32>,
        pub eligibility: Option<String>,
        pub pain_types: Option<String>,
        pub flag_codes: Option<String>,
        pub phq9_total: Option<i32>,
        pub gad7_total: Option<i32>,
        pub pain_average: Option<i32>,
        pub fm_result: Option<String>,
        pub crps_result: Option<String>,
    }
    sealed {
        pub sections: Json<Sections>,
    }
    sealed_opt {
        pub review_note: String,
        /// Clinician exam findings by instrument code, merged into the answers when scoring.
        pub exam: Json<Exam>,
        /// Current scores: the latest submission's, re-scored after an exam.
        pub scores: Json<Scores>,
        /// Current flags, MME and eligibility.
        pub assessment: Json<Assessment>,
    }
}

impl IntakeRow {
    /// A new draft: version 1, never submitted, nothing scored or indexed yet.
    pub fn draft(
        id: IntakeId,
        patient_id: PatientId,
        created_by: UserId,
        created_on_behalf: bool,
        sections: Json<Sections>,
        now: NaiveDateTime,
    ) -> Self {
        Self {
            id,
            patient_id,
            status: IntakeStatus::Draft,
            version: 1,
            sections,
            created_by,
            created_on_behalf,
            created_at: now,
            updated_at: now,
            submitted_at: None,
            submission_count: 0,
            assigned_to: None,
            top_severity: None,
            eligibility: None,
            pain_types: None,
            flag_codes: None,
            phq9_total: None,
            gad7_total: None,
            pain_average: None,
            fm_result: None,
            crps_result: None,
            review_note: None,
            exam: None,
            scores: None,
            assessment: None,
        }
    }
}

pub fn insert(conn: &mut DbConn, row: &IntakeRow) -> QueryResult<()> {
    diesel::insert_into(intakes::table)
        .values(row.seal()?)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: IntakeId) -> QueryResult<Option<IntakeRow>> {
    let found = intakes::table
        .find(id)
        .select(IntakeRecord::as_select())
        .first(conn)
        .optional()?;
    Ok(found.map(IntakeRecord::open).transpose()?)
}

/// The patient's newest draft, if any (an invitation reuses it rather than starting another).
pub fn open_draft(conn: &mut DbConn, patient: PatientId) -> QueryResult<Option<IntakeId>> {
    intakes::table
        .filter(intakes::patient_id.eq(patient))
        .filter(intakes::status.eq(IntakeStatus::Draft))
        .order((intakes::created_at.desc(), intakes::id.desc()))
        .select(intakes::id)
        .first(conn)
        .optional()
}

/// The status of each of `ids` that exists (a reminder asks whether its work is done).
pub fn statuses(conn: &mut DbConn, ids: &[IntakeId]) -> QueryResult<Vec<(IntakeId, IntakeStatus)>> {
    intakes::table
        .filter(intakes::id.eq_any(ids))
        .select((intakes::id, intakes::status))
        .load(conn)
}

/// The caller's row ([`actor_columns`]) and the intake, in one statement: `GET /intakes/{id}`,
/// the busiest read, then costs one round trip to the database besides its audit event.
pub fn find_with_actor(
    conn: &mut DbConn,
    key: ActorKey,
    id: IntakeId,
) -> QueryResult<Option<(ActorRow, Option<IntakeRow>)>> {
    let found: Option<(ActorRow, Option<IntakeRecord>)> = crate::on_backend!(conn, c => users::table
        .left_join(intakes::table.on(intakes::id.eq(id)))
        .filter(users::id.eq(key.user_id))
        .select((
            actor_columns(key.session_or_nil(), key.now),
            <Option<IntakeRecord>>::as_select(),
        ))
        .first(c)
        .optional())?;
    Ok(match found {
        Some((actor, intake)) => Some((actor, intake.map(IntakeRecord::open).transpose()?)),
        None => None,
    })
}

/// The row, for a change: on PostgreSQL it stays locked until the transaction ends, so that
/// concurrent writers of one intake queue and each sees the row the one before it left (an
/// `If-Match: *` PATCH applies on top instead of failing the version check). SQLite needs no
/// lock: a write transaction there already holds the database's only write lock.
pub fn find_for_update(conn: &mut DbConn, id: IntakeId) -> QueryResult<Option<IntakeRow>> {
    if let DbConn::Pg(c) = conn {
        let found = intakes::table
            .find(id)
            .select(IntakeRecord::as_select())
            .for_update()
            .first(c)
            .optional()?;
        return Ok(found.map(IntakeRecord::open).transpose()?);
    }
    find(conn, id)
}

crate::sealed_row! {
    table intakes, row id;
    /// An intake's current scores and when they were given (a course's outcome baseline).
    #[derive(Debug, Clone)]
    pub struct ScoresRow;
    #[derive(Debug, Clone, Queryable, Selectable)]
    #[diesel(table_name = intakes)]
    pub struct ScoresRecord {
        pub id: IntakeId,
        pub submitted_at: Option<NaiveDateTime>,
        pub created_at: NaiveDateTime,
    }
    sealed {}
    sealed_opt {
        pub scores: Json<Scores>,
    }
}

/// [`ScoresRow`] of an intake, without loading its documents.
pub fn scores_of(conn: &mut DbConn, id: IntakeId) -> QueryResult<Option<ScoresRow>> {
    let found = intakes::table
        .find(id)
        .select(ScoresRecord::as_select())
        .first(conn)
        .optional()?;
    Ok(found.map(ScoresRecord::open).transpose()?)
}

/// The stored version of an intake (to report in a 412).
pub fn current_version(conn: &mut DbConn, id: IntakeId) -> QueryResult<Option<i64>> {
    intakes::table.find(id).select(intakes::version).first(conn).optional()
}

/// Writes `row` only if the stored version is still `expected`; returns whether it did.
pub fn update_if_version(conn: &mut DbConn, row: &IntakeRow, expected: i64) -> QueryResult<bool> {
    let n = diesel::update(
        intakes::table
            .filter(intakes::id.eq(row.id))
            .filter(intakes::version.eq(expected)),
    )
    .set(row.seal()?)
    .execute(conn)?;
    Ok(n == 1)
}

/// Removes a never-submitted draft and its child rows.
pub fn delete_draft(conn: &mut DbConn, id: IntakeId) -> QueryResult<bool> {
    diesel::delete(intake_pain_types::table.filter(intake_pain_types::intake_id.eq(id))).execute(conn)?;
    diesel::delete(intake_flags::table.filter(intake_flags::intake_id.eq(id))).execute(conn)?;
    let n = diesel::delete(
        intakes::table
            .filter(intakes::id.eq(id))
            .filter(intakes::status.eq(IntakeStatus::Draft))
            .filter(intakes::submission_count.eq(0)),
    )
    .execute(conn)?;
    Ok(n == 1)
}

/// Replaces the worklist child rows (pain types and flags) of an intake.
pub fn replace_index_rows(
    conn: &mut DbConn,
    id: IntakeId,
    pain_types: &[String],
    flags: &[(String, i32)],
) -> QueryResult<()> {
    diesel::delete(intake_pain_types::table.filter(intake_pain_types::intake_id.eq(id))).execute(conn)?;
    diesel::delete(intake_flags::table.filter(intake_flags::intake_id.eq(id))).execute(conn)?;
    let types: Vec<_> = pain_types
        .iter()
        .map(|t| (intake_pain_types::pain_type.eq(t), intake_pain_types::intake_id.eq(id)))
        .collect();
    if !types.is_empty() {
        crate::on_backend!(conn, c => diesel::insert_into(intake_pain_types::table).values(&types).execute(c))?;
    }
    let flags: Vec<_> = flags
        .iter()
        .map(|(code, sev)| {
            (
                intake_flags::code.eq(code),
                intake_flags::intake_id.eq(id),
                intake_flags::severity.eq(*sev),
            )
        })
        .collect();
    if !flags.is_empty() {
        crate::on_backend!(conn, c => diesel::insert_into(intake_flags::table).values(&flags).execute(c))?;
    }
    Ok(())
}

crate::sealed_row! {
    table intake_submissions, row id;
    /// An immutable snapshot of one submission and what the server computed from it.
    #[derive(Debug, Clone)]
    pub struct SubmissionRow;
    #[derive(Debug, Clone, Queryable, Selectable, Insertable)]
    #[diesel(table_name = intake_submissions)]
    pub struct SubmissionRecord {
        pub id: SubmissionId,
        pub intake_id: IntakeId,
        pub seq: i32,
        pub submitted_at: NaiveDateTime,
        pub submitted_by: UserId,
    }
    sealed {
        pub sections: Json<Sections>,
        pub scores: Json<Scores>,
        pub assessment: Json<Assessment>,
    }
    sealed_opt {}
}

pub fn insert_submission(conn: &mut DbConn, row: &SubmissionRow) -> QueryResult<()> {
    diesel::insert_into(intake_submissions::table)
        .values(row.seal()?)
        .execute(conn)
        .map(|_| ())
}

pub fn submissions(conn: &mut DbConn, intake_id: IntakeId) -> QueryResult<Vec<SubmissionRow>> {
    let found: Vec<SubmissionRecord> = intake_submissions::table
        .filter(intake_submissions::intake_id.eq(intake_id))
        .order(intake_submissions::seq.asc())
        .select(SubmissionRecord::as_select())
        .load(conn)?;
    Ok(found
        .into_iter()
        .map(SubmissionRecord::open)
        .collect::<Result<_, _>>()?)
}

/// The sections of the patient's most recent submission (to pre-fill a new draft).
pub fn latest_submitted_sections(conn: &mut DbConn, patient_id: PatientId) -> QueryResult<Option<Json<Sections>>> {
    let found: Option<(SubmissionId, String)> = intake_submissions::table
        .inner_join(intakes::table)
        .filter(intakes::patient_id.eq(patient_id))
        .order(intake_submissions::submitted_at.desc())
        .select((intake_submissions::id, intake_submissions::sections))
        .first(conn)
        .optional()?;
    let Some((id, stored)) = found else { return Ok(None) };
    let row = id.to_string();
    let place = crate::vault::Place {
        table: "intake_submissions",
        row: &row,
        column: "sections",
    };
    Ok(Some(crate::vault::sealed::open_value(&stored, place)?))
}

/// The columns a list needs (never the large documents).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = intakes)]
pub struct SummaryRow {
    pub id: IntakeId,
    pub patient_id: PatientId,
    pub status: IntakeStatus,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub assigned_to: Option<UserId>,
    pub top_severity: Option<i32>,
    pub eligibility: Option<String>,
    pub pain_types: Option<String>,
    pub flag_codes: Option<String>,
    pub phq9_total: Option<i32>,
    pub gad7_total: Option<i32>,
    pub pain_average: Option<i32>,
    pub fm_result: Option<String>,
    pub crps_result: Option<String>,
}
