//! Which instruments a clinic offers and an intake must answer, which answers only a clinician
//! records, and the scoring of a whole set of answers (CLINICAL.md, "Conditional instruments").

use std::collections::BTreeMap;

use serde_json::Value;

use super::catalogue;
use super::instruments::InstrumentCode;
use super::model::{Cutoffs, PainType, ScoreResult};
use super::scoring;
use crate::validation::FieldIssue;

/// Answers by instrument code, in the wire format (codes are checked here, not on parsing, so an
/// unknown one is a field issue naming it).
pub type Answers = BTreeMap<String, Value>;

/// Clinician exam findings by instrument code, e.g. `{"crps_budapest": {"signs": {...}}}`.
pub type Exam = BTreeMap<String, Value>;

/// Scores by instrument.
pub type Scores = BTreeMap<InstrumentCode, ScoreResult>;

/// What scoring needs from the clinic's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreeningConfig {
    pub enabled: Vec<InstrumentCode>,
    pub cutoffs: Cutoffs,
}

impl ScreeningConfig {
    pub fn is_enabled(&self, code: InstrumentCode) -> bool {
        self.enabled.contains(&code)
    }
}

/// Instruments that measure a treatment's effect: asked in check-ins, never in an intake.
pub const FOLLOW_UP_ONLY: [InstrumentCode; 2] = [InstrumentCode::Pgic, InstrumentCode::KetamineSideEffects];

/// Every instrument that needs no licence: what a clinic offers unless it says otherwise.
pub fn default_enabled() -> Vec<InstrumentCode> {
    InstrumentCode::ALL
        .into_iter()
        .filter(|c| !catalogue::find(*c).restricted)
        .collect()
}

/// Instruments an intake must answer, given its pain types and whether the PC-PTSD-5 screen is
/// positive: always PHQ-9, GAD-7, PC-PTSD-5, ASQ, pain NRS and PEG; PCL-5 when PC-PTSD-5 is
/// positive (or when PHQ-9 item 9 calls for the ASQ, which is always required anyway); FM 2016
/// for fibromyalgia; Budapest symptoms for CRPS; DN4 for neuropathic pain when enabled. Only
/// instruments the clinic has enabled are required.
pub fn required(pain_types: &[PainType], pc_ptsd5_positive: bool, enabled: &[InstrumentCode]) -> Vec<InstrumentCode> {
    use InstrumentCode::*;
    let mut codes = vec![Phq9, Gad7, PcPtsd5, Asq, PainNrs, Peg];
    if pc_ptsd5_positive {
        codes.push(Pcl5);
    }
    for (pain, code) in [
        (PainType::Fibromyalgia, Fm2016),
        (PainType::Crps, CrpsBudapest),
        (PainType::Neuropathic, Dn4),
    ] {
        if pain_types.contains(&pain) {
            codes.push(code);
        }
    }
    codes.retain(|c| enabled.contains(c));
    codes
}

/// The top-level answer keys of `code` that a clinician records at examination (from the
/// items the definition marks as the clinician's).
pub fn clinician_keys(code: InstrumentCode) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = catalogue::find(code)
        .items
        .iter()
        .filter(|i| i.clinician)
        .map(|i| i.id.split('.').next().unwrap_or(i.id))
        .collect();
    keys.dedup();
    keys
}

/// Exam findings sent as answers: they are the clinician's (`PUT /intakes/{id}/exam`).
pub fn clinician_only(code: InstrumentCode, answers: &Value, prefix: &str) -> Vec<FieldIssue> {
    clinician_keys(code)
        .into_iter()
        .filter(|key| answers.get(*key).is_some_and(|v| !v.is_null()))
        .map(|key| {
            FieldIssue::new(
                format!("{prefix}.{key}"),
                "clinician_only",
                "recorded by a clinician at examination",
            )
        })
        .collect()
}

/// The instrument behind an answer key, when this build has it and the clinic offers it.
pub fn allowed(code: &str, prefix: &str, cfg: &ScreeningConfig) -> Result<InstrumentCode, FieldIssue> {
    match InstrumentCode::parse(code) {
        None => Err(FieldIssue::new(
            prefix,
            "unknown_instrument",
            "no instrument with this code",
        )),
        Some(c) if !cfg.is_enabled(c) => Err(FieldIssue::new(
            prefix,
            "not_enabled",
            "this instrument is not enabled at this clinic",
        )),
        Some(c) => Ok(c),
    }
}

fn prefix(code: &str) -> String {
    format!("sections.screenings.{code}")
}

/// A draft's answers: every answer present must be valid for an enabled instrument; missing
/// items are fine (the submit asks for them).
pub fn check_draft(answers: &Answers, cfg: &ScreeningConfig) -> Vec<FieldIssue> {
    let (_, issues) = score_all(answers, None, cfg);
    issues.into_iter().filter(|i| i.code != "required").collect()
}

/// The required instruments not answered, each named with what to do.
pub fn missing(answers: &Answers, pain_types: &[PainType], cfg: &ScreeningConfig) -> Vec<FieldIssue> {
    let pc_ptsd5_positive = answers
        .get(InstrumentCode::PcPtsd5.as_str())
        .and_then(|a| scoring::score(InstrumentCode::PcPtsd5, a, "", &cfg.cutoffs).ok())
        .and_then(|s| s.positive)
        .unwrap_or(false);
    required(pain_types, pc_ptsd5_positive, &cfg.enabled)
        .into_iter()
        .filter(|code| !answers.contains_key(code.as_str()))
        .map(|code| {
            FieldIssue::new(
                prefix(code.as_str()),
                "required",
                format!("answer the {}", catalogue::find(code).name.en),
            )
        })
        .collect()
}

