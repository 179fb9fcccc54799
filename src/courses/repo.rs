//! Every query of the courses feature: courses, their flags, sessions, check-ins and outcomes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::protocol::Protocol;
use super::status::{CheckinKind, CheckinStatus, CourseStatus, EndReason, Indication, SessionStatus};
use crate::courses::session::blocks::SessionBlocks;
use crate::db::DbConn;
use crate::ids::{CheckinId, CourseId, InfusionId, IntakeId, Json, PatientId, UserId};
use crate::patients::repo::{self as patients_repo, NameMatch, is_true};
use crate::schema::{checkins, course_flags, course_outcomes, course_sessions, courses, patient_name_tokens};
use crate::screening::model::Flag;
use crate::screening::policy::{Answers, Scores};

crate::sealed_row! {
    table courses, row id;
    /// A course as services see it; its free-text notes are sealed at rest.
    #[derive(Debug, Clone)]
    pub struct CourseRow;
    #[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
    #[diesel(table_name = courses, treat_none_as_null = true)]
    pub struct CourseRecord {
        pub id: CourseId,
        pub patient_id: PatientId,
        pub intake_id: IntakeId,
        pub status: CourseStatus,
        pub version: i64,
        pub planned_sessions: i32,
        pub sessions_completed: i32,
        pub next_session_at: Option<NaiveDateTime>,
        pub top_severity: Option<i32>,
        pub flag_codes: Option<String>,
        pub created_by: UserId,
        pub created_at: NaiveDateTime,
        pub updated_at: NaiveDateTime,
        pub ended_at: Option<NaiveDateTime>,
        pub end_reason: Option<EndReason>,
        pub indications: Json<Vec<Indication>>,
        pub protocol: Json<Protocol>,
        /// The earliest `due_by` of its open check-ins (`checkins=overdue` compares it with now).
        pub next_due_by: Option<NaiveDateTime>,
    }
    sealed {}
    sealed_opt {
        pub end_note: String,
        pub notes: String,
    }
}

crate::sealed_row! {
    table course_sessions, row id;
    /// An infusion session; its record (vitals, doses, events) and notes are sealed at rest.
    #[derive(Debug, Clone)]
    pub struct SessionRow;
    #[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
    #[diesel(table_name = course_sessions, treat_none_as_null = true)]
    pub struct SessionRecord {
        pub id: InfusionId,
        pub course_id: CourseId,
        pub patient_id: PatientId,
        pub status: SessionStatus,
        pub version: i64,
        pub scheduled_at: NaiveDateTime,
        pub created_by: UserId,
        pub created_at: NaiveDateTime,
        pub updated_at: NaiveDateTime,
        pub completed_at: Option<NaiveDateTime>,
        pub cancelled_at: Option<NaiveDateTime>,
        pub flags: Json<Vec<Flag>>,
    }
    sealed {
        pub blocks: Json<SessionBlocks>,
    }
    sealed_opt {
        pub cancel_reason: String,
        pub staff_notes: String,
    }
}

crate::sealed_row! {
    table checkins, row id;
    /// A check-in; its answers and scores are sealed at rest.
    #[derive(Debug, Clone)]
    pub struct CheckinRow;
    #[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
    #[diesel(table_name = checkins, treat_none_as_null = true)]
    pub struct CheckinRecord {
        pub id: CheckinId,
        pub course_id: CourseId,
        pub patient_id: PatientId,
        pub session_id: Option<InfusionId>,
        pub kind: CheckinKind,
        pub day_offset: Option<i32>,
        /// `due`, `completed` or `cancelled` (never `missed`: that is `due` past `due_by`).
        pub status: CheckinStatus,
        pub version: i64,
        pub due_from: NaiveDateTime,
        pub due_by: NaiveDateTime,
        pub top_severity: Option<i32>,
        pub late: bool,
        pub created_at: NaiveDateTime,
        pub updated_at: NaiveDateTime,
        pub completed_at: Option<NaiveDateTime>,
        pub completed_by: Option<UserId>,
        pub instruments: Json<Vec<String>>,
        pub flags: Option<Json<Vec<Flag>>>,
    }
    sealed {}
    sealed_opt {
        pub answers: Json<Answers>,
        pub scores: Json<Scores>,
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = course_outcomes)]
pub struct OutcomeRow {
    pub course_id: CourseId,
    pub instrument: String,
    pub classification: String,
    pub rule_set: String,
    pub updated_at: NaiveDateTime,
    pub outcome: Json<super::api::CourseOutcome>,
}

