//! Who may see an intake: its patient, and clinic staff. Anyone else gets "not found" (never a
//! 403: the id's existence stays secret), and the attempt is audited as denied.

use super::repo::{self, IntakeRow};
use crate::audit::event::{AuditEvent, Outcome};
use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::IntakeId;
use crate::state::Caller;

/// The intake, if the caller may see it.
pub fn visible(conn: &mut DbConn, caller: &Caller, id: IntakeId, action: &'static str) -> Result<IntakeRow, ApiError> {
    let row = repo::find(conn, id)?;
    check(caller, id, action, row)
}

/// [`visible`], for a change: the row stays locked until the transaction ends.
pub fn visible_for_update(
    conn: &mut DbConn,
    caller: &Caller,
    id: IntakeId,
    action: &'static str,
) -> Result<IntakeRow, ApiError> {
    let row = repo::find_for_update(conn, id)?;
    check(caller, id, action, row)
}

/// Whether the caller may see the intake `id` they asked for, given what was read for it: a
/// missing intake is audited like another patient's (an event through the sink either way), so
/// the two 404s cost the same and a patient cannot tell them apart by their timing.
pub fn check(
    caller: &Caller,
    id: IntakeId,
    action: &'static str,
    row: Option<IntakeRow>,
) -> Result<IntakeRow, ApiError> {
    let Some(row) = row else {
        caller.record_anyway(AuditEvent::new(action, "intake", id).outcome(Outcome::Failure));
        return Err(ApiError::NotFound("intake"));
    };
    if caller.actor.can_access_patient(row.patient_id) {
        return Ok(row);
    }
    caller.deny(AuditEvent::new(action, "intake", row.id).patient(row.patient_id));
    Err(ApiError::NotFound("intake"))
}

/// May the caller change this intake (edit, sign, submit, delete)? A patient's own intake (one
/// the patient created) only the patient; an intake staff created for the patient (phone
/// intake) staff or the patient (SECURITY.md, "Who may do what").
pub fn may_change(caller: &Caller, row: &IntakeRow) -> Result<(), ApiError> {
    let is_patient = caller.actor.patient_id == Some(row.patient_id);
    if is_patient || (row.created_on_behalf && caller.actor.is_staff()) {
        return Ok(());
    }
    Err(ApiError::Forbidden(
        "a patient's own intake is edited, signed, submitted and deleted by the patient; staff change only the intakes they start for a patient".into(),
    ))
}

/// [`visible_for_update`], for a change by the caller ([`may_change`]).
pub fn changeable_for_update(
    conn: &mut DbConn,
    caller: &Caller,
    id: IntakeId,
    action: &'static str,
) -> Result<IntakeRow, ApiError> {
    let row = visible_for_update(conn, caller, id, action)?;
    may_change(caller, &row)?;
    Ok(row)
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

/// [`staff_for_update`] for a clinical decision (a review step, an exam): nobody decides on an
/// intake whose patient record is linked to their own account (409 `/problems/own-record`).
pub fn reviewer_for_update(
    conn: &mut DbConn,
    caller: &Caller,
    id: IntakeId,
    action: &'static str,
) -> Result<IntakeRow, ApiError> {
    let row = staff_for_update(conn, caller, id, action)?;
    if caller.actor.patient_id == Some(row.patient_id) {
        return Err(ApiError::OwnRecord);
    }
    Ok(row)
}
