//! Intake use-cases: drafts owned by the server, optimistic concurrency, completeness-checked
//! submit with server-side scoring, idempotency, and the audit of every access.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::api::{
    CreateIntakeRequest, IntakeResponse, IntakeStatus, IntakeSummary, KeyScores, PatchIntakeRequest, SectionsInput,
    SubmissionResponse,
};
use super::sections::{Consent, ConsentEvidence, Demographics, Sections};
use super::{completeness, consent, repo, triage};
use crate::audit::event::{self as audit, AuditEvent, Outcome};
use crate::auth::domain::Role;
use crate::clock;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::http::etag::{IfMatch, etag};
use crate::http::idempotency::{self, Begin, Reply};
use crate::patients;
use crate::screening::instruments::InstrumentCode;
use crate::screening::model::Severity;
use crate::screening::policy::{self, Exam, Scores, ScreeningConfig};
use crate::screening::safety::{self, Assessment};
use crate::state::{Audited, Caller};
use crate::validation::FieldIssue;

fn internal<E: std::error::Error + Send + Sync + 'static>(e: E) -> ApiError {
    ApiError::internal(e)
}

/// The stored status column, parsed.
fn status_of(status: &str) -> Result<IntakeStatus, ApiError> {
    IntakeStatus::parse(status).ok_or_else(|| ApiError::internal(anyhow::anyhow!("unknown status {status}")))
}

fn uuid(s: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(s).map_err(ApiError::internal)
}

/// Finds an intake the caller may see; anything else is "not found" (and audited as denied).
pub fn visible(
    conn: &mut DbConn,
    caller: &Caller,
    id: Uuid,
    action: &'static str,
) -> Result<repo::IntakeRow, ApiError> {
    let row = repo::find(conn, &id.to_string())?;
    check_visible(conn, caller, id, action, row)
}

/// `visible`, for a change: the row stays locked until the transaction ends.
pub fn visible_for_update(
    conn: &mut DbConn,
    caller: &Caller,
    id: Uuid,
    action: &'static str,
) -> Result<repo::IntakeRow, ApiError> {
    let row = repo::find_for_update(conn, &id.to_string())?;
    check_visible(conn, caller, id, action, row)
}

fn check_visible(
    conn: &mut DbConn,
    caller: &Caller,
    id: Uuid,
    action: &'static str,
    row: Option<repo::IntakeRow>,
) -> Result<repo::IntakeRow, ApiError> {
    let row = row.ok_or(ApiError::NotFound("intake"))?;
    let patient_id = uuid(&row.patient_id)?;
    if caller.actor.can_access_patient(patient_id) {
        return Ok(row);
    }
    let denied = AuditEvent::new(action, "intake", id)
        .patient(patient_id)
        .outcome(Outcome::Denied);
    audit::record(conn, caller.origin(), &[denied])?;
    Err(ApiError::NotFound("intake"))
}

/// The document as JSON without the fields never answered (stored and returned this way).
pub fn document(sections: &Sections) -> Result<serde_json::Value, ApiError> {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.retain(|_, x| !x.is_null());
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(sections).map_err(internal)?;
    strip(&mut v);
    Ok(v)
}

fn store(sections: &Sections) -> Result<String, ApiError> {
    serde_json::to_string(&document(sections)?).map_err(internal)
}

pub fn parse_sections(row: &repo::IntakeRow) -> Result<Sections, ApiError> {
    serde_json::from_str(&row.sections).map_err(internal)
}

/// The scores and assessment stored with a submission.
fn parse_submission(s: &repo::SubmissionRow) -> Result<(Scores, Assessment), ApiError> {
    Ok((
        serde_json::from_str(&s.scores).map_err(internal)?,
        serde_json::from_str(&s.assessment).map_err(internal)?,
    ))
}

/// The intake's current scores and assessment (none before the first submit).
pub fn current_results(row: &repo::IntakeRow) -> Result<(Scores, Option<Assessment>), ApiError> {
    let scores = row
        .scores
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(internal)?
        .unwrap_or_default();
    let assessment = row
        .assessment
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(internal)?;
    Ok((scores, assessment))
}

/// The stored JSON, passed through as is: the documents are stored exactly as they are
/// returned, so a read does not parse and re-serialise them.
fn raw(json: &str) -> Result<Box<serde_json::value::RawValue>, ApiError> {
    serde_json::value::RawValue::from_string(json.to_owned()).map_err(internal)
}

/// The parts of a stored assessment, split without building a value tree.
#[derive(serde::Deserialize)]
struct AssessmentParts {
    flags: Box<serde_json::value::RawValue>,
    eligibility: Box<serde_json::value::RawValue>,
    mme: Box<serde_json::value::RawValue>,
}

