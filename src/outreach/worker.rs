//! The delivery worker inside `serve`: a background thread that takes due messages under a lease,
//! sends each through its channel outside any transaction, and records the result (sent, or
//! failed with the next attempt after a growing, jittered wait, or dead). It also runs the
//! reminder rules once a minute. On shutdown it finishes the message in hand, hands back the rest
//! of its batch and stops.
//!
//! Delivery is at least once: a worker that dies between sending and recording leaves the message
//! leased; when the lease ends another worker sends it again, under the same message id.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::message::{self, LinkMessage, Template};
use super::outbox::backoff::{self, AfterFailure};
use super::outbox::model::Channel;
use super::outbox::repo::{self, OutboxRow, recipient_place};
use super::reminders;
use super::seal::Sealer;
use super::senders::{EmailSender, SendError, SmsSender, Undelivered};
use super::webhooks::deliver::WebhookSender;
use crate::config::{OutreachSettings, Settings};
use crate::courses::repo as courses;
use crate::courses::status::CheckinStatus;
use crate::db::{DbConn, DbPool};
use crate::ids::InvitationId;
use crate::intake::repo as intakes;
use crate::intake::status::IntakeStatus;
use crate::outreach::invitations::model::InvitationStatus;
use crate::outreach::invitations::repo as invitations;

/// Messages taken per lease.
pub const BATCH: i64 = 16;
/// How long a batch is held: every message of it timing out, and a margin. A worker that died
/// holding messages delays them by at most this.
pub const LEASE: Duration = Duration::from_secs(16 * 10 + 20);
/// How often the reminder rules run.
pub const REMINDER_SCAN: Duration = Duration::from_secs(60);

/// What one pass delivered.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub taken: usize,
    pub sent: usize,
    pub failed: usize,
    pub dead: usize,
    /// Not sent because the work was done or the link withdrawn meanwhile (recorded as dead).
    pub withdrawn: usize,
}

/// Why a link message should no longer go out, if it should not: its invitation was revoked,
/// redeemed or has expired, or (a reminder) the work it reminds of is done. Checked just before
/// sending, so a message that waited out an outage or quiet hours is not sent stale.
fn withdrawn(conn: &mut DbConn, m: &LinkMessage, now: NaiveDateTime) -> QueryResult<Option<&'static str>> {
    let Ok(id) = uuid::Uuid::parse_str(&m.invitation_id) else {
        return Ok(None);
    };
    let Some(invitation) = invitations::find(conn, InvitationId::from(id))? else {
        return Ok(Some("not sent: the invitation no longer exists"));
    };
    if invitation.status_at(now) != InvitationStatus::Pending {
        return Ok(Some("not sent: the invitation was revoked, redeemed or has expired"));
    }
    if m.template == Template::Reminder {
        let done = match (invitation.intake_id, invitation.checkin_id) {
            (Some(intake), _) => !intakes::statuses(conn, &[intake])?
                .iter()
                .any(|(_, s)| *s == IntakeStatus::Draft),
            (None, Some(checkin)) => {
                !courses::find_checkin(conn, checkin)?.is_some_and(|c| c.status == CheckinStatus::Due)
            }
            (None, None) => false,
        };
        if done {
            return Ok(Some("not sent: the work it reminds of is done"));
        }
    }
    Ok(None)
}

/// The channels and what rendering needs; built once at start.
pub struct Deliverer {
    email: Option<EmailSender>,
    sms: Option<SmsSender>,
    webhooks: WebhookSender,
    sealer: Sealer,
    settings: Arc<OutreachSettings>,
}

