//! Sessions: schedule (with its pre-session check-in), read, record blocks, complete, cancel.

use chrono::{DateTime, Utc};

use super::blocks::SessionBlocks;
use super::flags::{self, SessionRules};
use crate::audit::event::{self as audit, AuditEvent};
use crate::clock;
use crate::config::CourseSettings;
use crate::courses::access;
use crate::courses::api::{CancelSessionRequest, InfusionSession, SessionPatch};
use crate::courses::checkin::schedule;
use crate::courses::course;
use crate::courses::repo::{self, CourseRow, SessionRow};
use crate::courses::status::{CourseStatus, SessionStatus};
use crate::db::DbConn;
use crate::error::ApiError;
use crate::http::etag::IfMatch;
use crate::ids::{CourseId, InfusionId, Json};
use crate::outreach::webhooks::model::WebhookEvent;
use crate::outreach::webhooks::service as webhooks;
use crate::screening::model::Cutoffs;
use crate::screening::policy::ScreeningConfig;
use crate::state::{Audited, Caller};

/// The thresholds sessions are checked against: the intake's BP settings and the dose ceiling.
pub fn rules(settings: &CourseSettings, cutoffs: &Cutoffs) -> SessionRules {
    SessionRules {
        bp_systolic: cutoffs.bp_systolic,
        bp_diastolic: cutoffs.bp_diastolic,
        max_mg_per_kg: settings.ketamine_max_mg_per_kg,
    }
}

fn response(conn: &mut DbConn, caller: &Caller, row: SessionRow) -> Result<InfusionSession, ApiError> {
    let checkin = repo::checkin_of_session(conn, row.id)?;
    Ok(InfusionSession {
        id: row.id.into(),
        course_id: row.course_id.into(),
        patient_id: row.patient_id.into(),
        status: row.status,
        scheduled_at: clock::utc(row.scheduled_at),
        blocks: row.blocks.get()?,
        flags: row.flags.get()?,
        staff_notes: row.staff_notes.filter(|_| caller.actor.is_staff()),
        checkin_id: checkin.map(|c| c.id.into()),
        version: row.version,
        created_at: clock::utc(row.created_at),
        updated_at: clock::utc(row.updated_at),
        completed_at: row.completed_at.map(clock::utc),
        cancelled_at: row.cancelled_at.map(clock::utc),
        cancel_reason: row.cancel_reason,
    })
}

fn active(course: &CourseRow) -> Result<(), ApiError> {
    if course.status == CourseStatus::Active {
        Ok(())
    } else {
        Err(ApiError::conflict(format!(
            "the course has ended ({}); its sessions are not changed",
            course.status.as_str()
        )))
    }
}

/// Schedules a session on an active course, with its pre-session check-in.
pub fn create(
    conn: &mut DbConn,
    caller: &Caller,
    course_id: CourseId,
    scheduled_at: DateTime<Utc>,
    settings: &CourseSettings,
    screening: &ScreeningConfig,
) -> Result<InfusionSession, ApiError> {
    let mut course = access::staff_course_for_update(conn, caller, course_id, "session.create")?;
    active(&course)?;
    let now = clock::now();
    let row = SessionRow {
        id: InfusionId::new(),
        course_id: course.id,
        patient_id: course.patient_id,
        status: SessionStatus::Planned,
        version: 1,
        scheduled_at: scheduled_at.naive_utc(),
        created_by: caller.actor.user_id,
        created_at: now,
        updated_at: now,
        completed_at: None,
        cancelled_at: None,
        cancel_reason: None,
        blocks: Json::new(&SessionBlocks::default())?,
        flags: Json::new(&Vec::<crate::screening::model::Flag>::new())?,
        staff_notes: None,
    };
    repo::insert_session(conn, &row)?;
    let pre = schedule::pre_session(&course, &row, settings, screening)?;
    repo::insert_checkins(conn, &[pre])?;
    course::refresh(conn, &mut course)?;
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("session.create", "session", row.id).patient(row.patient_id)],
    )?;
    response(conn, caller, row)
}

/// A course's sessions by `scheduled_at` (without staff notes for the patient).
pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    course_id: CourseId,
) -> Result<Audited<Vec<InfusionSession>>, ApiError> {
    let course = access::course(conn, caller, course_id, "session.list")?;
    let rows = repo::sessions_of(conn, course.id)?;
    let events = AuditEvent::listing(
        "session.list",
        "session",
        rows.iter().map(|r| (r.id, Some(r.patient_id))),
    );
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(response(conn, caller, row)?);
    }
    Ok(Audited::new(out, events))
}