pub fn response(row: &repo::IntakeRow, cfg: &ScreeningConfig) -> Result<IntakeResponse, ApiError> {
    let status = status_of(&row.status)?;
    let missing = if status.editable() {
        check_submit(&parse_sections(row)?, None, cfg).err().unwrap_or_default()
    } else {
        Vec::new()
    };
    let parts: Option<AssessmentParts> = row
        .assessment
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(internal)?;
    Ok(IntakeResponse {
        id: uuid(&row.id)?,
        patient_id: uuid(&row.patient_id)?,
        status,
        version: row.version,
        sections: raw(&row.sections)?,
        scores: raw(row.scores.as_deref().unwrap_or("{}"))?,
        flags: match &parts {
            Some(p) => p.flags.clone(),
            None => raw("[]")?,
        },
        eligibility: match &parts {
            Some(p) => p.eligibility.clone(),
            None => raw("null")?,
        },
        mme: match parts {
            Some(p) => p.mme,
            None => raw("null")?,
        },
        missing,
        created_on_behalf: row.created_on_behalf,
        assigned_to: row.assigned_to.as_deref().map(uuid).transpose()?,
        review_note: row.review_note.clone(),
        submission_count: row.submission_count,
        created_at: clock::utc(row.created_at),
        updated_at: clock::utc(row.updated_at),
        submitted_at: row.submitted_at.map(clock::utc),
    })
}

/// Applies client sections to a document: replace named sections whole, remove `null` ones.
/// Shape was validated on the way in; this adds the checks that need the clinic's settings
/// (instruments) and records consent evidence.
fn apply(
    sections: &mut Sections,
    input: SectionsInput,
    caller: &Caller,
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
fn demographics_from_profile(p: &patients::api::PatientFields) -> Demographics {
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

fn reply(status: u16, body: &IntakeResponse, location: bool) -> Result<Reply, ApiError> {
    Ok(Reply {
        status,
        body: serde_json::to_string(body).map_err(internal)?,
        location: location.then(|| format!("/api/v1/intakes/{}", body.id)),
        etag: Some(etag(body.version)),
        replayed: false,
    })
}

/// Runs `work` under an idempotency key (if any): a replay returns the stored reply, audited.
fn with_key(
    conn: &mut DbConn,
    caller: &Caller,
    key: Option<&idempotency::Key>,
    replay_event: impl FnOnce() -> Option<AuditEvent>,
    work: impl FnOnce(&mut DbConn) -> Result<Reply, ApiError>,
) -> Result<Reply, ApiError> {
    let user = caller.actor.user_id.to_string();
    if let Some(k) = key
        && let Begin::Replay(stored) = idempotency::begin(conn, &user, k)?
    {
        if let Some(event) = replay_event() {
            audit::record(conn, caller.origin(), &[event])?;
        }
        return Ok(stored);
    }
    let reply = work(conn)?;
    if let Some(k) = key {
        idempotency::finish(conn, &user, k, &reply)?;
    }
    Ok(reply)
}

/// A new draft, pre-filled: demographics from the profile, medical history from the patient's
/// last submitted intake.
pub fn create(
    conn: &mut DbConn,
    caller: &Caller,
    req: CreateIntakeRequest,
    key: Option<&idempotency::Key>,
    cfg: &ScreeningConfig,
) -> Result<Reply, ApiError> {
    let patient_id = match (caller.actor.role, req.patient_id, caller.actor.patient_id) {
        (Role::Patient, Some(asked), Some(own)) if asked != own => return Err(ApiError::NotFound("patient")),
        (Role::Patient, _, Some(own)) => own,
        (Role::Patient, _, None) => {
            return Err(ApiError::conflict(
                "create your patient profile (POST /api/v1/patients) before an intake",
            ));
        }
        (_, Some(p), _) => p,
        (_, None, _) => {
            return Err(ApiError::invalid(
                "patient_id",
                "required",
                "staff must name the patient",
            ));
        }
    };
    with_key(
        conn,
        caller,
        key,
        || None,
        |conn| {
            let profile = patients::repo::find(conn, &patient_id.to_string())?.ok_or(ApiError::NotFound("patient"))?;
            let mut sections = Sections {
                demographics: Some(demographics_from_profile(&patients::service::fields_of(&profile)?)),
                ..Sections::default()
            };
            if let Some(previous) = repo::latest_submitted_sections(conn, &profile.id)? {
                let previous: Sections = serde_json::from_str(&previous).map_err(internal)?;
                sections.medical_history = previous.medical_history;
            }
            apply(&mut sections, req.sections, caller, cfg)?;
            let id = Uuid::now_v7();
            let row = repo::IntakeRow::draft(
                id.to_string(),
                patient_id.to_string(),
                caller.actor.user_id.to_string(),
                caller.actor.is_staff(),
                store(&sections)?,
                clock::now(),
            );
            repo::insert(conn, &row)?;
            audit::record(
                conn,
                caller.origin(),
                &[AuditEvent::new("intake.create", "intake", id).patient(patient_id)],
            )?;
            reply(201, &response(&row, cfg)?, true)
        },
    )
}

pub fn get(
    conn: &mut DbConn,
    caller: &Caller,
    id: Uuid,
    cfg: &ScreeningConfig,
) -> Result<Audited<IntakeResponse>, ApiError> {
    let row = visible(conn, caller, id, "intake.read")?;
    let body = response(&row, cfg)?;
    Ok(Audited::new(
        body,
        vec![AuditEvent::new("intake.read", "intake", id).patient(uuid(&row.patient_id)?)],
    ))
}

fn not_editable(status: IntakeStatus) -> ApiError {
    ApiError::Conflict {
        detail: format!(
            "the intake is {} and cannot be edited; only draft and needs_info intakes can",
            status.as_str()
        ),
        allowed: None,
    }
}

/// Replaces named sections when `If-Match` names the current version.
pub fn patch(
    conn: &mut DbConn,
    caller: &Caller,
    id: Uuid,
    if_match: IfMatch,
    req: PatchIntakeRequest,
    cfg: &ScreeningConfig,
) -> Result<IntakeResponse, ApiError> {
    let mut row = visible_for_update(conn, caller, id, "intake.update")?;
    if_match.check(row.version)?;
    let status = status_of(&row.status)?;
    if !status.editable() {
        return Err(not_editable(status));
    }
    let mut sections = parse_sections(&row)?;
    apply(&mut sections, req.sections, caller, cfg)?;
    let expected = row.version;
    row.sections = store(&sections)?;
    row.version += 1;
    row.updated_at = clock::now();
    if !repo::update_if_version(conn, &row, expected)? {
        let current = repo::find(conn, &row.id)?.map_or(expected, |r| r.version);
        return Err(ApiError::PreconditionFailed {
            current_version: current,
        });
    }
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("intake.update", "intake", id).patient(uuid(&row.patient_id)?)],
    )?;
    response(&row, cfg)
}

