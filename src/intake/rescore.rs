//! What the server computes from an intake's document, in one place for the submit and the
//! clinician's exam: every answered instrument scored (the exam findings merged in), the safety
//! checklist applied, and the results stored on the row with the worklist's index.

use super::repo::{self, IntakeRow};
use super::sections::Sections;
use super::triage;
use super::worklist_index::WorklistIndex;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::Json;
use crate::screening::policy::{self, Answers, Exam, Scores, ScreeningConfig};
use crate::screening::safety::{self, Assessment};
use crate::validation::FieldIssue;

/// Scores, flags, MME and eligibility of one document.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    pub scores: Scores,
    pub assessment: Assessment,
}

/// Scores every answered instrument with the clinician's `exam` findings merged in (findings
/// for an instrument no longer answered are ignored), then applies the safety checklist.
/// Invalid answers are every issue found.
pub fn rescore(sections: &Sections, exam: Option<&Exam>, cfg: &ScreeningConfig) -> Result<Results, Vec<FieldIssue>> {
    let (scores, issues) = score(sections, exam, cfg);
    if !issues.is_empty() {
        return Err(issues);
    }
    let assessment = safety::assess(
        &triage::safety_facts(sections),
        &scores.values().cloned().collect::<Vec<_>>(),
        &cfg.cutoffs,
    );
    Ok(Results { scores, assessment })
}

/// Every answered instrument scored, and every issue found (without the safety checklist).
pub(super) fn score(sections: &Sections, exam: Option<&Exam>, cfg: &ScreeningConfig) -> (Scores, Vec<FieldIssue>) {
    let no_answers = Answers::new();
    let answers = sections.screenings.as_ref().unwrap_or(&no_answers);
    policy::score_all(answers, exam, cfg)
}

/// Makes `results` the intake's current ones on the row: the scores, the assessment and the
/// worklist's columns. Returns the index, whose child rows the caller writes.
pub fn apply(row: &mut IntakeRow, sections: &Sections, results: &Results) -> Result<WorklistIndex, ApiError> {
    let index = WorklistIndex::of(sections, &results.scores, &results.assessment);
    index.apply(row);
    row.scores = Some(Json::new(&results.scores)?);
    row.assessment = Some(Json::new(&results.assessment)?);
    Ok(index)
}

/// [`apply`], and the worklist's child rows written (the row itself is written by the caller,
/// with its version check).
pub fn store(conn: &mut DbConn, row: &mut IntakeRow, sections: &Sections, results: &Results) -> Result<(), ApiError> {
    let index = apply(row, sections, results)?;
    repo::replace_index_rows(conn, row.id, &index.pain_types, &index.flags)?;
    Ok(())
}
