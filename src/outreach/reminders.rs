//! Reminders (INTEGRATIONS.md, "Reminders"): rules that each name the unfinished work that is
//! due a reminder now. A reminder is a fresh link (a new invitation, `reminder_of` the first)
//! sent on the first one's channel; its dedupe key (rule, subject, step) keeps it to one per
//! rule and step, across runs and instances. Nothing is sent in quiet hours: what falls due in
//! them goes out when they end. Adding a rule is one function in [`RULES`].

use std::collections::HashSet;

use chrono::{NaiveDateTime, TimeZone, Timelike};

use super::message::Template;
use super::outbox::model::Channel;
use super::outbox::repo as outbox;
use super::seal::Sealer;
use crate::audit::event::{self as audit, AuditEvent, Origin, RequestMeta};
use crate::config::OutreachSettings;
use crate::courses::repo as courses;
use crate::db::{self, DbConn};
use crate::error::ApiError;
use crate::ids::{CheckinId, IntakeId, InvitationId, PatientId};
use crate::intake::repo as intakes;
use crate::intake::status::IntakeStatus;
use crate::outreach::invitations::model::{InvitationChannel, InvitationPurpose};
use crate::outreach::invitations::repo as invitations;
use crate::outreach::invitations::service::{self as invite, LinkSpec};
use crate::patients::repo as patients;

/// A reminder a rule wants sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Due {
    /// `reminder:<rule>:<subject id>:<step>`: one message per key, ever.
    pub dedupe_key: String,
    pub patient_id: PatientId,
    pub purpose: InvitationPurpose,
    pub intake_id: Option<IntakeId>,
    pub checkin_id: Option<CheckinId>,
    /// `None`: the first message's channel is chosen from the patient's contacts.
    pub channel: Option<InvitationChannel>,
    pub reminder_of: Option<InvitationId>,
}

/// A reminder rule: what is due a reminder at `now`.
pub type Rule = fn(&mut DbConn, &OutreachSettings, NaiveDateTime) -> Result<Vec<Due>, ApiError>;

/// Every rule the worker runs.
pub const RULES: &[Rule] = &[unsubmitted_intakes, checkins_due_soon];

/// How far back the intake rule looks: an invitation older than this is reminded of no more.
const LOOKBACK_DAYS: i64 = 60;
/// A check-in is reminded of this long before its `due_by`.
const CHECKIN_LEAD_HOURS: i64 = 24;

/// Whether `now` (UTC) falls in the quiet hours `from`–`to` (`21-8`: from 21:00 until 08:00)
/// of the clinic's time zone.
pub fn in_quiet_hours(now: NaiveDateTime, tz: chrono_tz::Tz, (from, to): (u8, u8)) -> bool {
    let hour = tz.from_utc_datetime(&now).hour() as u8;
    match from.cmp(&to) {
        std::cmp::Ordering::Equal => false,
        std::cmp::Ordering::Greater => hour >= from || hour < to,
        std::cmp::Ordering::Less => hour >= from && hour < to,
    }
}

/// The latest of `steps` (hours, ascending) that has passed since `since`, if any: a reminder
/// run that missed a step (the service was down) sends only the latest one.
pub fn latest_step(steps: &[u16], since: NaiveDateTime, now: NaiveDateTime) -> Option<u16> {
    steps
        .iter()
        .rev()
        .copied()
        .find(|h| since + chrono::Duration::hours(i64::from(*h)) <= now)
}

/// An invitation to an intake whose draft is still not submitted, at each of
/// `REMINDER_AFTER_HOURS` after it was sent. Revoked invitations and submitted (or deleted)
/// drafts get none.
pub fn unsubmitted_intakes(
    conn: &mut DbConn,
    settings: &OutreachSettings,
    now: NaiveDateTime,
) -> Result<Vec<Due>, ApiError> {
    let Some(first) = settings.reminder_after_hours.first() else {
        return Ok(Vec::new());
    };
    let to = now - chrono::Duration::hours(i64::from(*first));
    let from = now - chrono::Duration::days(LOOKBACK_DAYS);
    let rows = invitations::reminder_candidates(conn, InvitationPurpose::Intake, from, to)?;
    let drafts: Vec<IntakeId> = rows.iter().filter_map(|r| r.intake_id).collect();
    let open: HashSet<IntakeId> = intakes::statuses(conn, &drafts)?
        .into_iter()
        .filter(|(_, s)| *s == IntakeStatus::Draft)
        .map(|(id, _)| id)
        .collect();
    Ok(rows
        .into_iter()
        .filter(|r| r.intake_id.is_some_and(|i| open.contains(&i)))
        .filter_map(|r| {
            let step = latest_step(&settings.reminder_after_hours, r.created_at, now)?;
            Some(Due {
                dedupe_key: format!("reminder:intake:{}:{step}h", r.id),
                patient_id: r.patient_id,
                purpose: InvitationPurpose::Intake,
                intake_id: r.intake_id,
                checkin_id: None,
                channel: Some(r.channel),
                reminder_of: Some(r.id),
            })
        })
        .collect())
}