/// Deletes a draft that was never submitted; anything submitted is kept forever (409).
pub fn delete(conn: &mut DbConn, caller: &Caller, id: Uuid, if_match: Option<IfMatch>) -> Result<(), ApiError> {
    let row = visible_for_update(conn, caller, id, "intake.delete")?;
    if let Some(m) = if_match {
        m.check(row.version)?;
    }
    if row.status != IntakeStatus::Draft.as_str() || row.submission_count > 0 {
        return Err(ApiError::conflict(
            "a submitted intake is never deleted; only a draft that was never submitted can be",
        ));
    }
    if !repo::delete_draft(conn, &row.id)? {
        return Err(ApiError::conflict(
            "the intake changed while it was being deleted; fetch it again",
        ));
    }
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("intake.delete", "intake", id).patient(uuid(&row.patient_id)?)],
    )?;
    Ok(())
}

/// Completeness and scoring for a submit: every missing or invalid answer at once, or the
/// scores of every answered instrument. `exam` holds clinician findings merged into answers.
pub fn check_submit(
    sections: &Sections,
    exam: Option<&Exam>,
    cfg: &ScreeningConfig,
) -> Result<Scores, Vec<FieldIssue>> {
    let mut issues = completeness::missing(sections, consent::CURRENT_VERSION);
    let no_answers = BTreeMap::new();
    let answers = sections.screenings.as_ref().unwrap_or(&no_answers);
    if sections.screenings.is_some() {
        issues.extend(policy::missing(answers, &sections.pain_types(), cfg));
    }
    let (scores, found) = policy::score_all(answers, exam, cfg);
    issues.extend(found);
    issues.sort_by(|a, b| a.field.cmp(&b.field).then_with(|| a.code.cmp(&b.code)));
    issues.dedup_by(|a, b| a.field == b.field && a.code == b.code);
    if issues.is_empty() { Ok(scores) } else { Err(issues) }
}

fn severity_rank(s: Severity) -> i32 {
    match s {
        Severity::Info => 1,
        Severity::Warning => 2,
        Severity::Urgent => 3,
    }
}

fn enum_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The worklist's view of a submission: column values and child rows. Pure.
pub struct WorklistIndex {
    pub pain_types: Vec<String>,
    pub flags: Vec<(String, i32)>,
}

