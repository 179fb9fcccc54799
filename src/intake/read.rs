//! Reading intakes: one intake as its owner and clinicians see it, its submissions, and the
//! summary a list shows. An intake's documents (sections, scores, flags) are passed through as
//! stored (they are stored exactly as they are returned); a submission's scores and assessment
//! are parsed to split them into the response's fields.

use serde_json::value::RawValue;

use super::access;
use super::api::{IntakeResponse, IntakeSummary, KeyScores, SubmissionResponse};
use super::repo::{self, IntakeRow, SummaryRow};
use super::sections::Sections;
use super::submit;
use crate::audit::event::AuditEvent;
use crate::clock;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::IntakeId;
use crate::screening::model::Severity;
use crate::screening::policy::ScreeningConfig;
use crate::state::{Audited, Caller};

fn raw(json: &str) -> Result<Box<RawValue>, ApiError> {
    RawValue::from_string(json.to_owned()).map_err(ApiError::internal)
}

/// The parts of a stored assessment, split without building a value tree.
#[derive(serde::Deserialize)]
struct AssessmentParts {
    flags: Box<RawValue>,
    eligibility: Box<RawValue>,
    mme: Box<RawValue>,
}

/// The intake as its owner and clinicians see it. `sections` is the document when the caller
/// has it parsed already (it is needed only while the intake is editable, for `missing`).
pub fn response(
    row: &IntakeRow,
    sections: Option<&Sections>,
    cfg: &ScreeningConfig,
) -> Result<IntakeResponse, ApiError> {
    let missing = match (row.status.editable(), sections) {
        (false, _) => Vec::new(),
        (true, Some(sections)) => submit::missing(sections, cfg),
        (true, None) => submit::missing(&row.sections.get()?, cfg),
    };
    let parts: Option<AssessmentParts> = row
        .assessment
        .as_ref()
        .map(|a| serde_json::from_str(a.raw().get()))
        .transpose()
        .map_err(ApiError::internal)?;
    let (flags, eligibility, mme) = match parts {
        Some(p) => (p.flags, p.eligibility, p.mme),
        None => (raw("[]")?, raw("null")?, raw("null")?),
    };
    Ok(IntakeResponse {
        id: row.id.into(),
        patient_id: row.patient_id.into(),
        status: row.status,
        version: row.version,
        sections: row.sections.clone().into_raw(),
        scores: match &row.scores {
            Some(s) => s.clone().into_raw(),
            None => raw("{}")?,
        },
        flags,
        eligibility,
        mme,
        missing,
        created_on_behalf: row.created_on_behalf,
        assigned_to: row.assigned_to.map(Into::into),
        review_note: row.review_note.clone(),
        submission_count: row.submission_count,
        created_at: clock::utc(row.created_at),
        updated_at: clock::utc(row.updated_at),
        submitted_at: row.submitted_at.map(clock::utc),
    })
}

/// `GET /intakes/{id}`, given the row as read with the caller's ([`repo::find_with_actor`]).
pub fn get(
    caller: &Caller,
    id: IntakeId,
    row: Option<IntakeRow>,
    cfg: &ScreeningConfig,
) -> Result<Audited<IntakeResponse>, ApiError> {
    let row = access::check(caller, id, "intake.read", row)?;
    let body = response(&row, None, cfg)?;
    Ok(Audited::new(
        body,
        vec![AuditEvent::new("intake.read", "intake", id).patient(row.patient_id)],
    ))
}

/// Every submission of an intake, oldest first, unchanged.
pub fn submissions(
    conn: &mut DbConn,
    caller: &Caller,
    id: IntakeId,
) -> Result<Audited<Vec<SubmissionResponse>>, ApiError> {
    let row = access::visible(conn, caller, id, "intake.read")?;
    let mut out = Vec::new();
    for s in repo::submissions(conn, row.id)? {
        let assessment = s.assessment.get()?;
        out.push(SubmissionResponse {
            seq: s.seq,
            submitted_at: clock::utc(s.submitted_at),
            submitted_by: s.submitted_by.into(),
            sections: s.sections,
            scores: s.scores.get()?,
            flags: assessment.flags,
            eligibility: assessment.eligibility,
            mme: assessment.mme,
        });
    }
    let event = AuditEvent::new("intake.submissions_read", "intake", id).patient(row.patient_id);
    Ok(Audited::new(out, vec![event]))
}

/// One row of a list of intakes.
pub fn summary(row: SummaryRow, given: &str, family: &str) -> IntakeSummary {
    let split = |s: &Option<String>| -> Vec<String> {
        s.as_deref()
            .map(|v| v.split(',').filter(|x| !x.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    IntakeSummary {
        id: row.id.into(),
        patient_id: row.patient_id.into(),
        patient_name: format!("{family}, {given}"),
        status: row.status,
        pain_types: split(&row.pain_types),
        top_severity: row
            .top_severity
            .and_then(Severity::from_rank)
            .map(|s| s.as_str().to_owned()),
        flag_codes: split(&row.flag_codes),
        eligibility: row.eligibility.clone(),
        scores: KeyScores {
            phq9_total: row.phq9_total,
            gad7_total: row.gad7_total,
            pain_average: row.pain_average,
            fm_result: row.fm_result.clone(),
            crps_result: row.crps_result.clone(),
        },
        assigned_to: row.assigned_to.map(Into::into),
        created_at: clock::utc(row.created_at),
        updated_at: clock::utc(row.updated_at),
        submitted_at: row.submitted_at.map(clock::utc),
    }
}
