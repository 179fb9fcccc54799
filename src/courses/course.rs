//! Courses: start one from an approved intake, read, list, end, and the bookkeeping every change
//! below a course does (its counts, next session, flags and version).

use std::collections::BTreeMap;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::{Value, json};
use uuid::Uuid;

use super::access;
use super::api::{
    CourseFlag, CourseListQuery, CourseOutcome, CourseResponse, CourseSummary, CreateCourseRequest, EndCourseRequest,
    OutcomesResponse,
};
use super::outcome;
use super::repo::{self, CourseListRow, CourseRow, Filter};
use super::status::{CheckinKind, CourseStatus};
use crate::audit::event::{self as audit, AuditEvent};
use crate::auth::domain::Role;
use crate::clock;
use crate::config::CourseSettings;
use crate::courses::checkin::schedule;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::http::etag::IfMatch;
use crate::http::pagination::{self, CursorCodec, Page, Paged};
use crate::ids::{CourseId, IntakeId, Json, PatientId};
use crate::intake::access as intake_access;
use crate::intake::status::IntakeStatus;
use crate::outreach::webhooks::model::WebhookEvent;
use crate::outreach::webhooks::service as webhooks;
use crate::screening::model::{Flag, Severity};
use crate::screening::policy::ScreeningConfig;
use crate::state::{Audited, Caller};
use crate::text::NameSearch;

/// A new course for the patient of an approved intake; at most one active course per patient.
pub fn create(conn: &mut DbConn, caller: &Caller, req: CreateCourseRequest) -> Result<CourseResponse, ApiError> {
    caller.actor.require_staff()?;
    let intake = intake_access::staff_for_update(conn, caller, IntakeId::from(req.intake_id), "course.create")?;
    if intake.status != IntakeStatus::Approved {
        return Err(ApiError::conflict(format!(
            "a course starts from an approved intake; this one is {}",
            intake.status.as_str()
        )));
    }
    if let Some(active) = repo::active_course(conn, intake.patient_id)? {
        return Err(active_conflict(active));
    }
    let now = clock::now();
    let row = CourseRow {
        id: CourseId::new(),
        patient_id: intake.patient_id,
        intake_id: intake.id,
        status: CourseStatus::Active,
        version: 1,
        planned_sessions: req.planned_sessions,
        sessions_completed: 0,
        next_session_at: None,
        top_severity: None,
        flag_codes: None,
        created_by: caller.actor.user_id,
        created_at: now,
        updated_at: now,
        ended_at: None,
        end_reason: None,
        end_note: None,
        indications: Json::new(&req.indications)?,
        protocol: Json::new(&req.protocol)?,
        notes: req.notes,
        next_due_by: None,
    };
    match repo::insert_course(conn, &row) {
        // Two starts at once: the database's one-active-course index refuses the second.
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            let active = repo::active_course(conn, row.patient_id)?.unwrap_or(row.id);
            return Err(active_conflict(active));
        }
        other => other?,
    }
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("course.create", "course", row.id).patient(row.patient_id)],
    )?;
    let data = json!({"course_id": row.id, "patient_id": row.patient_id, "intake_id": row.intake_id, "status": row.status.as_str()});
    webhooks::emit(conn, WebhookEvent::CourseCreated, data, now)?;
    response(conn, caller, row)
}

fn active_conflict(active: CourseId) -> ApiError {
    ApiError::conflict(format!(
        "the patient already has an active course ({active}); end it before starting another"
    ))
}

