//! The clinician's examination: CRPS signs and "another diagnosis explains it", and the DN4
//! exam items. Recording them re-scores the intake with the same [`rescore()`] a submit uses:
//! CRPS moves from `pending_clinician_exam` to `met`/`not_met`. Every answered instrument is
//! scored again with the clinic's current cut-offs (each result records the cut-offs it used);
//! the submission snapshots keep what was computed at submit.

use super::api::ExamRequest;
use super::steps::{self, Step};
use crate::db::DbConn;
use crate::error::ApiError;
use crate::http::etag::IfMatch;
use crate::ids::{IntakeId, Json};
use crate::intake::access;
use crate::intake::api::IntakeResponse;
use crate::intake::read;
use crate::intake::rescore::{self, rescore};
use crate::intake::status::IntakeStatus;
use crate::screening::instruments::InstrumentCode;
use crate::screening::policy::ScreeningConfig;

/// Records the clinician's exam findings and re-scores. Only on a submitted or in-review intake,
/// with `If-Match` (checked after the caller's role, so a patient never learns of a precondition).
pub fn record(
    conn: &mut DbConn,
    caller: &crate::state::Caller,
    id: IntakeId,
    if_match: Option<IfMatch>,
    req: ExamRequest,
    cfg: &ScreeningConfig,
) -> Result<IntakeResponse, ApiError> {
    let mut row = access::reviewer_for_update(conn, caller, id, "intake.exam")?;
    if_match
        .ok_or(ApiError::PreconditionRequired("If-Match"))?
        .check(row.version)?;
    let from = row.status;
    if !matches!(from, IntakeStatus::Submitted | IntakeStatus::InReview) {
        return Err(ApiError::conflict(format!(
            "exam findings are recorded on a submitted or in-review intake; this one is {}",
            from.as_str()
        )));
    }
    let sections = row.sections.get()?;
    let answered = |code: InstrumentCode| {
        sections
            .screenings
            .as_ref()
            .is_some_and(|s| s.contains_key(code.as_str()))
    };
    let mut findings = row.exam.as_ref().map(Json::get).transpose()?.unwrap_or_default();
    if let Some(crps) = &req.crps_budapest {
        if !answered(InstrumentCode::CrpsBudapest) {
            return Err(ApiError::invalid(
                "crps_budapest",
                "not_applicable",
                "the patient did not answer the Budapest symptoms",
            ));
        }
        findings.insert(
            InstrumentCode::CrpsBudapest.as_str().into(),
            serde_json::json!({"signs": crps.signs, "other_diagnosis_explains": crps.other_diagnosis_explains}),
        );
    }
    if let Some(dn4) = &req.dn4 {
        if !cfg.is_enabled(InstrumentCode::Dn4) {
            return Err(ApiError::NotEnabled(
                "dn4 is not enabled at this clinic (INSTRUMENTS_ENABLED)".into(),
            ));
        }
        if !answered(InstrumentCode::Dn4) {
            return Err(ApiError::invalid(
                "dn4",
                "not_applicable",
                "the patient did not answer the DN4 interview",
            ));
        }
        findings.insert(
            InstrumentCode::Dn4.as_str().into(),
            serde_json::json!({"exam": dn4.exam}),
        );
    }
    if req.crps_budapest.is_none() && req.dn4.is_none() {
        return Err(ApiError::invalid(
            "crps_budapest",
            "required",
            "send crps_budapest and/or dn4 findings",
        ));
    }
    // The answers were accepted at submit: an instrument the clinic has switched off since is
    // still scored, so an exam never fails on an unrelated instrument.
    let stored = ScreeningConfig {
        enabled: InstrumentCode::ALL.to_vec(),
        cutoffs: cfg.cutoffs,
    };
    let results = rescore(&sections, Some(&findings), &stored).map_err(ApiError::Validation)?;
    row.exam = Some(Json::new(&findings)?);
    rescore::store(conn, &mut row, &sections, &results)?;
    let summary = findings.keys().cloned().collect::<Vec<_>>().join(", ");
    steps::record(
        conn,
        caller,
        &mut row,
        Step {
            action: "exam",
            audit_action: "intake.exam",
            from,
            note: Some(format!("exam findings recorded: {summary}")),
            assign_to: None,
        },
    )?;
    read::response(&row, Some(&sections), cfg)
}