/// The columns a course list needs, with the patient's name.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = courses)]
pub struct CourseListRow {
    pub id: CourseId,
    pub patient_id: PatientId,
    pub status: CourseStatus,
    pub planned_sessions: i32,
    pub sessions_completed: i32,
    pub next_session_at: Option<NaiveDateTime>,
    pub top_severity: Option<i32>,
    pub flag_codes: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub indications: Json<Vec<Indication>>,
}

/// Course-list filters, already validated.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub patient_id: Option<PatientId>,
    pub status: Option<CourseStatus>,
    pub flag: Option<String>,
    pub outcome: Option<(String, String)>,
    /// Only courses with a check-in due before this time and not answered.
    pub overdue_at: Option<NaiveDateTime>,
    pub name_words: Vec<String>,
    /// How `name_words` are matched (see the worklist's).
    pub names: NameMatch,
}

impl Filter {
    /// The filter by its wire values, for the cursor's fingerprint (the overdue time is left out:
    /// it moves with the clock, and only its presence is the client's choice).
    pub fn key(&self) -> String {
        [
            self.patient_id.map(|p| p.to_string()).unwrap_or_default(),
            self.status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            self.flag.clone().unwrap_or_default(),
            self.outcome
                .as_ref()
                .map(|(i, c)| format!("{i}:{c}"))
                .unwrap_or_default(),
            self.overdue_at.map(|_| "overdue".to_owned()).unwrap_or_default(),
            self.name_words.join(","),
        ]
        .join("|")
    }
}

// Correlated EXISTS, as in the worklist: the planner walks the course index in page order and
// checks each candidate by key.
#[diesel::dsl::auto_type(no_type_alias)]
fn with_flag(code: String) -> _ {
    diesel::dsl::exists(
        course_flags::table
            .filter(course_flags::code.eq(code))
            .filter(course_flags::course_id.eq(courses::id)),
    )
}

#[diesel::dsl::auto_type(no_type_alias)]
fn with_outcome(instrument: String, classification: String) -> _ {
    diesel::dsl::exists(
        course_outcomes::table
            .filter(course_outcomes::instrument.eq(instrument))
            .filter(course_outcomes::classification.eq(classification))
            .filter(course_outcomes::course_id.eq(courses::id)),
    )
}

#[diesel::dsl::auto_type(no_type_alias)]
fn with_name_word(tokens: Vec<String>) -> _ {
    diesel::dsl::exists(
        patient_name_tokens::table
            .filter(patient_name_tokens::patient_id.eq(courses::patient_id))
            .filter(patient_name_tokens::token.eq_any(tokens)),
    )
}

#[diesel::dsl::auto_type(no_type_alias)]
fn in_name_set(tokens: Vec<String>) -> _ {
    is_true(
        courses::patient_id.eq_any(
            patient_name_tokens::table
                .filter(patient_name_tokens::token.eq_any(tokens))
                .select(patient_name_tokens::patient_id),
        ),
    )
}

/// One page of courses, newest first (one extra row to know if there is a next page).
pub fn list(
    conn: &mut DbConn,
    f: &Filter,
    after: Option<(NaiveDateTime, CourseId)>,
    limit: i64,
) -> QueryResult<Vec<(CourseListRow, String, String)>> {
    let mut q = courses::table.select(CourseListRow::as_select()).into_boxed();
    if let Some(p) = f.patient_id {
        q = q.filter(courses::patient_id.eq(p));
    }
    if let Some(s) = f.status {
        q = q.filter(courses::status.eq(s));
    }
    if let Some(ids) = &f.names.patients {
        q = q.filter(courses::patient_id.eq_any(ids.clone()));
    }
    if let Some(code) = &f.flag {
        q = q.filter(with_flag(code.clone()));
    }
    if let Some((instrument, class)) = &f.outcome {
        q = q.filter(with_outcome(instrument.clone(), class.clone()));
    }
    if let Some(at) = f.overdue_at {
        q = q.filter(courses::next_due_by.lt(at));
    }
    for word in &f.names.words {
        q = if word.as_set {
            q.filter(in_name_set(word.tokens.clone()))
        } else {
            q.filter(with_name_word(word.tokens.clone()))
        };
    }
    if let Some((t, id)) = after {
        q = q.filter(
            courses::created_at
                .lt(t)
                .or(courses::created_at.eq(t).and(courses::id.lt(id))),
        );
    }
    let rows: Vec<CourseListRow> = q
        .order((courses::created_at.desc(), courses::id.desc()))
        .limit(limit + 1)
        .load(conn)?;
    patients_repo::with_names(conn, rows, |r| r.patient_id)
}

