//! A session's blocks (FOLLOW-UP.md "Sessions"), each replaced whole by a PATCH, with their
//! validation (plausible ranges: a typo is a 422, not a flag).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::courses::protocol::{Drug, Route};

/// Checks before the infusion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"weight_kg": 72.5, "fasting_solids_hours": 8, "fasting_clear_liquids_hours": 3,
    "escort_confirmed": true, "pregnancy_test": "not_applicable", "consent_confirmed": true}))]
pub struct PreChecks {
    #[validate(range(min = 20.0, max = 350.0))]
    #[schema(minimum = 20, maximum = 350)]
    pub weight_kg: Option<f64>,
    #[validate(range(min = 0.0, max = 72.0))]
    #[schema(minimum = 0, maximum = 72)]
    pub fasting_solids_hours: Option<f64>,
    #[validate(range(min = 0.0, max = 72.0))]
    #[schema(minimum = 0, maximum = 72)]
    pub fasting_clear_liquids_hours: Option<f64>,
    pub escort_confirmed: Option<bool>,
    pub pregnancy_test: Option<PregnancyTest>,
    pub consent_confirmed: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PregnancyTest {
    NotApplicable,
    Negative,
    Positive,
}

/// When a vital-sign set was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Pre,
    During,
    Post,
}

/// One set of vital signs, within plausible ranges (a typo is a 422, not a flag).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"at": "2026-12-01T09:05:00Z", "phase": "pre", "systolic": 128, "diastolic": 82, "heart_rate": 74, "spo2": 98, "respiratory_rate": 14}))]
pub struct VitalSigns {
    pub at: DateTime<Utc>,
    pub phase: Phase,
    /// mmHg.
    #[validate(range(min = 50, max = 300))]
    #[schema(minimum = 50, maximum = 300)]
    pub systolic: u16,
    /// mmHg.
    #[validate(range(min = 20, max = 200))]
    #[schema(minimum = 20, maximum = 200)]
    pub diastolic: u16,
    /// Beats per minute.
    #[validate(range(min = 20, max = 250))]
    #[schema(minimum = 20, maximum = 250)]
    pub heart_rate: u16,
    /// Percent.
    #[validate(range(min = 50, max = 100))]
    #[schema(minimum = 50, maximum = 100)]
    pub spo2: u8,
    /// Breaths per minute.
    #[validate(range(min = 4, max = 60))]
    #[schema(minimum = 4, maximum = 60)]
    pub respiratory_rate: Option<u8>,
}

/// The dose given. `total_mg` is the server's: ketamine `dose_mg_per_kg × weight_kg`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"drug": "ketamine", "route": "iv", "dose_mg_per_kg": 0.5, "started_at": "2026-12-01T09:15:00Z",
    "ended_at": "2026-12-01T09:55:00Z", "lot": "KX2291"}))]
pub struct Dose {
    pub drug: Drug,
    pub route: Route,
    #[validate(range(exclusive_min = 0.0, max = 5.0))]
    #[schema(exclusive_minimum = 0.0, maximum = 5.0)]
    pub dose_mg_per_kg: Option<f64>,
    #[validate(range(exclusive_min = 0.0, max = 200.0))]
    #[schema(exclusive_minimum = 0.0, maximum = 200.0)]
    pub dose_mg: Option<f64>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    #[validate(length(min = 1, max = 50), custom(function = "crate::validation::single_line"))]
    pub lot: Option<String>,
    /// Required for a ketamine dose above the configured ceiling (`KETAMINE_MAX_MG_PER_KG`).
    #[validate(length(min = 1, max = 500), custom(function = "crate::validation::free_text"))]
    pub override_reason: Option<String>,
    /// Computed by the server (0.1 mg); a value sent by a client is ignored (overwritten).
    #[serde(default)]
    #[schema(read_only, example = 36.3)]
    pub total_mg: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdverseEventCode {
    Nausea,
    Vomiting,
    Hypertension,
    Tachycardia,
    Desaturation,
    EmergenceReaction,
    ExcessSedation,
    Headache,
    Dizziness,
    Anxiety,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AeSeverity {
    Mild,
    Moderate,
    Severe,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "nausea", "severity": "mild", "onset_at": "2026-12-01T09:40:00Z", "action": "ondansetron 4 mg IV", "resolved": true}))]
pub struct AdverseEvent {
    pub code: AdverseEventCode,
    /// What happened, for `other`.
    #[validate(length(min = 1, max = 200), custom(function = "crate::validation::single_line"))]
    pub text: Option<String>,
    pub severity: AeSeverity,
    pub onset_at: DateTime<Utc>,
    #[validate(length(min = 1, max = 500), custom(function = "crate::validation::free_text"))]
    pub action: Option<String>,
    pub resolved: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"at": "2026-12-01T11:00:00Z", "criteria_met": true, "escort_present": true, "iv_site_ok": true, "instructions_given": true}))]
pub struct Discharge {
    pub at: DateTime<Utc>,
    pub criteria_met: bool,
    pub escort_present: bool,
    pub iv_site_ok: bool,
    pub instructions_given: bool,
}

/// Everything recorded about a session, block by block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionBlocks {
    #[validate(nested)]
    pub pre_checks: Option<PreChecks>,
    #[validate(nested, length(max = 100))]
    #[serde(default)]
    pub vitals: Vec<VitalSigns>,
    #[validate(nested)]
    pub dose: Option<Dose>,
    /// MOAA/S at the deepest point (0–5, lower is deeper).
    #[validate(range(min = 0, max = 5))]
    #[schema(minimum = 0, maximum = 5)]
    pub sedation_moaas: Option<u8>,
    /// The clinician's dissociation rating at the deepest point (0–10).
    #[validate(range(min = 0, max = 10))]
    #[schema(minimum = 0, maximum = 10)]
    pub dissociation: Option<u8>,
    #[validate(nested, length(max = 50))]
    #[serde(default)]
    pub adverse_events: Vec<AdverseEvent>,
    #[validate(nested)]
    pub discharge: Option<Discharge>,
}
