//! Invitation use-cases: staff invite, list and revoke; anyone redeems a link with the
//! patient's date of birth. Every step is audited against the patient, so the patient's access
//! log shows who invited them.

use chrono::NaiveDateTime;

use super::api::{CreateInvitationRequest, InvitationListQuery, InvitationResponse, RedeemRequest, RedeemResponse};
use super::model::{self, InvitationChannel, InvitationPurpose, InvitationStatus, MAX_FAILED_ATTEMPTS};
use super::repo::{self, InvitationRow};
use crate::audit::event::{self as audit, AuditEvent, Origin, Outcome, RequestMeta};
use crate::auth::domain::{Role, canonical_email};
use crate::auth::repo::{self as users, NewUserRow, UserRow};
use crate::auth::sessions;
use crate::clock;
use crate::config::OutreachSettings;
use crate::courses::repo as courses;
use crate::courses::status::CheckinStatus;
use crate::db::{self, DbConn};
use crate::error::ApiError;
use crate::http::pagination::{self, CursorCodec, Page, Paged};
use crate::ids::{CheckinId, IntakeId, InvitationId, PatientId, UserId};
use crate::intake::api::CreateIntakeRequest;
use crate::intake::{draft, repo as intakes};
use crate::outreach::message::{LinkMessage, Template};
use crate::outreach::outbox::model::Channel;
use crate::outreach::outbox::repo::{self as outbox, OutboxRow};
use crate::outreach::seal::Sealer;
use crate::patients::repo::{self as patients, PatientRow};
use crate::patients::service as profiles;
use crate::screening::policy::ScreeningConfig;
use crate::state::{AppState, Audited, Caller};

/// What a new link is for and how it travels.
pub struct LinkSpec {
    pub purpose: InvitationPurpose,
    pub intake_id: Option<IntakeId>,
    pub checkin_id: Option<CheckinId>,
    pub channel: InvitationChannel,
    pub created_by: Option<UserId>,
    pub reminder_of: Option<InvitationId>,
    pub template: Template,
    /// A reminder's rule and step: at most one message per key.
    pub dedupe_key: Option<String>,
}

impl LinkSpec {
    /// A link for `purpose` on `channel`, naming nothing else yet.
    pub fn new(purpose: InvitationPurpose, channel: InvitationChannel, template: Template) -> Self {
        Self {
            purpose,
            intake_id: None,
            checkin_id: None,
            channel,
            created_by: None,
            reminder_of: None,
            template,
            dedupe_key: None,
        }
    }
}

/// Writes an invitation and, on a channel, its message, in the caller's transaction. The token
/// is returned (for staff to hand over) and is otherwise only sealed into the message. `None`
/// when a message with the spec's dedupe key exists already (nothing written).
pub fn issue(
    conn: &mut DbConn,
    settings: &OutreachSettings,
    sealer: &Sealer,
    patient: &PatientRow,
    spec: LinkSpec,
    now: NaiveDateTime,
) -> Result<Option<(InvitationRow, String)>, ApiError> {
    let token = model::new_token().map_err(|e| ApiError::internal(anyhow::anyhow!("random: {e}")))?;
    let expires_at = now + chrono::Duration::from_std(settings.invitation_ttl).map_err(ApiError::internal)?;
    let row = InvitationRow {
        id: InvitationId::new(),
        patient_id: patient.id,
        purpose: spec.purpose,
        intake_id: spec.intake_id,
        checkin_id: spec.checkin_id,
        channel: spec.channel,
        status: InvitationStatus::Pending,
        token_hash: model::digest(&token),
        failed_attempts: 0,
        expires_at,
        created_by: spec.created_by,
        reminder_of: spec.reminder_of,
        created_at: now,
        redeemed_at: None,
        revoked_at: None,
        revoked_reason: None,
    };
    let (channel, recipient) = match spec.channel {
        InvitationChannel::None => (None, None),
        InvitationChannel::Email => (Some(Channel::Email), patient.email.clone()),
        InvitationChannel::Sms => (Some(Channel::Sms), patient.phone.clone()),
    };
    if let Some(channel) = channel {
        let recipient = recipient.ok_or_else(|| no_contact(spec.channel))?;
        let mut message = OutboxRow::new(channel, String::new(), String::new(), now);
        // The address or number is the patient's contact detail: sealed like the profile's.
        message.recipient =
            crate::vault::seal(&recipient, outbox::recipient_place(&message.id)).map_err(ApiError::internal)?;
        message.payload = serde_json::to_string(&LinkMessage {
            template: spec.template,
            purpose: spec.purpose,
            invitation_id: row.id.to_string(),
            language: patient.preferred_language,
            expires_at: clock::utc(expires_at),
        })
        .map_err(ApiError::internal)?;
        message.secret = Some(
            sealer
                .seal(&token, &message.id)
                .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?,
        );
        message.dedupe_key = spec.dedupe_key;
        if !outbox::enqueue(conn, &message)? {
            return Ok(None);
        }
    }
    repo::insert(conn, &row)?;
    Ok(Some((row, token)))
}

