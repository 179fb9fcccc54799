//! Drafts: starting an intake (pre-filled from the profile and the last submission), replacing
//! its sections under optimistic concurrency, and deleting one that was never submitted.

use super::access;
use super::api::{CreateIntakeRequest, IntakeResponse, PatchIntakeRequest, SectionsInput};
use super::consent;
use super::read;
use super::repo::{self, IntakeRow};
use super::sections::{Consent, ConsentEvidence, Demographics, Sections, SignerRole};
use super::status::IntakeStatus;
use crate::audit::event::{self as audit, AuditEvent};
use crate::auth::domain::Role;
use crate::clock;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::http::etag::IfMatch;
use crate::ids::{IntakeId, PatientId, UserId};
use crate::patients::api::PatientFields;
use crate::patients::{repo as patients_repo, service as patients};
use crate::screening::instruments::InstrumentCode;
use crate::screening::policy::{self, ScreeningConfig};
use crate::state::Caller;
use crate::validation::FieldIssue;

/// Who signs a consent saved by the caller on an intake of `patient_id`: the patient (`None`),
/// or this staff member typing the patient's attestation.
fn signer_of(caller: &Caller, patient_id: PatientId) -> Option<UserId> {
    (caller.actor.patient_id != Some(patient_id)).then_some(caller.actor.user_id)
}

/// Applies client sections to a document: replace named sections whole, remove `null` ones.
/// Shape was validated on the way in; this adds the checks that need the clinic's settings
/// (instruments) and the signer, and records consent evidence. `staff` is the staff member
/// saving it for the patient, if it is not the patient.
fn apply(
    sections: &mut Sections,
    input: SectionsInput,
    caller: &Caller,
    staff: Option<UserId>,
    cfg: &ScreeningConfig,
) -> Result<(), ApiError> {
    let mut issues = Vec::new();
    if let Some(v) = input.demographics {
        sections.demographics = v;
    }
    if let Some(v) = input.medical_history {
        sections.medical_history = v;
    }
    if let Some(v) = input.pain {
        sections.pain = v;
    }
    if let Some(v) = input.logistics {
        sections.logistics = v;
    }
    if let Some(v) = input.screenings {
        if let Some(s) = &v {
            issues.extend(policy::check_draft(s, cfg));
        }
        sections.screenings = v;
    }
    if let Some(v) = input.consent {
        sections.consent = match v {
            None => None,
            Some(input) => {
                match (staff, input.signer_role) {
                    (Some(_), Some(r)) if r != SignerRole::StaffOnBehalf => issues.push(FieldIssue::new(
                        "sections.consent.signer_role",
                        "invalid_value",
                        "staff filling in an intake for the patient sign as staff_on_behalf",
                    )),
                    (None, Some(SignerRole::StaffOnBehalf)) => issues.push(FieldIssue::new(
                        "sections.consent.signer_role",
                        "invalid_value",
                        "only clinic staff sign on the patient's behalf",
                    )),
                    _ => {}
                }
                let accepted = input.accepted == Some(true);
                if accepted && input.consent_version.as_deref() != Some(consent::CURRENT_VERSION) {
                    issues.push(FieldIssue::new(
                        "sections.consent.consent_version",
                        "outdated",
                        format!("sign the current consent text (version {})", consent::CURRENT_VERSION),
                    ));
                }
                let evidence = accepted.then(|| ConsentEvidence {
                    signed_at: chrono::Utc::now(),
                    text_sha256: consent::sha256(input.lang.unwrap_or_default()),
                    client_addr: caller.meta.client_addr.clone(),
                    user_agent: caller.meta.user_agent.clone(),
                    signed_by: staff.map(Into::into),
                });
                Some(Consent { input, evidence })
            }
        };
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(issues))
    }
}

/// Demographics from the patient's profile, as a starting point.
fn demographics_from_profile(p: &PatientFields) -> Demographics {
    Demographics {
        given_name: Some(p.given_name.clone()),
        family_name: Some(p.family_name.clone()),
        date_of_birth: Some(p.date_of_birth),
        sex_at_birth: Some(p.sex_at_birth),
        gender_identity: p.gender_identity.clone(),
        preferred_language: Some(p.preferred_language),
        email: p.email.clone(),
        phone: p.phone.clone(),
        address: p.address.clone(),
        emergency_contact: p.emergency_contact.clone(),
        ..Demographics::default()
    }
}

/// Whose intake a new one is: a patient's own; staff name the patient (phone intake). Checked
/// before anything else of the request (an `Idempotency-Key` included).
pub fn patient_of(caller: &Caller, asked: Option<PatientId>) -> Result<PatientId, ApiError> {
    match (caller.actor.role, asked, caller.actor.patient_id) {
        (Role::Patient, Some(asked), Some(own)) if asked != own => Err(ApiError::NotFound("patient")),
        (Role::Patient, _, Some(own)) => Ok(own),
        (Role::Patient, _, None) => Err(ApiError::conflict(
            "create your patient profile (POST /api/v1/patients) before an intake",
        )),
        (_, Some(p), _) => Ok(p),
        (_, None, _) => Err(ApiError::invalid(
            "patient_id",
            "required",
            "staff must name the patient",
        )),
    }
}