/// Scores every answered instrument, the clinician's `exam` findings merged in. Returns the
/// scores and every issue found (unknown or disabled codes, clinician parts sent as answers,
/// invalid or missing items).
pub fn score_all(answers: &Answers, exam: Option<&Exam>, cfg: &ScreeningConfig) -> (Scores, Vec<FieldIssue>) {
    let mut scores = Scores::new();
    let mut issues = Vec::new();
    for (code, given) in answers {
        let prefix = prefix(code);
        let instrument = match allowed(code, &prefix, cfg) {
            Ok(c) if FOLLOW_UP_ONLY.contains(&c) => {
                issues.push(FieldIssue::new(
                    prefix,
                    "follow_up_only",
                    "asked in check-ins during a course, not in an intake",
                ));
                continue;
            }
            Ok(c) => c,
            Err(issue) => {
                issues.push(issue);
                continue;
            }
        };
        issues.extend(clinician_only(instrument, given, &prefix));
        let merged = merge_exam(given, exam.and_then(|e| e.get(code)));
        match scoring::score(instrument, &merged, &prefix, &cfg.cutoffs) {
            Ok(s) => {
                scores.insert(instrument, s);
            }
            Err(found) => issues.extend(found),
        }
    }
    (scores, issues)
}

/// The patient's answers plus the clinician's exam keys for that instrument.
pub fn merge_exam(answers: &Value, exam: Option<&Value>) -> Value {
    match (answers, exam) {
        (Value::Object(a), Some(Value::Object(e))) => {
            let mut merged = a.clone();
            merged.extend(e.iter().map(|(k, v)| (k.clone(), v.clone())));
            Value::Object(merged)
        }
        _ => answers.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use InstrumentCode::*;

    fn cfg(enabled: &[InstrumentCode]) -> ScreeningConfig {
        ScreeningConfig {
            enabled: enabled.to_vec(),
            cutoffs: Cutoffs::default(),
        }
    }

    #[test]
    fn restricted_instruments_are_off_by_default() {
        let on = default_enabled();
        assert_eq!(on.len(), 11);
        assert!(!on.contains(&Dn4) && !on.contains(&CssrsScreen));
    }

    #[test]
    fn conditional_instruments_follow_pain_types_and_the_ptsd_screen() {
        let all = InstrumentCode::ALL;
        assert_eq!(required(&[], false, &all), vec![Phq9, Gad7, PcPtsd5, Asq, PainNrs, Peg]);
        assert_eq!(
            required(&[PainType::Crps, PainType::Fibromyalgia], true, &all),
            vec![Phq9, Gad7, PcPtsd5, Asq, PainNrs, Peg, Pcl5, Fm2016, CrpsBudapest]
        );
        // DN4 only where the clinic has enabled it.
        assert!(required(&[PainType::Neuropathic], false, &all).contains(&Dn4));
        assert!(!required(&[PainType::Neuropathic], false, &default_enabled()).contains(&Dn4));
    }

    #[test]
    fn clinician_parts_come_from_the_definitions() {
        assert_eq!(clinician_keys(CrpsBudapest), vec!["signs", "other_diagnosis_explains"]);
        assert_eq!(clinician_keys(Dn4), vec!["exam"]);
        assert!(clinician_keys(Phq9).is_empty());
        let sent = json!({"signs": {"sensory": true}, "other_diagnosis_explains": null});
        let issues = clinician_only(CrpsBudapest, &sent, "p");
        assert_eq!(issues.len(), 1);
        assert_eq!(
            (issues[0].field.as_str(), issues[0].code.as_str()),
            ("p.signs", "clinician_only")
        );
    }

    #[test]
    fn a_positive_ptsd_screen_requires_the_pcl5() {
        let answers: Answers = [(
            "pc_ptsd5".to_owned(),
            json!({"trauma_exposure": true, "1": true, "2": true, "3": true, "4": false, "5": false}),
        )]
        .into_iter()
        .collect();
        let fields: Vec<String> = missing(&answers, &[], &cfg(&InstrumentCode::ALL))
            .into_iter()
            .map(|i| i.field)
            .collect();
        assert!(fields.contains(&"sections.screenings.pcl5".to_owned()));
        assert!(!fields.contains(&"sections.screenings.pc_ptsd5".to_owned()));
    }

    #[test]
    fn unknown_and_disabled_codes_are_named() {
        let answers: Answers = [("bdi2".to_owned(), json!({})), ("dn4".to_owned(), json!({}))]
            .into_iter()
            .collect();
        let (scores, issues) = score_all(&answers, None, &cfg(&default_enabled()));
        assert!(scores.is_empty());
        let got: Vec<(&str, &str)> = issues.iter().map(|i| (i.field.as_str(), i.code.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("sections.screenings.bdi2", "unknown_instrument"),
                ("sections.screenings.dn4", "not_enabled")
            ]
        );
    }

    #[test]
    fn exam_findings_complete_the_answers() {
        let merged = merge_exam(
            &json!({"burning": true, "exam": null}),
            Some(&json!({"exam": {"brushing": true}})),
        );
        assert_eq!(merged, json!({"burning": true, "exam": {"brushing": true}}));
        assert_eq!(merge_exam(&json!({"a": 1}), None), json!({"a": 1}));
    }
}
