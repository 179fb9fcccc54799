//! Who may see a course, a session or a check-in: its patient and clinic staff. Anyone else gets
//! "not found" (the id's existence stays secret) and the attempt is audited; staff-only routes
//! give the patient 403 on their own record and 404 on anyone else's, like the intake's.

use super::repo::{self, CheckinRow, CourseRow, SessionRow};
use crate::audit::event::{AuditEvent, Outcome};
use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::{CheckinId, CourseId, InfusionId, PatientId};
use crate::state::Caller;

/// Something that belongs to one patient.
pub trait Owned {
    const RESOURCE: &'static str;
    fn patient(&self) -> PatientId;
}

impl Owned for CourseRow {
    const RESOURCE: &'static str = "course";
    fn patient(&self) -> PatientId {
        self.patient_id
    }
}

impl Owned for SessionRow {
    const RESOURCE: &'static str = "session";
    fn patient(&self) -> PatientId {
        self.patient_id
    }
}

impl Owned for CheckinRow {
    const RESOURCE: &'static str = "checkin";
    fn patient(&self) -> PatientId {
        self.patient_id
    }
}

/// The row if the caller may see it; a missing row is audited like another patient's.
fn check<T: Owned>(caller: &Caller, id: impl ToString, action: &'static str, row: Option<T>) -> Result<T, ApiError> {
    let Some(row) = row else {
        caller.record_anyway(AuditEvent::new(action, T::RESOURCE, id).outcome(Outcome::Failure));
        return Err(ApiError::NotFound(T::RESOURCE));
    };
    if caller.actor.can_access_patient(row.patient()) {
        return Ok(row);
    }
    caller.deny(AuditEvent::new(action, T::RESOURCE, id).patient(row.patient()));
    Err(ApiError::NotFound(T::RESOURCE))
}

/// [`check`], then staff only (403 for the patient on their own record).
fn staff<T: Owned>(caller: &Caller, id: impl ToString, action: &'static str, row: Option<T>) -> Result<T, ApiError> {
    let row = check(caller, id, action, row)?;
    caller.actor.require_staff()?;
    Ok(row)
}

pub fn course(conn: &mut DbConn, caller: &Caller, id: CourseId, action: &'static str) -> Result<CourseRow, ApiError> {
    check(caller, id, action, repo::find_course(conn, id)?)
}

pub fn staff_course(
    conn: &mut DbConn,
    caller: &Caller,
    id: CourseId,
    action: &'static str,
) -> Result<CourseRow, ApiError> {
    staff(caller, id, action, repo::find_course(conn, id)?)
}

/// A course for a staff change, locked until the transaction ends.
pub fn staff_course_for_update(
    conn: &mut DbConn,
    caller: &Caller,
    id: CourseId,
    action: &'static str,
) -> Result<CourseRow, ApiError> {
    staff(caller, id, action, repo::find_course_for_update(conn, id)?)
}

pub fn session(
    conn: &mut DbConn,
    caller: &Caller,
    id: InfusionId,
    action: &'static str,
) -> Result<SessionRow, ApiError> {
    check(caller, id, action, repo::find_session(conn, id)?)
}

pub fn staff_session(
    conn: &mut DbConn,
    caller: &Caller,
    id: InfusionId,
    action: &'static str,
) -> Result<SessionRow, ApiError> {
    staff(caller, id, action, repo::find_session(conn, id)?)
}

pub fn checkin(
    conn: &mut DbConn,
    caller: &Caller,
    id: CheckinId,
    action: &'static str,
) -> Result<CheckinRow, ApiError> {
    check(caller, id, action, repo::find_checkin(conn, id)?)
}