/// A new draft for `patient_id` (from [`patient_of`]), pre-filled: demographics from the
/// patient's profile, medical history from the patient's last submitted intake.
pub fn create(
    conn: &mut DbConn,
    caller: &Caller,
    patient_id: PatientId,
    req: CreateIntakeRequest,
    cfg: &ScreeningConfig,
) -> Result<IntakeResponse, ApiError> {
    let profile = patients_repo::find(conn, patient_id)?.ok_or(ApiError::NotFound("patient"))?;
    let mut sections = Sections {
        demographics: Some(demographics_from_profile(&patients::fields_of(&profile)?)),
        ..Sections::default()
    };
    if let Some(previous) = repo::latest_submitted_sections(conn, profile.id)? {
        sections.medical_history = previous.get()?.medical_history;
    }
    apply(&mut sections, req.sections, caller, signer_of(caller, patient_id), cfg)?;
    let row = IntakeRow::draft(
        IntakeId::new(),
        patient_id,
        caller.actor.user_id,
        caller.actor.is_staff(),
        sections.to_json()?,
        clock::now(),
    );
    repo::insert(conn, &row)?;
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("intake.create", "intake", row.id).patient(patient_id)],
    )?;
    read::response(&row, Some(&sections), cfg)
}

/// A create replayed under its `Idempotency-Key` shows the first response again: only while the
/// intake exists (409 once it was deleted) and the caller may see it, and audited like a read.
pub fn replayed(conn: &mut DbConn, caller: &Caller, id: IntakeId) -> Result<(), ApiError> {
    let row = repo::find(conn, id)?.ok_or_else(|| {
        ApiError::conflict(
            "the intake created with this Idempotency-Key has since been deleted; send the request with a new key",
        )
    })?;
    if !caller.actor.can_access_patient(row.patient_id) {
        caller.deny(AuditEvent::new("intake.create_replayed", "intake", id).patient(row.patient_id));
        return Err(ApiError::NotFound("intake"));
    }
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("intake.create_replayed", "intake", id).patient(row.patient_id)],
    )?;
    Ok(())
}

fn not_editable(status: IntakeStatus) -> ApiError {
    ApiError::conflict(format!(
        "the intake is {} and cannot be edited; only draft and needs_info intakes can",
        status.as_str()
    ))
}

/// Replaces named sections when `If-Match` names the current version.
pub fn patch(
    conn: &mut DbConn,
    caller: &Caller,
    id: IntakeId,
    if_match: IfMatch,
    req: PatchIntakeRequest,
    cfg: &ScreeningConfig,
) -> Result<IntakeResponse, ApiError> {
    change(conn, caller, id, if_match, cfg, |_| req.sections)
}

/// Stores one instrument's answers as that screening, keeping the others (a
/// QuestionnaireResponse for one Questionnaire); validated like a `PATCH` of the screenings.
pub fn put_screening(
    conn: &mut DbConn,
    caller: &Caller,
    id: IntakeId,
    if_match: IfMatch,
    code: InstrumentCode,
    answers: serde_json::Value,
    cfg: &ScreeningConfig,
) -> Result<IntakeResponse, ApiError> {
    change(conn, caller, id, if_match, cfg, |sections| {
        let mut screenings = sections.screenings.clone().unwrap_or_default();
        screenings.insert(code.as_str().to_owned(), answers);
        SectionsInput {
            screenings: Some(Some(screenings)),
            ..SectionsInput::default()
        }
    })
}

/// Applies the sections `input` makes of the stored ones, when `If-Match` names the current
/// version and the status allows edits.
fn change(
    conn: &mut DbConn,
    caller: &Caller,
    id: IntakeId,
    if_match: IfMatch,
    cfg: &ScreeningConfig,
    input: impl FnOnce(&Sections) -> SectionsInput,
) -> Result<IntakeResponse, ApiError> {
    let mut row = access::changeable_for_update(conn, caller, id, "intake.update")?;
    if_match.check(row.version)?;
    if !row.status.editable() {
        return Err(not_editable(row.status));
    }
    let mut sections = row.sections.get()?;
    let input = input(&sections);
    apply(&mut sections, input, caller, signer_of(caller, row.patient_id), cfg)?;
    let expected = row.version;
    row.sections = sections.to_json()?;
    row.version += 1;
    row.updated_at = clock::now();
    if !repo::update_if_version(conn, &row, expected)? {
        let current = repo::current_version(conn, row.id)?.unwrap_or(expected);
        return Err(ApiError::PreconditionFailed {
            current_version: current,
        });
    }
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("intake.update", "intake", id).patient(row.patient_id)],
    )?;
    read::response(&row, Some(&sections), cfg)
}

/// Deletes a draft that was never submitted; anything submitted is kept forever (409).
pub fn delete(conn: &mut DbConn, caller: &Caller, id: IntakeId, if_match: Option<IfMatch>) -> Result<(), ApiError> {
    let row = access::changeable_for_update(conn, caller, id, "intake.delete")?;
    if let Some(m) = if_match {
        m.check(row.version)?;
    }
    if row.status != IntakeStatus::Draft || row.submission_count > 0 {
        return Err(ApiError::conflict(
            "a submitted intake is never deleted; only a draft that was never submitted can be",
        ));
    }
    if !repo::delete_draft(conn, row.id)? {
        return Err(ApiError::conflict(
            "the intake changed while it was being deleted; fetch it again",
        ));
    }
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("intake.delete", "intake", id).patient(row.patient_id)],
    )?;
    Ok(())
}
