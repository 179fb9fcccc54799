//! The worklist's view of a submission: the columns and child rows clinicians filter and sort
//! by, derived from the document and its results. Pure.

use super::repo::IntakeRow;
use super::sections::Sections;
use crate::screening::instruments::InstrumentCode;
use crate::screening::policy::Scores;
use crate::screening::safety::Assessment;

/// Column values and child rows of one scored intake.
#[derive(Debug, Clone, PartialEq)]
pub struct WorklistIndex {
    /// Highest flag severity rank (0 when there is no flag).
    pub top_severity: i32,
    /// The eligibility status, as its wire name.
    pub eligibility: String,
    /// Pain types (wire names), sorted, each once: child rows and the summary's list.
    pub pain_types: Vec<String>,
    /// Flag codes with their severity rank, each code once: child rows for the flag filter.
    pub flags: Vec<(String, i32)>,
    /// Every flag code, most severe first: the summary's list.
    pub flag_codes: Vec<String>,
    pub phq9_total: Option<i32>,
    pub gad7_total: Option<i32>,
    pub pain_average: Option<i32>,
    pub fm_result: Option<String>,
    pub crps_result: Option<String>,
}

impl WorklistIndex {
    pub fn of(sections: &Sections, scores: &Scores, assessment: &Assessment) -> Self {
        let mut pain_types: Vec<String> = sections.pain_types().iter().map(|t| t.as_str().to_owned()).collect();
        pain_types.sort();
        let mut flags: Vec<(String, i32)> = assessment
            .flags
            .iter()
            .map(|f| (f.code.clone(), f.severity.rank()))
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
        let result = |code: InstrumentCode| scores.get(&code).and_then(|s| s.result.clone());
        Self {
            top_severity: flags.iter().map(|f| f.1).max().unwrap_or(0),
            eligibility: assessment.eligibility.status.as_str().to_owned(),
            pain_types,
            flag_codes: assessment.flags.iter().map(|f| f.code.clone()).collect(),
            flags,
            phq9_total: total(InstrumentCode::Phq9),
            gad7_total: total(InstrumentCode::Gad7),
            pain_average: total(InstrumentCode::PainNrs),
            fm_result: result(InstrumentCode::Fm2016),
            crps_result: result(InstrumentCode::CrpsBudapest),
        }
    }

    /// Sets the worklist columns on `row` (the child rows are written by the repository).
    pub fn apply(&self, row: &mut IntakeRow) {
        row.top_severity = Some(self.top_severity);
        row.eligibility = Some(self.eligibility.clone());
        row.pain_types = Some(self.pain_types.join(","));
        row.flag_codes = Some(self.flag_codes.join(","));
        row.phq9_total = self.phq9_total;
        row.gad7_total = self.gad7_total;
        row.pain_average = self.pain_average;
        row.fm_result = self.fm_result.clone();
        row.crps_result = self.crps_result.clone();
    }
}
