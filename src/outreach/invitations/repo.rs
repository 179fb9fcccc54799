//! The invitations table.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{InvitationChannel, InvitationPurpose, InvitationStatus};
use crate::db::DbConn;
use crate::ids::{CheckinId, IntakeId, InvitationId, PatientId, UserId};
use crate::schema::invitations;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = invitations, treat_none_as_default_value = false)]
pub struct InvitationRow {
    pub id: InvitationId,
    pub patient_id: PatientId,
    pub purpose: InvitationPurpose,
    pub intake_id: Option<IntakeId>,
    pub checkin_id: Option<CheckinId>,
    pub channel: InvitationChannel,
    /// `pending`, `redeemed` or `revoked` (never `expired`: see [`InvitationRow::status_at`]).
    pub status: InvitationStatus,
    pub token_hash: String,
    pub failed_attempts: i32,
    pub expires_at: NaiveDateTime,
    pub created_by: Option<UserId>,
    pub reminder_of: Option<InvitationId>,
    pub created_at: NaiveDateTime,
    pub redeemed_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub revoked_reason: Option<String>,
}

impl InvitationRow {
    /// The status as the API shows it at `now`: a pending invitation past its expiry is expired.
    pub fn status_at(&self, now: NaiveDateTime) -> InvitationStatus {
        match self.status {
            InvitationStatus::Pending if self.expires_at <= now => InvitationStatus::Expired,
            s => s,
        }
    }
}

pub fn insert(conn: &mut DbConn, row: &InvitationRow) -> QueryResult<()> {
    diesel::insert_into(invitations::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: InvitationId) -> QueryResult<Option<InvitationRow>> {
    invitations::table
        .find(id)
        .select(InvitationRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_token(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<InvitationRow>> {
    invitations::table
        .filter(invitations::token_hash.eq(token_hash))
        .select(InvitationRow::as_select())
        .first(conn)
        .optional()
}

/// Counts a wrong date of birth against a pending invitation (none other: a concurrent redeem or
/// revoke won); revokes it at `max`.
pub fn count_failure(conn: &mut DbConn, id: InvitationId, max: i32, now: NaiveDateTime) -> QueryResult<()> {
    let pending = invitations::table
        .find(id)
        .filter(invitations::status.eq(InvitationStatus::Pending));
    let n = diesel::update(pending)
        .set(invitations::failed_attempts.eq(invitations::failed_attempts + 1))
        .execute(conn)?;
    if n == 0 {
        return Ok(());
    }
    let count: i32 = invitations::table
        .find(id)
        .select(invitations::failed_attempts)
        .first(conn)?;
    if count >= max {
        revoke(conn, id, "too_many_attempts", now)?;
    }
    Ok(())
}

/// Marks a pending invitation redeemed; `false` when it was not pending (used twice, or a
/// concurrent redeem won).
pub fn redeem(conn: &mut DbConn, id: InvitationId, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        invitations::table
            .find(id)
            .filter(invitations::status.eq(InvitationStatus::Pending)),
    )
    .set((
        invitations::status.eq(InvitationStatus::Redeemed),
        invitations::redeemed_at.eq(Some(now)),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Revokes a pending invitation and the pending links of its reminders (an invitation no longer
/// pending stays as it is).
pub fn revoke(conn: &mut DbConn, id: InvitationId, reason: &str, now: NaiveDateTime) -> QueryResult<()> {
    let changes = (
        invitations::status.eq(InvitationStatus::Revoked),
        invitations::revoked_at.eq(Some(now)),
        invitations::revoked_reason.eq(Some(reason)),
    );
    let pending = invitations::status.eq(InvitationStatus::Pending);
    diesel::update(invitations::table.find(id).filter(pending))
        .set(changes)
        .execute(conn)?;
    diesel::update(
        invitations::table
            .filter(invitations::reminder_of.eq(id))
            .filter(pending),
    )
    .set(changes)
    .execute(conn)?;
    Ok(())
}

/// A page, newest first, after the `(created_at, id)` of the previous page. `expired` and
/// `pending` are told apart by `now`.
pub fn list(
    conn: &mut DbConn,
    status: Option<InvitationStatus>,
    patient: Option<PatientId>,
    after: Option<(NaiveDateTime, InvitationId)>,
    limit: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<InvitationRow>> {
    let mut q = invitations::table.select(InvitationRow::as_select()).into_boxed();
    match status {
        Some(InvitationStatus::Pending) => {
            q = q
                .filter(invitations::status.eq(InvitationStatus::Pending))
                .filter(invitations::expires_at.gt(now));
        }
        Some(InvitationStatus::Expired) => {
            q = q
                .filter(invitations::status.eq(InvitationStatus::Pending))
                .filter(invitations::expires_at.le(now));
        }
        Some(s) => q = q.filter(invitations::status.eq(s)),
        None => {}
    }
    if let Some(p) = patient {
        q = q.filter(invitations::patient_id.eq(p));
    }
    if let Some((at, id)) = after {
        q = q.filter(
            invitations::created_at
                .lt(at)
                .or(invitations::created_at.eq(at).and(invitations::id.lt(id))),
        );
    }
    q.order((invitations::created_at.desc(), invitations::id.desc()))
        .limit(limit)
        .load(conn)
}

/// Invitations a reminder rule looks at: not revoked, no reminder's own link, created between
/// `from` and `to`, for the purpose given and on a channel that reaches the patient.
pub fn reminder_candidates(
    conn: &mut DbConn,
    purpose: InvitationPurpose,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<InvitationRow>> {
    invitations::table
        .filter(invitations::reminder_of.is_null())
        .filter(invitations::status.eq_any([InvitationStatus::Pending, InvitationStatus::Redeemed]))
        .filter(invitations::created_at.gt(from))
        .filter(invitations::created_at.le(to))
        .filter(invitations::purpose.eq(purpose))
        .filter(invitations::channel.ne(InvitationChannel::None))
        .select(InvitationRow::as_select())
        .order(invitations::created_at.asc())
        .load(conn)
}