pub fn insert_course(conn: &mut DbConn, row: &CourseRow) -> QueryResult<()> {
    diesel::insert_into(courses::table)
        .values(row.seal()?)
        .execute(conn)
        .map(|_| ())
}

pub fn find_course(conn: &mut DbConn, id: CourseId) -> QueryResult<Option<CourseRow>> {
    let found = courses::table
        .find(id)
        .select(CourseRecord::as_select())
        .first(conn)
        .optional()?;
    Ok(found.map(CourseRecord::open).transpose()?)
}

/// The row, for a change: locked on PostgreSQL until the transaction ends (SQLite's write
/// transaction already holds its only write lock).
pub fn find_course_for_update(conn: &mut DbConn, id: CourseId) -> QueryResult<Option<CourseRow>> {
    if let DbConn::Pg(c) = conn {
        let found = courses::table
            .find(id)
            .select(CourseRecord::as_select())
            .for_update()
            .first(c)
            .optional()?;
        return Ok(found.map(CourseRecord::open).transpose()?);
    }
    find_course(conn, id)
}

/// The patient's active course, if any.
pub fn active_course(conn: &mut DbConn, patient_id: PatientId) -> QueryResult<Option<CourseId>> {
    courses::table
        .filter(courses::patient_id.eq(patient_id))
        .filter(courses::status.eq(CourseStatus::Active))
        .select(courses::id)
        .first(conn)
        .optional()
}

/// Writes `row` only if the stored version is still `expected`.
pub fn update_course_if_version(conn: &mut DbConn, row: &CourseRow, expected: i64) -> QueryResult<bool> {
    let n = diesel::update(
        courses::table
            .filter(courses::id.eq(row.id))
            .filter(courses::version.eq(expected)),
    )
    .set(row.seal()?)
    .execute(conn)?;
    Ok(n == 1)
}

/// The flags a source (a session or a check-in) contributes to its course, replaced whole.
pub fn replace_course_flags(
    conn: &mut DbConn,
    course_id: CourseId,
    source_id: &str,
    flags: &[(String, i32)],
) -> QueryResult<()> {
    diesel::delete(
        course_flags::table
            .filter(course_flags::course_id.eq(course_id))
            .filter(course_flags::source_id.eq(source_id)),
    )
    .execute(conn)?;
    let rows: Vec<_> = flags
        .iter()
        .map(|(code, severity)| {
            (
                course_flags::course_id.eq(course_id),
                course_flags::source_id.eq(source_id),
                course_flags::code.eq(code),
                course_flags::severity.eq(*severity),
            )
        })
        .collect();
    if !rows.is_empty() {
        crate::on_backend!(conn, c => diesel::insert_into(course_flags::table).values(&rows).execute(c))?;
    }
    Ok(())
}

/// Every (code, severity) on the course, most severe first.
pub fn course_flag_codes(conn: &mut DbConn, course_id: CourseId) -> QueryResult<Vec<(String, i32)>> {
    course_flags::table
        .filter(course_flags::course_id.eq(course_id))
        .select((course_flags::code, course_flags::severity))
        .order((course_flags::severity.desc(), course_flags::code.asc()))
        .load(conn)
}

pub fn insert_session(conn: &mut DbConn, row: &SessionRow) -> QueryResult<()> {
    diesel::insert_into(course_sessions::table)
        .values(row.seal()?)
        .execute(conn)
        .map(|_| ())
}

pub fn find_session(conn: &mut DbConn, id: InfusionId) -> QueryResult<Option<SessionRow>> {
    let found = course_sessions::table
        .find(id)
        .select(SessionRecord::as_select())
        .first(conn)
        .optional()?;
    Ok(found.map(SessionRecord::open).transpose()?)
}

pub fn find_session_for_update(conn: &mut DbConn, id: InfusionId) -> QueryResult<Option<SessionRow>> {
    if let DbConn::Pg(c) = conn {
        let found = course_sessions::table
            .find(id)
            .select(SessionRecord::as_select())
            .for_update()
            .first(c)
            .optional()?;
        return Ok(found.map(SessionRecord::open).transpose()?);
    }
    find_session(conn, id)
}

pub fn update_session_if_version(conn: &mut DbConn, row: &SessionRow, expected: i64) -> QueryResult<bool> {
    let n = diesel::update(
        course_sessions::table
            .filter(course_sessions::id.eq(row.id))
            .filter(course_sessions::version.eq(expected)),
    )
    .set(row.seal()?)
    .execute(conn)?;
    Ok(n == 1)
}

