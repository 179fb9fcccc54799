//! Review steps (the state machine of `domain`) with assignment and notes, and the history.

use super::api::{ActorDto, ReviewEntry, ReviewRequest, ReviewResult};
use super::domain::{self, ReviewAction};
use super::repo::{self, ReviewRow};
use crate::audit::event::{self as audit, AuditEvent};
use crate::auth::domain::Role;
use crate::clock;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::http::etag::IfMatch;
use crate::ids::{IntakeId, ReviewId, UserId};
use crate::intake::access;
use crate::intake::repo::{self as intake_repo, IntakeRow};
use crate::intake::status::IntakeStatus;
use crate::outreach::webhooks::model::WebhookEvent;
use crate::outreach::webhooks::service as webhooks;
use crate::state::{Audited, Caller};

fn entry(row: ReviewRow, role: Role, name: &str) -> ReviewEntry {
    ReviewEntry {
        id: row.id.into(),
        action: row.action,
        from_status: row.from_status,
        to_status: row.to_status,
        actor: ActorDto {
            id: row.actor_id.into(),
            role,
            display_name: name.to_owned(),
        },
        note: row.note,
        assign_to: row.assign_to.map(Into::into),
        created_at: clock::utc(row.created_at),
    }
}

/// A step of the review history, before it is written.
pub struct Step {
    pub action: &'static str,
    pub audit_action: &'static str,
    pub from: IntakeStatus,
    pub note: Option<String>,
    pub assign_to: Option<UserId>,
}

/// Writes the changed intake (version check), its review entry and the audit event.
pub fn record(conn: &mut DbConn, caller: &Caller, row: &mut IntakeRow, step: Step) -> Result<ReviewEntry, ApiError> {
    let expected = row.version;
    let now = clock::now();
    row.version += 1;
    row.updated_at = now;
    if !intake_repo::update_if_version(conn, row, expected)? {
        let current = intake_repo::current_version(conn, row.id)?.unwrap_or(expected);
        return Err(ApiError::PreconditionFailed {
            current_version: current,
        });
    }
    let review = ReviewRow {
        id: ReviewId::new(),
        intake_id: row.id,
        action: step.action.to_owned(),
        from_status: step.from,
        to_status: row.status,
        actor_id: caller.actor.user_id,
        note: step.note,
        assign_to: step.assign_to,
        created_at: now,
    };
    repo::insert_review(conn, &review)?;
    let event = AuditEvent::new(step.audit_action, "intake", row.id).patient(row.patient_id);
    audit::record(conn, caller.origin(), &[event])?;
    Ok(entry(review, caller.actor.role, &caller.actor.display_name))
}

/// Whom `assign_to` names: `me`, or an enabled clinician or administrator.
fn assignee(conn: &mut DbConn, caller: &Caller, assign_to: Option<&str>) -> Result<UserId, ApiError> {
    let Some(name) = assign_to else {
        return Err(ApiError::invalid(
            "assign_to",
            "required",
            "name the clinician to assign (an id or `me`)",
        ));
    };
    let target = caller.actor.user_named(name, "assign_to")?;
    if !repo::is_enabled_staff(conn, target)? {
        return Err(ApiError::invalid(
            "assign_to",
            "invalid_value",
            "not an active clinician or administrator",
        ));
    }
    Ok(target)
}

/// One review step. A transition not allowed from the current status is a 409 naming the
/// allowed ones. `If-Match` is optional (API.md lists no header here): with it, a stale version
/// is a 412; without it, the step applies to the current version (the row is locked meanwhile).
pub fn review(
    conn: &mut DbConn,
    caller: &Caller,
    id: IntakeId,
    if_match: Option<IfMatch>,
    req: ReviewRequest,
) -> Result<ReviewResult, ApiError> {
    let mut row = access::reviewer_for_update(conn, caller, id, req.action.audit_action())?;
    if let Some(m) = if_match {
        m.check(row.version)?;
    }
    let from = row.status;
    let Some(to) = req.action.next(from) else {
        return Err(ApiError::Conflict {
            detail: format!(
                "{} is not allowed while the intake is {}",
                req.action.as_str(),
                from.as_str()
            ),
            allowed: Some(domain::allowed(from)),
        });
    };
    let note = req.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if req.action.needs_note() && note.is_none() {
        return Err(ApiError::invalid(
            "note",
            "required",
            format!("a note is required to {}", req.action.as_str().replace('_', " ")),
        ));
    }
    let mut assign_to = None;
    match req.action {
        ReviewAction::Assign => {
            let target = assignee(conn, caller, req.assign_to.as_deref())?;
            row.assigned_to = Some(target);
            assign_to = Some(target);
        }
        ReviewAction::StartReview if row.assigned_to.is_none() => {
            row.assigned_to = Some(caller.actor.user_id);
            assign_to = row.assigned_to;
        }
        ReviewAction::RequestInfo => row.review_note = note.clone(),
        _ => {}
    }
    row.status = to;
    let step = Step {
        action: req.action.as_str(),
        audit_action: req.action.audit_action(),
        from,
        note,
        assign_to,
    };
    let review = record(conn, caller, &mut row, step)?;
    if to != from {
        let data = serde_json::json!({"intake_id": row.id, "patient_id": row.patient_id, "status": to.as_str(), "previous_status": from.as_str()});
        webhooks::emit(conn, WebhookEvent::IntakeStatusChanged, data, clock::now())?;
    }
    Ok(ReviewResult {
        review,
        intake_status: to,
        intake_version: row.version,
    })
}

/// The review history, oldest first.
pub fn history(conn: &mut DbConn, caller: &Caller, id: IntakeId) -> Result<Audited<Vec<ReviewEntry>>, ApiError> {
    let row = access::staff(conn, caller, id, "intake.reviews_read")?;
    let entries = repo::reviews(conn, row.id)?
        .into_iter()
        .map(|(r, role, name)| entry(r, role, &name))
        .collect();
    let event = AuditEvent::new("intake.reviews_read", "intake", id).patient(row.patient_id);
    Ok(Audited::new(entries, vec![event]))
}