/// A check-in still due within the next 24 hours.
pub fn checkins_due_soon(conn: &mut DbConn, _: &OutreachSettings, now: NaiveDateTime) -> Result<Vec<Due>, ApiError> {
    let rows = courses::due_between(conn, now, now + chrono::Duration::hours(CHECKIN_LEAD_HOURS))?;
    Ok(rows
        .into_iter()
        .map(|c| Due {
            dedupe_key: format!("reminder:checkin:{}:{CHECKIN_LEAD_HOURS}h", c.id),
            patient_id: c.patient_id,
            purpose: InvitationPurpose::Checkin,
            intake_id: None,
            checkin_id: Some(c.id),
            channel: None,
            reminder_of: None,
        })
        .collect())
}

/// The channel a reminder goes out on: the invitation's, or the patient's email, else phone,
/// whichever this server can send; `None` when none can.
fn channel_for(due: &Due, settings: &OutreachSettings, email: bool, phone: bool) -> Option<InvitationChannel> {
    let usable = |c: InvitationChannel| match c {
        InvitationChannel::Email => email && Channel::Email.configured(settings),
        InvitationChannel::Sms => phone && Channel::Sms.configured(settings),
        InvitationChannel::None => false,
    };
    match due.channel {
        Some(c) => usable(c).then_some(c),
        None => [InvitationChannel::Email, InvitationChannel::Sms]
            .into_iter()
            .find(|c| usable(*c)),
    }
}

/// Runs every rule at `now` and writes each new reminder (its link and its message) in a
/// transaction of its own, audited. Returns how many were written; none in quiet hours.
pub fn scan(
    conn: &mut DbConn,
    settings: &OutreachSettings,
    sealer: &Sealer,
    now: NaiveDateTime,
) -> Result<usize, ApiError> {
    if in_quiet_hours(now, settings.clinic_timezone, settings.quiet_hours) {
        return Ok(0);
    }
    let meta = RequestMeta {
        request_id: Some("reminders".into()),
        ..RequestMeta::default()
    };
    let mut written = 0;
    for rule in RULES {
        let due = rule(conn, settings, now)?;
        let keys: Vec<String> = due.iter().map(|d| d.dedupe_key.clone()).collect();
        let sent: HashSet<String> = outbox::existing_keys(conn, &keys)?.into_iter().collect();
        for d in due.into_iter().filter(|d| !sent.contains(&d.dedupe_key)) {
            let wrote = db::write_tx(conn, |conn| {
                let Some(patient) = patients::find(conn, d.patient_id)? else {
                    return Ok(false);
                };
                let Some(channel) = channel_for(&d, settings, patient.email.is_some(), patient.phone.is_some()) else {
                    return Ok(false);
                };
                let spec = LinkSpec {
                    intake_id: d.intake_id,
                    checkin_id: d.checkin_id,
                    reminder_of: d.reminder_of,
                    dedupe_key: Some(d.dedupe_key.clone()),
                    ..LinkSpec::new(d.purpose, channel, Template::Reminder)
                };
                let Some((row, _)) = invite::issue(conn, settings, sealer, &patient, spec, now)? else {
                    return Ok(false);
                };
                audit::record(
                    conn,
                    Origin {
                        actor: None,
                        meta: &meta,
                    },
                    &[AuditEvent::new("invitation.remind", "invitation", row.id).patient(row.patient_id)],
                )?;
                Ok::<_, ApiError>(true)
            })?;
            written += usize::from(wrote);
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().naive_utc()
    }

    #[test]
    fn quiet_hours_wrap_midnight_in_the_clinics_zone() {
        let chicago: chrono_tz::Tz = "America/Chicago".parse().unwrap();
        // 02:30 UTC on 2 December is 20:30 in Chicago (UTC−6): not yet quiet.
        assert!(!in_quiet_hours(at("2026-12-02T02:30:00Z"), chicago, (21, 8)));
        assert!(in_quiet_hours(at("2026-12-02T03:00:00Z"), chicago, (21, 8)));
        // 13:59 UTC is 07:59 there: still quiet; 14:00 is 08:00: not.
        assert!(in_quiet_hours(at("2026-12-02T13:59:00Z"), chicago, (21, 8)));
        assert!(!in_quiet_hours(at("2026-12-02T14:00:00Z"), chicago, (21, 8)));
        // Summer time moves it by an hour.
        assert!(in_quiet_hours(at("2026-07-02T02:00:00Z"), chicago, (21, 8)));
        assert!(!in_quiet_hours(at("2026-07-02T01:59:00Z"), chicago, (21, 8)));
        // A window that does not wrap, and none at all.
        assert!(in_quiet_hours(at("2026-12-02T13:00:00Z"), chrono_tz::UTC, (12, 14)));
        assert!(!in_quiet_hours(at("2026-12-02T14:00:00Z"), chrono_tz::UTC, (12, 14)));
        assert!(!in_quiet_hours(at("2026-12-02T03:00:00Z"), chrono_tz::UTC, (0, 0)));
    }

    #[test]
    fn only_the_latest_passed_step_is_due() {
        let sent = at("2026-12-01T10:00:00Z");
        assert_eq!(latest_step(&[24, 72], sent, at("2026-12-02T09:59:59Z")), None);
        assert_eq!(latest_step(&[24, 72], sent, at("2026-12-02T10:00:00Z")), Some(24));
        assert_eq!(latest_step(&[24, 72], sent, at("2026-12-04T09:00:00Z")), Some(24));
        assert_eq!(latest_step(&[24, 72], sent, at("2026-12-04T10:00:00Z")), Some(72));
        assert_eq!(latest_step(&[24, 72], sent, at("2026-12-20T10:00:00Z")), Some(72));
    }
}