pub fn get(conn: &mut DbConn, caller: &Caller, id: InfusionId) -> Result<Audited<InfusionSession>, ApiError> {
    let row = access::session(conn, caller, id, "session.read")?;
    let event = AuditEvent::new("session.read", "session", id).patient(row.patient_id);
    Ok(Audited::new(response(conn, caller, row)?, vec![event]))
}

/// The session and its course for a staff change, at the version asked for, still planned.
fn for_change(
    conn: &mut DbConn,
    caller: &Caller,
    id: InfusionId,
    if_match: IfMatch,
    action: &'static str,
) -> Result<(SessionRow, CourseRow), ApiError> {
    let seen = access::staff_session(conn, caller, id, action)?;
    // Locks in one order everywhere (the course, then what is under it), so that concurrent
    // changes of a course and its sessions or check-ins queue on PostgreSQL instead of deadlocking.
    let course = repo::find_course_for_update(conn, seen.course_id)?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("session {id} without its course")))?;
    let row = repo::find_session_for_update(conn, id)?.ok_or(ApiError::NotFound("session"))?;
    if_match.check(row.version)?;
    if row.status != SessionStatus::Planned {
        return Err(ApiError::conflict(format!(
            "the session is {}; only a planned session is changed",
            row.status.as_str()
        )));
    }
    active(&course)?;
    Ok((row, course))
}

/// Writes the session (version check), its flags on the course, the course, and the audit event.
fn save(
    conn: &mut DbConn,
    caller: &Caller,
    mut row: SessionRow,
    mut course: CourseRow,
    action: &'static str,
) -> Result<InfusionSession, ApiError> {
    let expected = row.version;
    row.version += 1;
    row.updated_at = clock::now();
    if !repo::update_session_if_version(conn, &row, expected)? {
        return Err(ApiError::PreconditionFailed {
            current_version: expected,
        });
    }
    course::set_flags(conn, course.id, row.id, &row.flags.get()?)?;
    course::refresh(conn, &mut course)?;
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new(action, "session", row.id).patient(row.patient_id)],
    )?;
    response(conn, caller, row)
}

/// Replaces the blocks given; checks the dose against its drug and the ceiling; recomputes the
/// total dose and the flags.
pub fn patch(
    conn: &mut DbConn,
    caller: &Caller,
    id: InfusionId,
    if_match: IfMatch,
    body: SessionPatch,
    rules: &SessionRules,
) -> Result<InfusionSession, ApiError> {
    let (mut row, course) = for_change(conn, caller, id, if_match, "session.update")?;
    if let Some(notes) = body.staff_notes.clone() {
        row.staff_notes = notes;
    }
    let mut blocks = body.apply(row.blocks.get()?);
    if let Some(dose) = &blocks.dose {
        let issues = flags::check_dose(dose, rules);
        if !issues.is_empty() {
            return Err(ApiError::Validation(issues));
        }
    }
    flags::compute_total(&mut blocks);
    let found = flags::flags(&blocks, &course.protocol.get()?, rules);
    row.blocks = Json::new(&blocks)?;
    row.flags = Json::new(&found)?;
    save(conn, caller, row, course, "session.update")
}

/// Completes a session that has everything a record needs (422 naming every missing part).
pub fn complete(
    conn: &mut DbConn,
    caller: &Caller,
    id: InfusionId,
    if_match: IfMatch,
) -> Result<InfusionSession, ApiError> {
    let (mut row, course) = for_change(conn, caller, id, if_match, "session.complete")?;
    let mut missing = flags::missing_for_completion(&row.blocks.get()?);
    if !missing.is_empty() {
        missing.sort_by(|a, b| a.field.cmp(&b.field));
        return Err(ApiError::Validation(missing));
    }
    let now = clock::now();
    row.status = SessionStatus::Completed;
    row.completed_at = Some(now);
    let data = serde_json::json!({"session_id": row.id, "course_id": course.id, "patient_id": row.patient_id, "status": row.status.as_str()});
    let session = save(conn, caller, row, course, "session.complete")?;
    // Integrators are told in this transaction: ids and statuses only.
    webhooks::emit(conn, WebhookEvent::SessionCompleted, data, now)?;
    Ok(session)
}

/// Cancels a planned session and its open pre-session check-in.
pub fn cancel(
    conn: &mut DbConn,
    caller: &Caller,
    id: InfusionId,
    if_match: IfMatch,
    req: CancelSessionRequest,
) -> Result<InfusionSession, ApiError> {
    let (mut row, course) = for_change(conn, caller, id, if_match, "session.cancel")?;
    let now = clock::now();
    repo::cancel_open_checkins(conn, course.id, Some(row.id), now)?;
    row.status = SessionStatus::Cancelled;
    row.cancelled_at = Some(now);
    row.cancel_reason = Some(req.reason);
    save(conn, caller, row, course, "session.cancel")
}
