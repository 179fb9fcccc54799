//! Check-ins: list, read and submit. A submit goes through the intake's scoring (the same
//! validation, conditional rules and flags); urgent flags are listed on the course; the course's
//! outcomes are recomputed.

use super::plan;
use crate::audit::event::{self as audit, AuditEvent};
use crate::clock;
use crate::config::CourseSettings;
use crate::courses::access;
use crate::courses::api::{CheckinResponse, SubmitCheckinRequest};
use crate::courses::course;
use crate::courses::repo::{self, CheckinRow, CourseRow};
use crate::courses::status::CheckinStatus;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::{CheckinId, CourseId, Json};
use crate::outreach::webhooks::model::WebhookEvent;
use crate::outreach::webhooks::service as webhooks;
use crate::screening::instruments::InstrumentCode;
use crate::screening::model::{Flag, Severity};
use crate::screening::policy::{Answers, Scores, ScreeningConfig};
use crate::screening::scoring;
use crate::state::{Audited, Caller};
use crate::validation::FieldIssue;

pub fn response(row: CheckinRow) -> Result<CheckinResponse, ApiError> {
    Ok(CheckinResponse {
        id: row.id.into(),
        course_id: row.course_id.into(),
        session_id: row.session_id.map(Into::into),
        kind: row.kind,
        day_offset: row.day_offset,
        status: plan::status_at(row.status, row.due_by, clock::now()),
        due_from: clock::utc(row.due_from),
        due_by: clock::utc(row.due_by),
        instruments: row.instruments.get()?,
        answers: row
            .answers
            .map(|a| serde_json::from_str(a.raw().get()))
            .transpose()
            .map_err(ApiError::internal)?,
        scores: row.scores.map(|s| s.get()).transpose()?,
        flags: row.flags.map(|f| f.get()).transpose()?,
        completed_at: row.completed_at.map(clock::utc),
        late: row.late,
        version: row.version,
    })
}

fn listed(rows: Vec<CheckinRow>) -> Result<Audited<Vec<CheckinResponse>>, ApiError> {
    let events = AuditEvent::listing(
        "checkin.list",
        "checkin",
        rows.iter().map(|r| (r.id, Some(r.patient_id))),
    );
    let items = rows.into_iter().map(response).collect::<Result<_, _>>()?;
    Ok(Audited::new(items, events))
}

/// The patient's own check-ins open now (due, or missed and still accepted), soonest first.
pub fn mine(conn: &mut DbConn, caller: &Caller) -> Result<Audited<Vec<CheckinResponse>>, ApiError> {
    let Some(patient) = caller.actor.patient_id else {
        return Err(ApiError::Forbidden("for patients: their own check-ins".into()));
    };
    let now = clock::now();
    let rows = repo::open_checkins_of_patient(conn, patient)?
        .into_iter()
        .filter(|r| r.due_from <= now)
        .collect();
    listed(rows)
}

/// Every check-in of a course, by `due_by`.
pub fn of_course(conn: &mut DbConn, caller: &Caller, id: CourseId) -> Result<Audited<Vec<CheckinResponse>>, ApiError> {
    let course = access::course(conn, caller, id, "checkin.list")?;
    listed(repo::checkins_of(conn, course.id)?)
}

pub fn get(conn: &mut DbConn, caller: &Caller, id: CheckinId) -> Result<Audited<CheckinResponse>, ApiError> {
    let row = access::checkin(conn, caller, id, "checkin.read")?;
    let event = AuditEvent::new("checkin.read", "checkin", id).patient(row.patient_id);
    Ok(Audited::new(response(row)?, vec![event]))
}