/// The course as its reader may see it (staff notes only for staff).
pub fn response(conn: &mut DbConn, caller: &Caller, row: CourseRow) -> Result<CourseResponse, ApiError> {
    let mut flags = Vec::new();
    for s in repo::sessions_of(conn, row.id)? {
        flags.extend(s.flags.get()?.into_iter().map(|flag| CourseFlag {
            flag,
            session_id: Some(s.id.into()),
            checkin_id: None,
        }));
    }
    for c in repo::checkins_of(conn, row.id)? {
        let Some(list) = &c.flags else { continue };
        flags.extend(
            list.get()?
                .into_iter()
                .filter(|f| f.severity == Severity::Urgent)
                .map(|flag| CourseFlag {
                    flag,
                    session_id: None,
                    checkin_id: Some(c.id.into()),
                }),
        );
    }
    flags.sort_by_key(|f| std::cmp::Reverse(f.flag.severity));
    let outcomes = stored_outcomes(conn, row.id)?;
    let staff = caller.actor.is_staff();
    Ok(CourseResponse {
        id: row.id.into(),
        patient_id: row.patient_id.into(),
        intake_id: row.intake_id.into(),
        status: row.status,
        indications: row.indications.get()?,
        planned_sessions: row.planned_sessions,
        protocol: row.protocol.get()?,
        sessions_completed: row.sessions_completed,
        next_session_at: row.next_session_at.map(clock::utc),
        flags,
        outcomes,
        notes: row.notes.filter(|_| staff),
        version: row.version,
        created_at: clock::utc(row.created_at),
        updated_at: clock::utc(row.updated_at),
        ended_at: row.ended_at.map(clock::utc),
        end_reason: row.end_reason,
        end_note: row.end_note.filter(|_| staff),
    })
}

fn stored_outcomes(conn: &mut DbConn, id: CourseId) -> Result<BTreeMap<String, CourseOutcome>, ApiError> {
    repo::outcomes_of(conn, id)?
        .into_iter()
        .map(|o| Ok((o.instrument, o.outcome.get()?)))
        .collect()
}

pub fn get(conn: &mut DbConn, caller: &Caller, id: CourseId) -> Result<Audited<CourseResponse>, ApiError> {
    let row = access::course(conn, caller, id, "course.read")?;
    let event = AuditEvent::new("course.read", "course", id).patient(row.patient_id);
    Ok(Audited::new(response(conn, caller, row)?, vec![event]))
}

/// Ends an active course: `completed` or `stopped` by the reason; its open pre-session check-ins
/// are cancelled and the follow-ups scheduled from now.
pub fn end(
    conn: &mut DbConn,
    caller: &Caller,
    id: CourseId,
    if_match: IfMatch,
    req: EndCourseRequest,
    settings: &CourseSettings,
    screening: &ScreeningConfig,
) -> Result<CourseResponse, ApiError> {
    let mut row = access::staff_course_for_update(conn, caller, id, "course.end")?;
    if_match.check(row.version)?;
    if row.status != CourseStatus::Active {
        return Err(ApiError::conflict(format!(
            "the course has already ended ({})",
            row.status.as_str()
        )));
    }
    let now = clock::now();
    repo::cancel_open_checkins(conn, row.id, None, now)?;
    let followups = schedule::follow_ups(&row, now, settings, screening)?;
    repo::insert_checkins(conn, &followups)?;
    row.status = req.reason.status();
    row.ended_at = Some(now);
    row.end_reason = Some(req.reason);
    row.end_note = req.note;
    refresh(conn, &mut row)?;
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("course.end", "course", row.id).patient(row.patient_id)],
    )?;
    response(conn, caller, row)
}

/// After a change below the course: recounts its sessions, finds its next session and its next
/// check-in deadline, gathers its flags, and writes it with a new version (its representation
/// changed).
pub fn refresh(conn: &mut DbConn, row: &mut CourseRow) -> Result<(), ApiError> {
    let expected = row.version;
    row.sessions_completed = i32::try_from(repo::count_completed_sessions(conn, row.id)?).unwrap_or(i32::MAX);
    row.next_session_at = if row.status == CourseStatus::Active {
        repo::next_planned(conn, row.id)?
    } else {
        None
    };
    row.next_due_by = repo::next_due_by(conn, row.id)?;
    let flags = repo::course_flag_codes(conn, row.id)?;
    row.top_severity = flags.iter().map(|(_, s)| *s).max();
    let mut codes: Vec<String> = flags.into_iter().map(|(c, _)| c).collect();
    codes.dedup();
    row.flag_codes = (!codes.is_empty()).then(|| codes.join(","));
    row.version += 1;
    row.updated_at = clock::now();
    if !repo::update_course_if_version(conn, row, expected)? {
        return Err(ApiError::PreconditionFailed {
            current_version: expected,
        });
    }
    Ok(())
}