impl WorklistIndex {
    /// Sets the worklist columns and the current results on `row`; returns the child rows.
    pub fn apply(
        row: &mut repo::IntakeRow,
        sections: &Sections,
        scores: &Scores,
        assessment: &Assessment,
    ) -> Result<Self, ApiError> {
        let mut pain_types: Vec<String> = sections
            .pain
            .as_ref()
            .and_then(|p| p.conditions.as_ref())
            .into_iter()
            .flatten()
            .filter_map(|c| c.kind.as_ref().map(enum_text))
            .collect();
        pain_types.sort();
        pain_types.dedup();
        let mut flags: Vec<(String, i32)> = assessment
            .flags
            .iter()
            .map(|f| (f.code.clone(), severity_rank(f.severity)))
            .collect();
        flags.sort();
        flags.dedup_by(|a, b| a.0 == b.0);
        let total = |code: InstrumentCode| {
            scores
                .get(&code)
                .and_then(|s| s.total.as_ref())
                .and_then(|n| n.as_i64())
                .map(|n| n as i32)
        };
        row.top_severity = Some(flags.iter().map(|f| f.1).max().unwrap_or(0));
        row.eligibility = Some(enum_text(&assessment.eligibility.status));
        row.pain_types = Some(pain_types.join(","));
        row.flag_codes = Some(
            assessment
                .flags
                .iter()
                .map(|f| f.code.as_str())
                .collect::<Vec<_>>()
                .join(","),
        );
        row.phq9_total = total(InstrumentCode::Phq9);
        row.gad7_total = total(InstrumentCode::Gad7);
        row.pain_average = total(InstrumentCode::PainNrs);
        row.fm_result = scores.get(&InstrumentCode::Fm2016).and_then(|s| s.result.clone());
        row.crps_result = scores.get(&InstrumentCode::CrpsBudapest).and_then(|s| s.result.clone());
        row.scores = Some(serde_json::to_string(scores).map_err(internal)?);
        row.assessment = Some(serde_json::to_string(assessment).map_err(internal)?);
        Ok(Self { pain_types, flags })
    }
}

/// Writes the worklist columns and child rows from a submission's results.
pub fn index_results(
    conn: &mut DbConn,
    row: &mut repo::IntakeRow,
    sections: &Sections,
    scores: &Scores,
    assessment: &Assessment,
) -> Result<(), ApiError> {
    let index = WorklistIndex::apply(row, sections, scores, assessment)?;
    repo::replace_index_rows(conn, &row.id, &index.pain_types, &index.flags)?;
    Ok(())
}

/// A submit's results, computed before the write transaction: completeness, scores, flags
/// and eligibility are pure work on the stored document, so they do not hold the write lock
/// (SQLite has one writer; this was most of a submit's time under it).
pub struct PreparedSubmit {
    row: repo::IntakeRow,
    results: Result<(Scores, Assessment), ApiError>,
}

/// Phase one of a submit, outside the transaction.
pub fn prepare_submit(
    conn: &mut DbConn,
    caller: &Caller,
    id: Uuid,
    cfg: &ScreeningConfig,
) -> Result<PreparedSubmit, ApiError> {
    let row = visible(conn, caller, id, "intake.submit")?;
    let results = compute_submit(&row, cfg);
    Ok(PreparedSubmit { row, results })
}

fn compute_submit(row: &repo::IntakeRow, cfg: &ScreeningConfig) -> Result<(Scores, Assessment), ApiError> {
    let exam = super::exam::load(row)?;
    score_submission(&parse_sections(row)?, exam.as_ref(), cfg)
}

/// What a submit computes from the document: completeness (422 listing everything missing),
/// then scores, safety flags, MME and eligibility.
pub fn score_submission(
    sections: &Sections,
    exam: Option<&Exam>,
    cfg: &ScreeningConfig,
) -> Result<(Scores, Assessment), ApiError> {
    let scores = check_submit(sections, exam, cfg).map_err(ApiError::Validation)?;
    let assessment = safety::assess(
        &triage::safety_facts(sections),
        &scores.values().cloned().collect::<Vec<_>>(),
        &cfg.cutoffs,
    );
    Ok((scores, assessment))
}

