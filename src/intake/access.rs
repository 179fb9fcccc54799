//! Who may see an intake: its patient, and clinic staff. Anyone else gets "not found" (never a
//! 403: the id's existence stays secret), and the attempt is audited as denied.

use super::repo::{self, IntakeRow};
use crate::audit::event::AuditEvent;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::IntakeId;
use crate::state::Caller;

/// The intake, if the caller may see it.
pub fn visible(conn: &mut DbConn, caller: &Caller, id: IntakeId, action: &'static str) -> Result<IntakeRow, ApiError> {
    let row = repo::find(conn, id)?;
    check(caller, action, row)
}

/// [`visible`], for a change: the row stays locked until the transaction ends.
pub fn visible_for_update(
    conn: &mut DbConn,
    caller: &Caller,
    id: IntakeId,
    action: &'static str,
) -> Result<IntakeRow, ApiError> {
    let row = repo::find_for_update(conn, id)?;
    check(caller, action, row)
}

fn check(caller: &Caller, action: &'static str, row: Option<IntakeRow>) -> Result<IntakeRow, ApiError> {
    let row = row.ok_or(ApiError::NotFound("intake"))?;
    if caller.actor.can_access_patient(row.patient_id) {
        return Ok(row);
    }
    caller.deny(AuditEvent::new(action, "intake", row.id).patient(row.patient_id));
    Err(ApiError::NotFound("intake"))
}

/// The intake for a staff-only step, checked before any precondition of the step: a patient
/// gets 403 on their own intake and 404 on anyone else's (audited as denied, like any read of
/// another patient's intake), so the route reveals nothing about other patients.
pub fn staff(conn: &mut DbConn, caller: &Caller, id: IntakeId, action: &'static str) -> Result<IntakeRow, ApiError> {
    let row = visible(conn, caller, id, action)?;
    caller.actor.require_staff()?;
    Ok(row)
}

/// [`staff`], for a change: the row stays locked until the transaction ends.
pub fn staff_for_update(
    conn: &mut DbConn,
    caller: &Caller,
    id: IntakeId,
    action: &'static str,
) -> Result<IntakeRow, ApiError> {
    let row = visible_for_update(conn, caller, id, action)?;
    caller.actor.require_staff()?;
    Ok(row)
}