/// A course's flags from one source (a session, or a check-in's urgent flags), replaced whole.
pub fn set_flags(conn: &mut DbConn, course: CourseId, source: impl ToString, flags: &[Flag]) -> Result<(), ApiError> {
    let mut rows: Vec<(String, i32)> = flags.iter().map(|f| (f.code.clone(), f.severity.rank())).collect();
    rows.sort();
    rows.dedup_by(|a, b| a.0 == b.0);
    repo::replace_course_flags(conn, course, &source.to_string(), &rows)?;
    Ok(())
}

/// `GET /courses`: a patient's own, or the clinic's list for staff, newest first.
pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    q: &CourseListQuery,
    codec: &CursorCodec,
) -> Result<Audited<Page<CourseSummary>>, ApiError> {
    let mut filter = Filter {
        patient_id: q.patient_id.map(PatientId::from),
        status: q.status,
        flag: q.flag.clone(),
        overdue_at: q.checkins.map(|_| clock::now()),
        ..Filter::default()
    };
    if let Some(o) = &q.outcome {
        let Some((instrument, class)) = o.split_once(':').filter(|(i, c)| !i.is_empty() && !c.is_empty()) else {
            return Err(ApiError::invalid(
                "outcome",
                "invalid_value",
                "write <instrument>:<classification>, e.g. phq9:no_response",
            ));
        };
        filter.outcome = Some((instrument.to_owned(), class.to_owned()));
    }
    filter.name_words = match NameSearch::parse(q.q.as_deref()) {
        NameSearch::All => Vec::new(),
        NameSearch::Words(words) => words,
        NameSearch::Nothing => return Ok(Audited::new(Page::empty(), Vec::new())),
    };
    filter.names = crate::patients::repo::name_match(conn, &filter.name_words)?;
    if filter.names.patients.as_ref().is_some_and(Vec::is_empty) {
        return Ok(Audited::new(Page::empty(), Vec::new()));
    }
    if caller.actor.role == Role::Patient {
        match caller.actor.patient_id {
            Some(own) if filter.patient_id.is_none_or(|p| p == own) => filter.patient_id = Some(own),
            _ => return Ok(Audited::new(Page::empty(), Vec::new())),
        }
    }
    let query_key = format!("courses|{}", filter.key());
    let after: Option<(chrono::NaiveDateTime, CourseId)> = codec.after(&query_key, q)?;
    let limit = q.limit();
    let rows = repo::list(conn, &filter, after, limit)?;
    let staff = caller.actor.is_staff();
    let page = pagination::finish_page(
        rows,
        limit,
        codec,
        &query_key,
        |(r, _, _): &(CourseListRow, String, String)| serde_json::json!((r.created_at, r.id)),
        |(r, given, family)| summary(r, staff.then(|| format!("{given} {family}"))),
    );
    let events = AuditEvent::listing(
        "course.list",
        "course",
        page.items.iter().map(|c| (c.id, Some(PatientId::from(c.patient_id)))),
    );
    Ok(Audited::new(page, events))
}

fn summary(r: CourseListRow, patient_name: Option<String>) -> CourseSummary {
    CourseSummary {
        id: r.id.into(),
        patient_id: r.patient_id.into(),
        patient_name,
        status: r.status,
        indications: r.indications.get().unwrap_or_default(),
        planned_sessions: r.planned_sessions,
        sessions_completed: r.sessions_completed,
        next_session_at: r.next_session_at.map(clock::utc),
        top_severity: r
            .top_severity
            .and_then(Severity::from_rank)
            .map(|s| s.as_str().to_owned()),
        flag_codes: r
            .flag_codes
            .map(|c| c.split(',').map(str::to_owned).collect())
            .unwrap_or_default(),
        created_at: clock::utc(r.created_at),
        updated_at: clock::utc(r.updated_at),
    }
}