fn no_contact(channel: InvitationChannel) -> ApiError {
    match channel {
        InvitationChannel::Sms => ApiError::invalid("channel", "no_phone", "the patient has no phone number for sms"),
        _ => ApiError::invalid("channel", "no_email", "the patient has no email address"),
    }
}

pub fn response(row: &InvitationRow, link: Option<String>, now: NaiveDateTime) -> InvitationResponse {
    InvitationResponse {
        id: row.id.into(),
        patient_id: row.patient_id.into(),
        purpose: row.purpose,
        intake_id: row.intake_id.map(Into::into),
        checkin_id: row.checkin_id.map(Into::into),
        channel: row.channel,
        status: row.status_at(now),
        expires_at: clock::utc(row.expires_at),
        created_at: clock::utc(row.created_at),
        redeemed_at: row.redeemed_at.map(clock::utc),
        revoked_at: row.revoked_at.map(clock::utc),
        reminder_of: row.reminder_of.map(Into::into),
        link,
    }
}

/// The settings an unset channel needs, for the 422 that names it.
fn check_channel(settings: &OutreachSettings, channel: InvitationChannel) -> Result<(), ApiError> {
    let (outbox_channel, setting) = match channel {
        InvitationChannel::None => return Ok(()),
        InvitationChannel::Email => (Channel::Email, "SMTP_URL"),
        InvitationChannel::Sms => (Channel::Sms, "SMS_WEBHOOK_URL"),
    };
    if outbox_channel.configured(settings) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "channel",
            "not_configured",
            format!("{} is not configured on this server (set {setting})", channel.as_str()),
        ))
    }
}

/// Staff invite a patient (creating the profile when `patient` is given) to an intake (the
/// patient's open draft, or a new one) or a due check-in.
pub fn create(
    conn: &mut DbConn,
    caller: &Caller,
    req: CreateInvitationRequest,
    cfg: &ScreeningConfig,
    settings: &OutreachSettings,
    sealer: &Sealer,
) -> Result<InvitationResponse, ApiError> {
    caller.actor.require_staff()?;
    check_channel(settings, req.channel)?;
    let patient_id = match (req.patient_id, req.patient) {
        (Some(id), None) => PatientId::from(id),
        (None, Some(fields)) => PatientId::from(profiles::create(conn, caller, fields)?.id),
        _ => {
            return Err(ApiError::invalid(
                "patient_id",
                "one_of",
                "give exactly one of patient_id (an existing patient) and patient (a new profile)",
            ));
        }
    };
    let patient = patients::find(conn, patient_id)?.ok_or(ApiError::NotFound("patient"))?;
    let (intake_id, checkin_id) = match (req.purpose, req.checkin_id) {
        (InvitationPurpose::Intake, Some(_)) => {
            return Err(ApiError::invalid(
                "checkin_id",
                "not_allowed",
                "only a checkin invitation names a check-in",
            ));
        }
        (InvitationPurpose::Intake, None) => {
            let draft = match intakes::open_draft(conn, patient_id)? {
                Some(id) => id,
                None => draft::create(conn, caller, patient_id, CreateIntakeRequest::default(), cfg)?
                    .id
                    .into(),
            };
            (Some(draft), None)
        }
        (InvitationPurpose::Checkin, None) => {
            return Err(ApiError::invalid(
                "checkin_id",
                "required",
                "a checkin invitation names the check-in",
            ));
        }
        (InvitationPurpose::Checkin, Some(id)) => {
            let id = CheckinId::from(id);
            let checkin = courses::find_checkin(conn, id)?
                .filter(|c| c.patient_id == patient_id)
                .ok_or_else(|| ApiError::invalid("checkin_id", "unknown", "is not a check-in of this patient"))?;
            if checkin.status != CheckinStatus::Due {
                return Err(ApiError::conflict("the check-in is not due any more"));
            }
            (None, Some(id))
        }
    };
    let now = clock::now();
    let spec = LinkSpec {
        intake_id,
        checkin_id,
        created_by: Some(caller.actor.user_id),
        ..LinkSpec::new(req.purpose, req.channel, Template::Invitation)
    };
    let (row, token) = issue(conn, settings, sealer, &patient, spec, now)?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("an invitation without a dedupe key was deduplicated")))?;
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("invitation.create", "invitation", row.id).patient(patient_id)],
    )?;
    let link = crate::outreach::message::link(&settings.invitation_link_url, &token);
    Ok(response(&row, Some(link), now))
}

pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    q: &InvitationListQuery,
    codec: &CursorCodec,
) -> Result<Audited<Page<InvitationResponse>>, ApiError> {
    caller.actor.require_staff()?;
    let query_key = format!(
        "invitations|status={}|patient={}",
        q.status.map_or("", |s| s.as_str()),
        q.patient_id.map(|p| p.to_string()).unwrap_or_default()
    );
    let after: Option<(NaiveDateTime, InvitationId)> = codec.after(&query_key, q)?;
    let limit = q.limit();
    let now = clock::now();
    let rows = repo::list(conn, q.status, q.patient_id.map(PatientId::from), after, limit + 1, now)?;
    let mut listed = Vec::new();
    let page = pagination::finish_page(
        rows,
        limit,
        codec,
        &query_key,
        |r| serde_json::json!((r.created_at, r.id)),
        |r| {
            listed.push((r.id, Some(r.patient_id)));
            response(&r, None, now)
        },
    );
    Ok(Audited::new(
        page,
        AuditEvent::listing("invitation.list", "invitation", listed),
    ))
}