/// A course's sessions by `scheduled_at`.
pub fn sessions_of(conn: &mut DbConn, course_id: CourseId) -> QueryResult<Vec<SessionRow>> {
    let found: Vec<SessionRecord> = course_sessions::table
        .filter(course_sessions::course_id.eq(course_id))
        .order((course_sessions::scheduled_at.asc(), course_sessions::id.asc()))
        .select(SessionRecord::as_select())
        .load(conn)?;
    Ok(found.into_iter().map(SessionRecord::open).collect::<Result<_, _>>()?)
}

/// The earliest `due_by` of a course's open check-ins.
pub fn next_due_by(conn: &mut DbConn, course_id: CourseId) -> QueryResult<Option<NaiveDateTime>> {
    checkins::table
        .filter(checkins::course_id.eq(course_id))
        .filter(checkins::status.eq(CheckinStatus::Due))
        .select(diesel::dsl::min(checkins::due_by))
        .first(conn)
}

/// The earliest planned session of a course.
pub fn next_planned(conn: &mut DbConn, course_id: CourseId) -> QueryResult<Option<NaiveDateTime>> {
    course_sessions::table
        .filter(course_sessions::course_id.eq(course_id))
        .filter(course_sessions::status.eq(SessionStatus::Planned))
        .select(diesel::dsl::min(course_sessions::scheduled_at))
        .first(conn)
}

pub fn count_completed_sessions(conn: &mut DbConn, course_id: CourseId) -> QueryResult<i64> {
    course_sessions::table
        .filter(course_sessions::course_id.eq(course_id))
        .filter(course_sessions::status.eq(SessionStatus::Completed))
        .count()
        .get_result(conn)
}

pub fn insert_checkins(conn: &mut DbConn, rows: &[CheckinRow]) -> QueryResult<()> {
    for row in rows {
        diesel::insert_into(checkins::table).values(row.seal()?).execute(conn)?;
    }
    Ok(())
}

pub fn find_checkin(conn: &mut DbConn, id: CheckinId) -> QueryResult<Option<CheckinRow>> {
    let found = checkins::table
        .find(id)
        .select(CheckinRecord::as_select())
        .first(conn)
        .optional()?;
    Ok(found.map(CheckinRecord::open).transpose()?)
}

pub fn find_checkin_for_update(conn: &mut DbConn, id: CheckinId) -> QueryResult<Option<CheckinRow>> {
    if let DbConn::Pg(c) = conn {
        let found = checkins::table
            .find(id)
            .select(CheckinRecord::as_select())
            .for_update()
            .first(c)
            .optional()?;
        return Ok(found.map(CheckinRecord::open).transpose()?);
    }
    find_checkin(conn, id)
}

pub fn update_checkin_if_version(conn: &mut DbConn, row: &CheckinRow, expected: i64) -> QueryResult<bool> {
    let n = diesel::update(
        checkins::table
            .filter(checkins::id.eq(row.id))
            .filter(checkins::version.eq(expected)),
    )
    .set(row.seal()?)
    .execute(conn)?;
    Ok(n == 1)
}

/// A course's check-ins by `due_by`.
/// Check-ins still due whose `due_by` falls in `(from, to]` (the check-in reminder's window).
pub fn due_between(conn: &mut DbConn, from: NaiveDateTime, to: NaiveDateTime) -> QueryResult<Vec<CheckinRow>> {
    let found: Vec<CheckinRecord> = checkins::table
        .filter(checkins::status.eq(CheckinStatus::Due))
        .filter(checkins::due_by.gt(from))
        .filter(checkins::due_by.le(to))
        .select(CheckinRecord::as_select())
        .load(conn)?;
    Ok(found.into_iter().map(CheckinRecord::open).collect::<Result<_, _>>()?)
}

pub fn checkins_of(conn: &mut DbConn, course_id: CourseId) -> QueryResult<Vec<CheckinRow>> {
    let found: Vec<CheckinRecord> = checkins::table
        .filter(checkins::course_id.eq(course_id))
        .order((checkins::due_by.asc(), checkins::id.asc()))
        .select(CheckinRecord::as_select())
        .load(conn)?;
    Ok(found.into_iter().map(CheckinRecord::open).collect::<Result<_, _>>()?)
}