/// The course's stored outcomes and the series behind them, for trend charts.
pub fn outcomes(conn: &mut DbConn, caller: &Caller, id: CourseId) -> Result<Audited<OutcomesResponse>, ApiError> {
    let row = access::course(conn, caller, id, "course.outcomes_read")?;
    let (_, series) = measure(conn, &row, &Default::default())?;
    let body = OutcomesResponse {
        course_id: row.id.into(),
        outcomes: stored_outcomes(conn, row.id)?,
        series,
    };
    let event = AuditEvent::new("course.outcomes_read", "course", id).patient(row.patient_id);
    Ok(Audited::new(body, vec![event]))
}

/// The course's outcomes and series from the approved intake's scores and its completed
/// check-ins.
fn measure(
    conn: &mut DbConn,
    row: &CourseRow,
    cutoffs: &crate::screening::outcomes::OutcomeCutoffs,
) -> Result<(BTreeMap<String, CourseOutcome>, outcome::Series), ApiError> {
    let intake = crate::intake::repo::scores_of(conn, row.intake_id)?;
    let (intake_scores, intake_at) = match intake {
        Some(i) => (
            i.scores.map(|s| s.get()).transpose()?,
            Some(clock::utc(i.submitted_at.unwrap_or(i.created_at))),
        ),
        None => (None, None),
    };
    let checkins = repo::measurements(conn, row.id)?;
    let scored: Vec<_> = checkins
        .iter()
        .filter_map(|c| Some((c, c.scores.as_ref()?.get().ok()?)))
        .collect();
    let measurements: Vec<outcome::Measurement<'_>> = scored
        .iter()
        .map(|(c, scores)| outcome::Measurement {
            source: super::api::BaselineSource::Checkin,
            id: c.id.into(),
            at: clock::utc(c.completed_at.unwrap_or(c.updated_at)),
            pre_session: c.kind == CheckinKind::PreSession,
            scores,
        })
        .collect();
    let baseline = match (&intake_scores, intake_at) {
        (Some(scores), Some(at)) => Some(outcome::Measurement {
            source: super::api::BaselineSource::Intake,
            id: Uuid::from(row.intake_id),
            at,
            pre_session: false,
            scores,
        }),
        _ => None,
    };
    Ok(outcome::compute(baseline.as_ref(), &measurements, cutoffs))
}

/// Recomputes and stores a course's outcomes (after a completed check-in); a changed
/// classification is a `course.outcome_changed` event.
pub fn recompute_outcomes(conn: &mut DbConn, row: &CourseRow, settings: &CourseSettings) -> Result<(), ApiError> {
    let (outcomes, _) = measure(conn, row, &settings.outcome_cutoffs)?;
    let now = clock::now();
    let before: BTreeMap<String, String> = repo::outcomes_of(conn, row.id)?
        .into_iter()
        .map(|o| (o.instrument, o.classification))
        .collect();
    let rows = outcomes
        .into_values()
        .map(|o| {
            Ok(repo::OutcomeRow {
                course_id: row.id,
                instrument: o.instrument.clone(),
                classification: serde_json::to_value(o.classification)
                    .map_err(ApiError::internal)?
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                rule_set: o.rule_set.clone(),
                updated_at: now,
                outcome: Json::new(&o)?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let changed: Vec<Value> = rows
        .iter()
        .filter(|o| before.get(&o.instrument) != Some(&o.classification))
        .map(|o| json!({"instrument": o.instrument, "classification": o.classification, "previous_classification": before.get(&o.instrument)}))
        .collect();
    repo::replace_outcomes(conn, row.id, &rows)?;
    if !changed.is_empty() {
        let data = json!({"course_id": row.id, "patient_id": row.patient_id, "outcomes": changed});
        webhooks::emit(conn, WebhookEvent::CourseOutcomeChanged, data, now)?;
    }
    Ok(())
}