/// Revokes a pending invitation (and its reminders' links); the link stops working at once.
/// Revoking a revoked or expired one again changes nothing; a redeemed one is a 409.
pub fn revoke(conn: &mut DbConn, caller: &Caller, id: InvitationId) -> Result<(), ApiError> {
    caller.actor.require_staff()?;
    let row = repo::find(conn, id)?.ok_or(ApiError::NotFound("invitation"))?;
    if row.status == InvitationStatus::Redeemed {
        return Err(ApiError::conflict("the invitation was redeemed already"));
    }
    repo::revoke(conn, id, "staff", clock::now())?;
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("invitation.revoke", "invitation", id).patient(row.patient_id)],
    )?;
    Ok(())
}

/// The patient's account, created (without a password) the first time an invitation is
/// redeemed. Its sign-in email is the profile's when no other account has it; otherwise a
/// reserved `.invalid` address that receives nothing (RFC 2606), until the patient changes it.
fn account_of(conn: &mut DbConn, patient: &PatientRow, now: NaiveDateTime) -> Result<UserRow, ApiError> {
    if let Some(user) = patient.user_id {
        return users::find(conn, user)?
            .filter(|u| !u.disabled)
            .ok_or(ApiError::InvalidInvitation);
    }
    let mut email = format!("patient-{}@invited.invalid", patient.id);
    if let Some(own) = patient.email.as_deref().and_then(|e| canonical_email(e).ok())
        && users::find_by_email(conn, &own)?.is_none()
    {
        email = own;
    }
    let id = UserId::new();
    users::insert(
        conn,
        &NewUserRow {
            id,
            email: &email,
            password_hash: None,
            role: Role::Patient,
            display_name: &email,
            disabled: false,
            external_subject: None,
            created_at: now,
            updated_at: now,
        },
    )?;
    patients::link_user(conn, patient.id, id)?;
    users::find(conn, id)?.ok_or(ApiError::InvalidInvitation)
}

enum Redeemed {
    Opened(RedeemResponse),
    /// Refused; what was counted or revoked commits with the audit event.
    Refused,
}

/// Exchanges a link's token and the patient's date of birth for a patient session. Every
/// failure is the same 401; the fifth wrong date of birth revokes the invitation.
pub async fn redeem(state: &AppState, meta: RequestMeta, req: RedeemRequest) -> Result<RedeemResponse, ApiError> {
    let tokens = state.tokens.clone();
    let session = state.settings.outreach.invitation_session;
    let outcome = db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            let now = clock::now();
            let nobody = Origin {
                actor: None,
                meta: &meta,
            };
            let Some(row) = repo::find_by_token(conn, &model::digest(&req.token))? else {
                let event = AuditEvent::new("invitation.redeem", "invitation", "unknown").outcome(Outcome::Failure);
                audit::record(conn, nobody, &[event])?;
                return Ok(Redeemed::Refused);
            };
            let event = || AuditEvent::new("invitation.redeem", "invitation", row.id).patient(row.patient_id);
            if row.status_at(now) != InvitationStatus::Pending {
                audit::record(conn, nobody, &[event().outcome(Outcome::Denied)])?;
                return Ok(Redeemed::Refused);
            }
            let patient = patients::find(conn, row.patient_id)?.ok_or(ApiError::InvalidInvitation)?;
            if patient.date_of_birth != req.date_of_birth {
                repo::count_failure(conn, row.id, MAX_FAILED_ATTEMPTS, now)?;
                audit::record(conn, nobody, &[event().outcome(Outcome::Failure)])?;
                return Ok(Redeemed::Refused);
            }
            if !repo::redeem(conn, row.id, now)? {
                audit::record(conn, nobody, &[event().outcome(Outcome::Denied)])?;
                return Ok(Redeemed::Refused);
            }
            let user = account_of(conn, &patient, now)?;
            let actor = user.actor();
            let issued = sessions::open_short(conn, &tokens, &user, &meta, session)?;
            audit::record(
                conn,
                Origin {
                    actor: Some(&actor),
                    meta: &meta,
                },
                &[event()],
            )?;
            let intake_id = match row.intake_id {
                Some(id) if intakes::current_version(conn, id)?.is_some() => Some(id.into()),
                _ => None,
            };
            Ok(Redeemed::Opened(RedeemResponse {
                access_token: issued.access_token,
                token_type: "Bearer",
                expires_in: issued.expires_in,
                patient_id: patient.id.into(),
                intake_id,
                checkin_id: row.checkin_id.map(Into::into),
            }))
        })
    })
    .await?;
    match outcome {
        Redeemed::Opened(r) => Ok(r),
        Redeemed::Refused => Err(ApiError::InvalidInvitation),
    }
}