impl Deliverer {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let outreach = settings.outreach.clone();
        Ok(Self {
            email: outreach.smtp.as_ref().map(EmailSender::new).transpose()?,
            sms: outreach.sms.as_ref().map(SmsSender::new).transpose()?,
            webhooks: WebhookSender::new(outreach.webhook_allow_private),
            sealer: Sealer::new(settings.jwt_secret_bytes()),
            settings: outreach,
        })
    }

    /// One pass: takes up to [`BATCH`] messages due at `now` and tries each once. `stopping` is
    /// asked between messages; when it says yes, the untried rest is handed back at once.
    pub fn deliver_due(
        &self,
        conn: &mut DbConn,
        now: NaiveDateTime,
        stopping: &dyn Fn() -> bool,
    ) -> QueryResult<Delivered> {
        let lease = chrono::Duration::from_std(LEASE).unwrap_or_else(|_| chrono::Duration::minutes(3));
        let rows = repo::lease(conn, now, now + lease, BATCH)?;
        let mut done = Delivered {
            taken: rows.len(),
            ..Delivered::default()
        };
        // Deliveries are recorded together once the batch is through (one commit instead of
        // one per message); a crash before that sends the batch's messages again, under the
        // same ids (at least once). Failures are recorded as they happen.
        let mut sent = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            if stopping() {
                let rest: Vec<String> = rows[i..].iter().map(|r| r.id.clone()).collect();
                repo::release(conn, &rest)?;
                break;
            }
            match self.send(conn, row, now) {
                Ok(()) => sent.push(row.id.clone()),
                Err(Undelivered::Withdrawn(reason)) => {
                    repo::mark_failed(conn, &row.id, reason, None)?;
                    done.withdrawn += 1;
                }
                Err(Undelivered::Failed(SendError(error))) => {
                    let attempt = u32::try_from(row.attempts).unwrap_or(0).saturating_add(1);
                    let retry_at = match backoff::after_failure(
                        attempt,
                        self.settings.max_attempts,
                        self.settings.retry_base,
                        backoff::jitter(),
                    ) {
                        AfterFailure::RetryIn(wait) => Some(now + chrono::Duration::from_std(wait).unwrap_or(lease)),
                        AfterFailure::Dead => None,
                    };
                    // The error names the channel's failure, never the message's content.
                    tracing::warn!(outbox.id = %row.id, channel = row.channel.as_str(), attempt, error = %error, dead = retry_at.is_none(), "delivery failed");
                    repo::mark_failed(conn, &row.id, &error, retry_at)?;
                    if retry_at.is_some() {
                        done.failed += 1;
                    } else {
                        done.dead += 1;
                    }
                }
            }
        }
        repo::mark_sent(conn, &sent, crate::clock::now())?;
        done.sent = sent.len();
        Ok(done)
    }

    /// Sends one message, unless it was withdrawn meanwhile, without recording anything (the
    /// pass records).
    pub fn send(&self, conn: &mut DbConn, row: &OutboxRow, now: NaiveDateTime) -> Result<(), Undelivered> {
        match row.channel {
            Channel::Email | Channel::Sms => {
                let m: LinkMessage =
                    serde_json::from_str(&row.payload).map_err(|e| SendError(format!("payload: {e}")))?;
                if let Some(reason) = withdrawn(conn, &m, now).map_err(|e| SendError(format!("database: {e}")))? {
                    return Err(Undelivered::Withdrawn(reason));
                }
                let sealed = row
                    .secret
                    .as_deref()
                    .ok_or_else(|| SendError("the link was cleared after an earlier delivery".into()))?;
                let token = self.sealer.open(sealed, &row.id).map_err(SendError)?;
                let link = message::link(&self.settings.invitation_link_url, &token);
                let recipient = crate::vault::open(&row.recipient, recipient_place(&row.id))
                    .map_err(|e| SendError(e.to_string()))?;
                let clinic = &self.settings.clinic_name;
                if row.channel == Channel::Email {
                    let email = self
                        .email
                        .as_ref()
                        .ok_or_else(|| SendError("email is not configured (SMTP_URL)".into()))?;
                    email.send(&recipient, clinic, &message::email(&m, clinic, &link), &row.id)?;
                } else {
                    let sms = self
                        .sms
                        .as_ref()
                        .ok_or_else(|| SendError("SMS is not configured (SMS_WEBHOOK_URL)".into()))?;
                    sms.send(
                        &recipient,
                        &message::sms(&m, clinic, &link),
                        &row.id,
                        chrono::Utc::now().timestamp(),
                    )?;
                }
                Ok(())
            }
            Channel::Webhook => self.webhooks.send(conn, &self.sealer, row, now),
        }
    }
}

#[derive(Default)]
struct Stop {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl Stop {
    fn is_set(&self) -> bool {
        self.stopped.lock().map(|s| *s).unwrap_or(true)
    }

    /// Waits up to `timeout` unless stopped; true when stopped.
    fn wait(&self, timeout: Duration) -> bool {
        let Ok(guard) = self.stopped.lock() else {
            return true;
        };
        match self.wake.wait_timeout_while(guard, timeout, |s| !*s) {
            Ok((s, _)) => *s,
            Err(_) => true,
        }
    }
}

/// The running worker; [`WorkerHandle::stop`] ends it.
pub struct WorkerHandle {
    stop: Arc<Stop>,
    thread: Option<JoinHandle<()>>,
}

impl WorkerHandle {
    /// Asks the worker to stop and waits for it (at most one message's send).
    pub fn stop(mut self) {
        self.signal();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    fn signal(&self) {
        if let Ok(mut s) = self.stop.stopped.lock() {
            *s = true;
        }
        self.stop.wake.notify_all();
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.signal();
    }
}

/// Starts the worker thread.
pub fn spawn(pool: DbPool, deliverer: Deliverer) -> std::io::Result<WorkerHandle> {
    let stop = Arc::new(Stop::default());
    let inner = stop.clone();
    let thread = std::thread::Builder::new()
        .name("outbox-worker".into())
        .spawn(move || run(&pool, &deliverer, &inner))?;
    Ok(WorkerHandle {
        stop,
        thread: Some(thread),
    })
}

fn run(pool: &DbPool, deliverer: &Deliverer, stop: &Stop) {
    let poll = deliverer.settings.poll_interval;
    let mut next_scan = crate::clock::now();
    while !stop.is_set() {
        let mut conn = match pool.get() {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "outbox worker: no database connection");
                if stop.wait(poll) {
                    break;
                }
                continue;
            }
        };
        let now = crate::clock::now();
        if now >= next_scan {
            if let Err(e) = reminders::scan(&mut conn, &deliverer.settings, &deliverer.sealer, now) {
                tracing::warn!(error = %e, "reminder scan failed");
            }
            next_scan = now + chrono::Duration::from_std(REMINDER_SCAN).unwrap_or(chrono::Duration::minutes(1));
        }
        let busy = match deliverer.deliver_due(&mut conn, now, &|| stop.is_set()) {
            Ok(d) => d.taken as i64 == BATCH,
            Err(e) => {
                tracing::warn!(error = %e, "outbox worker: delivery pass failed");
                false
            }
        };
        drop(conn);
        // A full batch means more may be due: go on at once.
        if !busy && stop.wait(poll) {
            break;
        }
    }
    tracing::info!("outbox worker stopped");
}