/// Scores every answered instrument under `screenings.<code>` and checks the set against the
/// plan (every planned instrument, the ASQ when PHQ-9 item 9 calls for it, nothing else).
pub fn score(
    planned: &[InstrumentCode],
    given: &Answers,
    cfg: &ScreeningConfig,
) -> Result<(Scores, Vec<Flag>), Vec<FieldIssue>> {
    let mut scores = Scores::new();
    let mut issues = Vec::new();
    for (code, answers) in given {
        let prefix = format!("screenings.{code}");
        let Some(instrument) = InstrumentCode::parse(code).filter(|c| cfg.is_enabled(*c)) else {
            continue; // named by `check_answers` as not part of this check-in
        };
        match scoring::score(instrument, answers, &prefix, &cfg.cutoffs) {
            Ok(s) => {
                scores.insert(instrument, s);
            }
            Err(found) => issues.extend(found),
        }
    }
    issues.extend(plan::check_answers(planned, given, &scores));
    if !issues.is_empty() {
        issues.sort_by(|a, b| a.field.cmp(&b.field).then_with(|| a.code.cmp(&b.code)));
        return Err(issues);
    }
    let mut flags: Vec<Flag> = scores.values().flat_map(|s| s.flags.iter().cloned()).collect();
    flags.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.code.cmp(&b.code)));
    Ok((scores, flags))
}

/// The check-in for a submit by its patient or by staff on their behalf, and its course; both
/// locked, the course first (the order every change under a course takes).
fn for_submit(conn: &mut DbConn, caller: &Caller, id: CheckinId) -> Result<(CheckinRow, CourseRow), ApiError> {
    let seen = access::checkin(conn, caller, id, "checkin.submit")?;
    let course = repo::find_course_for_update(conn, seen.course_id)?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("check-in {id} without its course")))?;
    let row = repo::find_checkin_for_update(conn, id)?.ok_or(ApiError::NotFound("checkin"))?;
    match row.status {
        CheckinStatus::Completed => Err(ApiError::conflict("the check-in was already completed")),
        CheckinStatus::Cancelled => Err(ApiError::conflict("the check-in was cancelled")),
        _ => Ok((row, course)),
    }
}

/// Submits the answers: scored on the server; `late` when past `due_by`; urgent flags listed on
/// the course; outcomes recomputed.
pub fn submit(
    conn: &mut DbConn,
    caller: &Caller,
    id: CheckinId,
    req: SubmitCheckinRequest,
    cfg: &ScreeningConfig,
    settings: &CourseSettings,
) -> Result<CheckinResponse, ApiError> {
    let (mut row, mut course_row) = for_submit(conn, caller, id)?;
    let planned: Vec<InstrumentCode> = row
        .instruments
        .get()?
        .iter()
        .filter_map(|c| InstrumentCode::parse(c))
        .collect();
    let (scores, flags) = score(&planned, &req.screenings, cfg).map_err(ApiError::Validation)?;
    let now = clock::now();
    let expected = row.version;
    row.status = CheckinStatus::Completed;
    row.late = now > row.due_by;
    row.completed_at = Some(now);
    row.completed_by = Some(caller.actor.user_id);
    row.top_severity = flags.iter().map(|f| f.severity.rank()).max();
    row.answers = Some(Json::new(&req.screenings)?);
    row.scores = Some(Json::new(&scores)?);
    row.flags = Some(Json::new(&flags)?);
    row.version += 1;
    row.updated_at = now;
    if !repo::update_checkin_if_version(conn, &row, expected)? {
        return Err(ApiError::PreconditionFailed {
            current_version: expected,
        });
    }
    let urgent: Vec<Flag> = flags.into_iter().filter(|f| f.severity == Severity::Urgent).collect();
    course::set_flags(conn, course_row.id, row.id, &urgent)?;
    course::recompute_outcomes(conn, &course_row, settings)?;
    course::refresh(conn, &mut course_row)?;
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("checkin.submit", "checkin", row.id).patient(row.patient_id)],
    )?;
    // Integrators are told in this transaction: ids and statuses only.
    let data = serde_json::json!({"checkin_id": row.id, "course_id": row.course_id, "patient_id": row.patient_id,
        "kind": row.kind.as_str(), "status": row.status.as_str(), "late": row.late});
    webhooks::emit(conn, WebhookEvent::CheckinCompleted, data.clone(), now)?;
    if !urgent.is_empty() {
        webhooks::emit(conn, WebhookEvent::CheckinUrgentFlag, data, now)?;
    }
    response(row)
}