/// The patient's check-ins still open (`due`, including those past `due_by`), soonest first.
pub fn open_checkins_of_patient(conn: &mut DbConn, patient_id: PatientId) -> QueryResult<Vec<CheckinRow>> {
    let found: Vec<CheckinRecord> = checkins::table
        .filter(checkins::patient_id.eq(patient_id))
        .filter(checkins::status.eq(CheckinStatus::Due))
        .order((checkins::due_by.asc(), checkins::id.asc()))
        .select(CheckinRecord::as_select())
        .load(conn)?;
    Ok(found.into_iter().map(CheckinRecord::open).collect::<Result<_, _>>()?)
}

/// The pre-session check-in of a session.
pub fn checkin_of_session(conn: &mut DbConn, session_id: InfusionId) -> QueryResult<Option<CheckinRow>> {
    let found = checkins::table
        .filter(checkins::session_id.eq(session_id))
        .select(CheckinRecord::as_select())
        .first(conn)
        .optional()?;
    Ok(found.map(CheckinRecord::open).transpose()?)
}

/// Cancels a course's open check-ins of `kind` (optionally only one session's); returns how many.
pub fn cancel_open_checkins(
    conn: &mut DbConn,
    course_id: CourseId,
    session_id: Option<InfusionId>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let mut q = diesel::update(checkins::table)
        .filter(checkins::course_id.eq(course_id))
        .filter(checkins::status.eq(CheckinStatus::Due))
        .filter(checkins::kind.eq(CheckinKind::PreSession))
        .into_boxed();
    if let Some(s) = session_id {
        q = q.filter(checkins::session_id.eq(s));
    }
    q.set((
        checkins::status.eq(CheckinStatus::Cancelled),
        checkins::version.eq(checkins::version + 1),
        checkins::updated_at.eq(now),
    ))
    .execute(conn)
}

crate::sealed_row! {
    table checkins, row id;
    /// What the outcomes need of a completed check-in (not its answers).
    #[derive(Debug, Clone)]
    pub struct MeasuredRow;
    #[derive(Debug, Clone, Queryable, Selectable)]
    #[diesel(table_name = checkins)]
    pub struct MeasuredRecord {
        pub id: CheckinId,
        pub kind: CheckinKind,
        pub completed_at: Option<NaiveDateTime>,
        pub updated_at: NaiveDateTime,
    }
    sealed {}
    sealed_opt {
        pub scores: Json<Scores>,
    }
}

/// A course's completed check-ins as measurements, oldest answer first.
pub fn measurements(conn: &mut DbConn, course_id: CourseId) -> QueryResult<Vec<MeasuredRow>> {
    let found: Vec<MeasuredRecord> = checkins::table
        .filter(checkins::course_id.eq(course_id))
        .filter(checkins::status.eq(CheckinStatus::Completed))
        .order((checkins::completed_at.asc(), checkins::id.asc()))
        .select(MeasuredRecord::as_select())
        .load(conn)?;
    Ok(found.into_iter().map(MeasuredRecord::open).collect::<Result<_, _>>()?)
}

/// A course's completed check-ins, oldest answer first (the FHIR export).
pub fn completed_checkins(conn: &mut DbConn, course_id: CourseId) -> QueryResult<Vec<CheckinRow>> {
    let found: Vec<CheckinRecord> = checkins::table
        .filter(checkins::course_id.eq(course_id))
        .filter(checkins::status.eq(CheckinStatus::Completed))
        .order((checkins::completed_at.asc(), checkins::id.asc()))
        .select(CheckinRecord::as_select())
        .load(conn)?;
    Ok(found.into_iter().map(CheckinRecord::open).collect::<Result<_, _>>()?)
}

/// Replaces a course's outcomes.
pub fn replace_outcomes(conn: &mut DbConn, course_id: CourseId, rows: &[OutcomeRow]) -> QueryResult<()> {
    diesel::delete(course_outcomes::table.filter(course_outcomes::course_id.eq(course_id))).execute(conn)?;
    if !rows.is_empty() {
        // One statement for every instrument (a round trip each on PostgreSQL otherwise).
        crate::on_backend!(conn, c => diesel::insert_into(course_outcomes::table).values(rows).execute(c))?;
    }
    Ok(())
}

pub fn outcomes_of(conn: &mut DbConn, course_id: CourseId) -> QueryResult<Vec<OutcomeRow>> {
    course_outcomes::table
        .filter(course_outcomes::course_id.eq(course_id))
        .order(course_outcomes::instrument.asc())
        .select(OutcomeRow::as_select())
        .load(conn)
}
