//! The shapes of the screening module: instrument definitions, score results, flags.
//! Pure data; no I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::screening::instruments::code::InstrumentCode;

/// Language of item text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    En,
    Es,
}

/// Text in both languages.
#[derive(Debug, Clone, Copy)]
pub struct Text {
    pub en: &'static str,
    pub es: &'static str,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en,
            Lang::Es => self.es,
        }
    }
}

/// How sure the flag is to matter: `urgent` needs same-day attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Urgent,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Urgent => "urgent",
        }
    }

    /// The stored rank (1 info, 2 warning, 3 urgent): "at least this severe" is a comparison.
    pub fn rank(self) -> i32 {
        match self {
            Severity::Info => 1,
            Severity::Warning => 2,
            Severity::Urgent => 3,
        }
    }

    pub fn from_rank(rank: i32) -> Option<Severity> {
        [Severity::Info, Severity::Warning, Severity::Urgent]
            .into_iter()
            .find(|s| s.rank() == rank)
    }
}

/// Where the rule comes from: guideline or consensus (G), drug label (L), common clinic
/// practice (P), or label and practice (L/P).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Source {
    G,
    L,
    P,
    #[serde(rename = "L/P")]
    LP,
}

/// A finding for the clinician. Never a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"code": "suicidal_ideation", "severity": "urgent",
    "message": "PHQ-9 item 9 answered 1 or more: thoughts of death or self-harm; review today and complete the ASQ",
    "triggered_by": ["sections.screenings.phq9.9"], "source": "G"}))]
pub struct Flag {
    /// Stable code, e.g. `suicidal_ideation`, `bp_above_threshold`.
    pub code: String,
    pub severity: Severity,
    /// Short explanation for the clinician (English).
    pub message: String,
    /// JSON paths of the answers that raised it.
    pub triggered_by: Vec<String>,
    pub source: Source,
}

impl Flag {
    pub fn new(
        code: &str,
        severity: Severity,
        source: Source,
        message: impl Into<String>,
        triggered_by: Vec<String>,
    ) -> Self {
        Self {
            code: code.to_owned(),
            severity,
            message: message.into(),
            triggered_by,
            source,
        }
    }
}

/// The score of one instrument (CLINICAL.md, "A score result"). Reproducible: it names the
/// instrument version, rule set and cut-offs that produced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "instrument": "phq9", "version": "1.0", "rule_set": "PHQ9-Kroenke2001", "total": 12, "band": "moderate",
    "positive": true, "result": null,
    "subscales": {"phq2": 3, "phq2_positive": true, "item9": 0, "difficulty": 1},
    "cutoffs": {"positive": 10, "phq2_positive": 3}, "flags": []}))]
pub struct ScoreResult {
    /// Instrument code, e.g. `phq9`.
    #[schema(value_type = String)]
    pub instrument: InstrumentCode,
    /// Version of the item set and rules in this server.
    pub version: String,
    /// Identifier of the scoring rules used.
    pub rule_set: String,
    /// Total score; null when undefined (e.g. DN4 before the exam, ASQ). PEG is a mean with 2
    /// decimals.
    #[schema(value_type = Option<f64>)]
    pub total: Option<serde_json::Number>,
    /// Severity band: `none`, `minimal`, `mild`, `moderate`, `moderately_severe`, `severe`,
    /// `very_severe`; null where the instrument has no bands.
    pub band: Option<String>,
    /// Screen result; null where it does not apply or is not yet known.
    pub positive: Option<bool>,
    /// Categorical outcome where there is one: `met`, `not_met`, `pending_clinician_exam`,
    /// `negative`, `acute_positive`, `nonacute_positive`, `low`, `moderate`, `high`.
    pub result: Option<String>,
    /// Named sub-results (PHQ-2, clusters, WPI/SSS, …).
    #[schema(value_type = Object)]
    pub subscales: BTreeMap<String, serde_json::Value>,
    /// The configurable cut-offs used.
    #[schema(value_type = Object)]
    pub cutoffs: BTreeMap<String, serde_json::Value>,
    pub flags: Vec<Flag>,
}

impl ScoreResult {
    pub fn new(instrument: InstrumentCode, version: &str, rule_set: &str) -> Self {
        Self {
            instrument,
            version: version.to_owned(),
            rule_set: rule_set.to_owned(),
            total: None,
            band: None,
            positive: None,
            result: None,
            subscales: BTreeMap::new(),
            cutoffs: BTreeMap::new(),
            flags: Vec::new(),
        }
    }

    pub fn total_int(mut self, total: i64) -> Self {
        self.total = Some(total.into());
        self
    }

    pub fn sub(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        self.subscales.insert(name.to_owned(), value.into());
        self
    }
}

// The kind of a pain condition: fibromyalgia, CRPS and neuropathic pain each call for their own
// instrument. (No doc comment: it would become the schema's description in the API document.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PainType {
    Fibromyalgia,
    Crps,
    Neuropathic,
    Postoperative,
    Other,
}

impl PainType {
    pub fn as_str(self) -> &'static str {
        match self {
            PainType::Fibromyalgia => "fibromyalgia",
            PainType::Crps => "crps",
            PainType::Neuropathic => "neuropathic",
            PainType::Postoperative => "postoperative",
            PainType::Other => "other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_are_the_wire_names() {
        for t in [
            PainType::Fibromyalgia,
            PainType::Crps,
            PainType::Neuropathic,
            PainType::Postoperative,
            PainType::Other,
        ] {
            assert_eq!(serde_json::to_value(t).unwrap(), serde_json::json!(t.as_str()));
        }
        for s in [Severity::Info, Severity::Warning, Severity::Urgent] {
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
            assert_eq!(Severity::from_rank(s.rank()), Some(s));
        }
        assert!(Severity::Info.rank() < Severity::Warning.rank() && Severity::Warning.rank() < Severity::Urgent.rank());
        assert_eq!(Severity::from_rank(0), None);
    }
}

/// Configurable cut-offs (CLINICAL.md names the defaults and the alternatives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    /// PHQ-9 screen positive at total ≥ this (default 10).
    pub phq9_positive: u8,
    /// PHQ-2 positive at ≥ this (default 3; 2 is more sensitive).
    pub phq2_positive: u8,
    /// GAD-7 screen positive at total ≥ this (default 10).
    pub gad7_positive: u8,
    /// GAD-2 positive at ≥ this (default 3).
    pub gad2_positive: u8,
    /// PC-PTSD-5 positive at ≥ this many yes (default 3; 4 is the most efficient, Bovin 2021).
    pub pc_ptsd5_positive: u8,
    /// PCL-5 probable PTSD at total ≥ this (default 33; 31–33 in current VA guidance).
    pub pcl5_probable_ptsd: u8,
    /// Pain NRS bands (Serlin 1995): mild up to this, moderate up to `pain_moderate_max`.
    pub pain_mild_max: u8,
    pub pain_moderate_max: u8,
    /// Blood pressure above these raises `bp_above_threshold` (mmHg).
    pub bp_systolic: u16,
    pub bp_diastolic: u16,
    /// Opioid load at or above this many MME/day raises `high_opioid_dose` (CDC 2022: 50).
    pub high_mme: u16,
}

impl Default for Cutoffs {
    fn default() -> Self {
        Self {
            phq9_positive: 10,
            phq2_positive: 3,
            gad7_positive: 10,
            gad2_positive: 3,
            pc_ptsd5_positive: 3,
            pcl5_probable_ptsd: 33,
            pain_mild_max: 4,
            pain_moderate_max: 6,
            bp_systolic: 140,
            bp_diastolic: 90,
            high_mme: 50,
        }
    }
}