/// Phase two, in the write transaction: checks that nothing changed since phase one (else it
/// recomputes), stores an immutable snapshot and moves the intake to `submitted`. A
/// `needs_info` intake can be submitted again; each submission is kept.
pub fn submit(
    conn: &mut DbConn,
    caller: &Caller,
    prepared: PreparedSubmit,
    if_match: Option<IfMatch>,
    key: Option<&idempotency::Key>,
    cfg: &ScreeningConfig,
) -> Result<Reply, ApiError> {
    let id = uuid(&prepared.row.id)?;
    let patient_id = uuid(&prepared.row.patient_id)?;
    let replay = || Some(AuditEvent::new("intake.submit_replayed", "intake", id).patient(patient_id));
    with_key(conn, caller, key, replay, |conn| {
        let mut row = repo::find_for_update(conn, &prepared.row.id)?.ok_or(ApiError::NotFound("intake"))?;
        if let Some(m) = if_match {
            m.check(row.version)?;
        }
        let status = status_of(&row.status)?;
        if !status.editable() {
            return Err(ApiError::Conflict {
                detail: format!(
                    "the intake is already {}; only draft and needs_info intakes can be submitted",
                    status.as_str()
                ),
                allowed: None,
            });
        }
        let (scores, assessment) = if row.version == prepared.row.version {
            prepared.results
        } else {
            compute_submit(&row, cfg)
        }?;
        let sections = parse_sections(&row)?;
        let now = clock::now();
        let expected = row.version;
        row.submission_count += 1;
        let submission = repo::SubmissionRow {
            id: Uuid::now_v7().to_string(),
            intake_id: row.id.clone(),
            seq: row.submission_count,
            submitted_at: now,
            submitted_by: caller.actor.user_id.to_string(),
            sections: row.sections.clone(),
            scores: serde_json::to_string(&scores).map_err(internal)?,
            assessment: serde_json::to_string(&assessment).map_err(internal)?,
        };
        row.status = IntakeStatus::Submitted.as_str().into();
        row.version += 1;
        row.updated_at = now;
        row.submitted_at = Some(now);
        // The note asked for more information; the answer is this submission.
        row.review_note = None;
        index_results(conn, &mut row, &sections, &scores, &assessment)?;
        if !repo::update_if_version(conn, &row, expected)? {
            let current = repo::find(conn, &row.id)?.map_or(expected, |r| r.version);
            return Err(ApiError::PreconditionFailed {
                current_version: current,
            });
        }
        repo::insert_submission(conn, &submission)?;
        audit::record(
            conn,
            caller.origin(),
            &[AuditEvent::new("intake.submit", "intake", id).patient(patient_id)],
        )?;
        reply(200, &response(&row, cfg)?, false)
    })
}

/// Every submission of an intake, oldest first, unchanged.
pub fn submissions(conn: &mut DbConn, caller: &Caller, id: Uuid) -> Result<Audited<Vec<SubmissionResponse>>, ApiError> {
    let row = visible(conn, caller, id, "intake.read")?;
    let mut out = Vec::new();
    for s in repo::submissions(conn, &row.id)? {
        let (scores, assessment) = parse_submission(&s)?;
        out.push(SubmissionResponse {
            seq: s.seq,
            submitted_at: clock::utc(s.submitted_at),
            submitted_by: uuid(&s.submitted_by)?,
            sections: document(&serde_json::from_str::<Sections>(&s.sections).map_err(internal)?)?,
            scores,
            flags: assessment.flags,
            eligibility: assessment.eligibility,
            mme: assessment.mme,
        });
    }
    let event = AuditEvent::new("intake.submissions_read", "intake", id).patient(uuid(&row.patient_id)?);
    Ok(Audited::new(out, vec![event]))
}

pub fn summary(row: repo::SummaryRow, given: &str, family: &str) -> Result<IntakeSummary, ApiError> {
    let split = |s: &Option<String>| -> Vec<String> {
        s.as_deref()
            .map(|v| v.split(',').filter(|x| !x.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    Ok(IntakeSummary {
        id: uuid(&row.id)?,
        patient_id: uuid(&row.patient_id)?,
        patient_name: format!("{family}, {given}"),
        status: status_of(&row.status)?,
        pain_types: split(&row.pain_types),
        top_severity: row.top_severity.and_then(|s| match s {
            3 => Some("urgent".to_owned()),
            2 => Some("warning".to_owned()),
            1 => Some("info".to_owned()),
            _ => None,
        }),
        flag_codes: split(&row.flag_codes),
        eligibility: row.eligibility.clone(),
        scores: KeyScores {
            phq9_total: row.phq9_total,
            gad7_total: row.gad7_total,
            pain_average: row.pain_average,
            fm_result: row.fm_result.clone(),
            crps_result: row.crps_result.clone(),
        },
        assigned_to: row.assigned_to.as_deref().map(uuid).transpose()?,
        created_at: clock::utc(row.created_at),
        updated_at: clock::utc(row.updated_at),
        submitted_at: row.submitted_at.map(clock::utc),
    })
}
