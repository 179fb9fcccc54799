//! Submitting an intake: the completeness check, the server's scoring, and the immutable
//! snapshot. The scoring runs before the write transaction (it is pure work on the stored
//! document and must not hold SQLite's one write lock); the transaction then checks that the
//! intake did not change meanwhile, or scores again.

use super::access;
use super::completeness;
use super::consent;
use super::repo::{self, IntakeRow, SubmissionRow};
use super::rescore::{self, Results};
use super::sections::Sections;
use super::status::IntakeStatus;
use crate::audit::event::{self as audit, AuditEvent, Outcome};
use crate::clock;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::http::etag::IfMatch;
use crate::ids::{IntakeId, Json, SubmissionId};
use crate::outreach::webhooks::model::WebhookEvent;
use crate::outreach::webhooks::service as webhooks;
use crate::screening::model::Severity;
use crate::screening::policy::{self, Exam, ScreeningConfig};
use crate::state::Caller;
use crate::validation::FieldIssue;

/// Missing fields and missing instruments (the answers themselves are checked by scoring).
fn incomplete(sections: &Sections, cfg: &ScreeningConfig) -> Vec<FieldIssue> {
    let mut issues = completeness::missing(sections, consent::CURRENT_VERSION);
    if let Some(answers) = &sections.screenings {
        issues.extend(policy::missing(answers, &sections.pain_types(), cfg));
    }
    issues
}

/// Issues as a client reads them: by JSON path, each once.
fn sorted(mut issues: Vec<FieldIssue>) -> Vec<FieldIssue> {
    issues.sort_by(|a, b| a.field.cmp(&b.field).then_with(|| a.code.cmp(&b.code)));
    issues.dedup_by(|a, b| a.field == b.field && a.code == b.code);
    issues
}

/// What a submit needs and what it computes: every missing field, missing instrument and invalid
/// answer at once (by JSON path, sorted), or the results. `exam` holds clinician findings.
pub fn check(sections: &Sections, exam: Option<&Exam>, cfg: &ScreeningConfig) -> Result<Results, Vec<FieldIssue>> {
    let mut issues = incomplete(sections, cfg);
    match rescore::rescore(sections, exam, cfg) {
        Ok(results) if issues.is_empty() => return Ok(results),
        Ok(_) => {}
        Err(found) => issues.extend(found),
    }
    Err(sorted(issues))
}

/// What a submit would still ask for (empty when the document is complete and valid): the
/// issues of [`check`], without computing the results.
pub fn missing(sections: &Sections, cfg: &ScreeningConfig) -> Vec<FieldIssue> {
    let mut issues = incomplete(sections, cfg);
    issues.extend(rescore::score(sections, None, cfg).1);
    sorted(issues)
}

/// A submit's document and results, computed before the write transaction (an error is
/// reported in the transaction, after the checks that come first).
pub struct Prepared {
    row: IntakeRow,
    scored: Result<(Sections, Results), ApiError>,
}

impl Prepared {
    /// The audit event of a replayed submit (an `Idempotency-Key` seen before).
    pub fn replay_event(&self) -> AuditEvent {
        AuditEvent::new("intake.submit_replayed", "intake", self.row.id).patient(self.row.patient_id)
    }
}

/// The stored document, parsed once, and what a submit computes from it.
fn score(row: &IntakeRow, cfg: &ScreeningConfig) -> Result<(Sections, Results), ApiError> {
    let sections = row.sections.get()?;
    let exam = row.exam.as_ref().map(Json::get).transpose()?;
    let results = check(&sections, exam.as_ref(), cfg).map_err(ApiError::Validation)?;
    Ok((sections, results))
}

/// Phase one, outside any transaction: the caller may see the intake; score what is stored.
pub fn prepare(conn: &mut DbConn, caller: &Caller, id: IntakeId, cfg: &ScreeningConfig) -> Result<Prepared, ApiError> {
    let row = access::visible(conn, caller, id, "intake.submit")?;
    access::may_change(caller, &row)?;
    let scored = score(&row, cfg);
    Ok(Prepared { row, scored })
}

/// Phase two, in the write transaction: the intake is still the one scored (else it is scored
/// again), still editable and at the `If-Match` version; an immutable snapshot is stored and
/// the intake becomes `submitted`. A `needs_info` intake can be submitted again; each
/// submission is kept. Returns the submitted intake's row.
pub fn commit(
    conn: &mut DbConn,
    caller: &Caller,
    prepared: Prepared,
    if_match: Option<IfMatch>,
    cfg: &ScreeningConfig,
) -> Result<IntakeRow, ApiError> {
    let mut row = repo::find_for_update(conn, prepared.row.id)?.ok_or(ApiError::NotFound("intake"))?;
    if let Some(m) = if_match {
        m.check(row.version)?;
    }
    if !row.status.editable() {
        return Err(ApiError::conflict(format!(
            "the intake is already {}; only draft and needs_info intakes can be submitted",
            row.status.as_str()
        )));
    }
    let scored = if row.version == prepared.row.version {
        prepared.scored
    } else {
        score(&row, cfg)
    };
    // What is missing says what the answers are (a required PCL-5 is a positive PTSD screen): the
    // refused submit is an audited disclosure, kept when the transaction rolls back.
    if let Err(ApiError::Validation(_)) = &scored {
        caller.record_anyway(
            AuditEvent::new("intake.submit", "intake", row.id)
                .patient(row.patient_id)
                .outcome(Outcome::Failure),
        );
    }
    let (sections, results) = scored?;
    let now = clock::now();
    let expected = row.version;
    row.submission_count += 1;
    let submission = SubmissionRow {
        id: SubmissionId::new(),
        intake_id: row.id,
        seq: row.submission_count,
        submitted_at: now,
        submitted_by: caller.actor.user_id,
        sections: row.sections.clone(),
        scores: Json::new(&results.scores)?,
        assessment: Json::new(&results.assessment)?,
    };
    row.status = IntakeStatus::Submitted;
    row.version += 1;
    row.updated_at = now;
    row.submitted_at = Some(now);
    // The note asked for more information; the answer is this submission.
    row.review_note = None;
    rescore::store(conn, &mut row, &sections, &results)?;
    if !repo::update_if_version(conn, &row, expected)? {
        let current = repo::current_version(conn, row.id)?.unwrap_or(expected);
        return Err(ApiError::PreconditionFailed {
            current_version: current,
        });
    }
    repo::insert_submission(conn, &submission)?;
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("intake.submit", "intake", row.id).patient(row.patient_id)],
    )?;
    // Integrators are told in this transaction: ids and statuses only.
    let data = serde_json::json!({"intake_id": row.id, "patient_id": row.patient_id, "status": row.status.as_str()});
    webhooks::emit(conn, WebhookEvent::IntakeSubmitted, data.clone(), now)?;
    if row.top_severity == Some(Severity::Urgent.rank()) {
        webhooks::emit(conn, WebhookEvent::IntakeUrgentFlag, data, now)?;
    }
    Ok(row)
}
