//! Request and response bodies of `/api/v1/intakes`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::sections::{ConsentInput, Demographics, Logistics, MedicalHistory, Pain, Screenings, Sections};
use super::status::IntakeStatus;
use crate::http::etag::Versioned;
use crate::http::extract::present;
use crate::ids::Json;
use crate::screening::mme::MmeResult;
use crate::screening::model::{Flag, ScoreResult};
use crate::screening::policy::Scores;
use crate::screening::safety::Eligibility;
use crate::validation::FieldIssue;

/// Sections sent by a client. In a `PATCH`, an absent section stays as it is, a section given
/// replaces the stored one whole, and `null` removes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Validate, ToSchema)]
pub struct SectionsInput {
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[validate(nested)]
    #[schema(value_type = Option<Demographics>)]
    pub demographics: Option<Option<Demographics>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[validate(nested)]
    #[schema(value_type = Option<MedicalHistory>)]
    pub medical_history: Option<Option<MedicalHistory>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[validate(nested)]
    #[schema(value_type = Option<Pain>)]
    pub pain: Option<Option<Pain>>,
    /// Answers by instrument code, each in the wire format (`GET /api/v1/instruments/{code}`).
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>, example = json!({"phq9": {"1": 1, "2": 2, "3": 3, "4": 2, "5": 1, "6": 1, "7": 1, "8": 0, "9": 0}}))]
    pub screenings: Option<Option<Screenings>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[validate(nested)]
    #[schema(value_type = Option<Logistics>)]
    pub logistics: Option<Option<Logistics>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[validate(nested)]
    #[schema(value_type = Option<ConsentInput>)]
    pub consent: Option<Option<ConsentInput>>,
}

/// A new draft. A patient creates one for themself; staff name the patient (phone intake).
/// Server-computed fields (`scores`, `flags`, `eligibility`, `mme`) are ignored if sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"sections": {"logistics": {"fasting_instructions_acknowledged": true}}}))]
pub struct CreateIntakeRequest {
    /// Required for staff; a patient's own profile otherwise.
    pub patient_id: Option<Uuid>,
    /// Sections to start with; demographics are pre-filled from the profile and medical history
    /// from the last submitted intake unless given here.
    #[serde(default)]
    #[validate(nested)]
    pub sections: SectionsInput,
    /// Server-computed; ignored when sent.
    #[serde(default, skip_serializing)]
    pub scores: Option<serde_json::Value>,
    #[serde(default, skip_serializing)]
    pub flags: Option<serde_json::Value>,
    #[serde(default, skip_serializing)]
    pub eligibility: Option<serde_json::Value>,
    #[serde(default, skip_serializing)]
    pub mme: Option<serde_json::Value>,
}

/// Named sections to replace (whole) or remove (`null`). Server-computed fields (`scores`,
/// `flags`, `eligibility`, `mme`) are ignored if sent.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"sections": {"pain": {"conditions": [{"type": "fibromyalgia", "is_treatment_target": true, "diagnosis_status": "diagnosed",
    "onset": "2019", "inciting_event": "none_spontaneous", "locations": [{"region": "whole_body", "side": "bilateral"}],
    "intensity": {"now": 6, "average": 7, "worst": 9}, "qualities": ["aching"], "prior_treatments": []}]}}}))]
pub struct PatchIntakeRequest {
    #[validate(nested)]
    pub sections: SectionsInput,
    /// Server-computed; ignored when sent.
    #[serde(default, skip_serializing)]
    pub scores: Option<serde_json::Value>,
    #[serde(default, skip_serializing)]
    pub flags: Option<serde_json::Value>,
    #[serde(default, skip_serializing)]
    pub eligibility: Option<serde_json::Value>,
    #[serde(default, skip_serializing)]
    pub mme: Option<serde_json::Value>,
}

/// An intake as its owner and clinicians see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IntakeResponse {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub status: IntakeStatus,
    /// Increments on every change; the `ETag` header carries it for `If-Match`.
    #[schema(example = 3)]
    pub version: i64,
    /// The document; fields never answered are left out.
    #[schema(value_type = Sections)]
    pub sections: Box<serde_json::value::RawValue>,
    /// Current scores by instrument code: the latest submission's, re-scored when a clinician
    /// records exam findings (empty before the first submit).
    #[schema(value_type = BTreeMap<String, ScoreResult>)]
    pub scores: Box<serde_json::value::RawValue>,
    /// Current flags, most severe first.
    #[schema(value_type = Vec<Flag>)]
    pub flags: Box<serde_json::value::RawValue>,
    /// Decision support; null before the first submit.
    #[schema(value_type = Option<Eligibility>)]
    pub eligibility: Box<serde_json::value::RawValue>,
    /// Opioid load (CDC 2022); null before the first submit.
    #[schema(value_type = Option<MmeResult>)]
    pub mme: Box<serde_json::value::RawValue>,
    /// While editable: what a submit would still ask for (by JSON path).
    pub missing: Vec<FieldIssue>,
    /// Staff started this intake for the patient (phone intake).
    pub created_on_behalf: bool,
    pub assigned_to: Option<Uuid>,
    /// What the clinic asked for when it sent the intake back (`needs_info`).
    pub review_note: Option<String>,
    pub submission_count: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
}

impl Versioned for IntakeResponse {
    fn version(&self) -> i64 {
        self.version
    }
}

/// One row of a list of intakes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f10", "patient_id": "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f99",
    "patient_name": "López, Ana", "status": "submitted", "pain_types": ["crps"], "top_severity": "warning",
    "flag_codes": ["bp_above_threshold"], "eligibility": "clinician_review_required",
    "scores": {"phq9_total": 12, "gad7_total": 8, "pain_average": 7, "fm_result": null, "crps_result": "pending_clinician_exam"},
    "assigned_to": null, "created_at": "2026-11-20T10:00:00Z", "updated_at": "2026-11-21T09:30:00Z", "submitted_at": "2026-11-21T09:30:00Z"}))]
pub struct IntakeSummary {
    pub id: Uuid,
    pub patient_id: Uuid,
    /// "Family, Given".
    pub patient_name: String,
    pub status: IntakeStatus,
    pub pain_types: Vec<String>,
    /// Highest flag severity: `urgent`, `warning`, `info`, or null when none (or not submitted).
    pub top_severity: Option<String>,
    pub flag_codes: Vec<String>,
    pub eligibility: Option<String>,
    pub scores: KeyScores,
    pub assigned_to: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// The scores clinicians scan first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KeyScores {
    pub phq9_total: Option<i32>,
    pub gad7_total: Option<i32>,
    pub pain_average: Option<i32>,
    /// `met` / `not_met` (ACR 2016).
    pub fm_result: Option<String>,
    /// `met` / `not_met` / `pending_clinician_exam` (Budapest).
    pub crps_result: Option<String>,
}

/// What was submitted, kept unchanged, with what the server computed from it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SubmissionResponse {
    /// 1 for the first submission, 2 after a `needs_info` round, …
    pub seq: i32,
    pub submitted_at: DateTime<Utc>,
    pub submitted_by: Uuid,
    #[schema(value_type = Sections)]
    pub sections: Json<Sections>,
    #[schema(value_type = BTreeMap<String, ScoreResult>)]
    pub scores: Scores,
    pub flags: Vec<Flag>,
    pub eligibility: Eligibility,
    pub mme: MmeResult,
}

/// Sort order of a list: a field, `-` first for newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum IntakeSort {
    #[serde(rename = "submitted_at")]
    SubmittedAsc,
    #[serde(rename = "-submitted_at")]
    SubmittedDesc,
    #[serde(rename = "updated_at")]
    UpdatedAsc,
    #[serde(rename = "-updated_at")]
    UpdatedDesc,
}

crate::paged_query! {
    /// Intake list: a patient sees their own; staff see the clinic's worklist.
    #[derive(Debug, Deserialize, Validate, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct IntakeListQuery {
        /// Statuses, comma-separated, e.g. `submitted,in_review`.
        #[validate(length(max = 100))]
        #[param(example = "submitted,in_review")]
        pub status: Option<String>,
        /// Intakes with a pain condition of this type.
        pub pain_type: Option<crate::screening::model::PainType>,
        /// Intakes carrying this flag code, e.g. `suicidal_ideation`.
        #[validate(length(min = 1, max = 64), custom(function = "crate::validation::single_line"))]
        #[param(example = "bp_above_threshold")]
        pub flag: Option<String>,
        /// Intakes whose most severe flag is at least this severe (`warning` includes `urgent`).
        pub severity: Option<crate::screening::model::Severity>,
        pub patient_id: Option<Uuid>,
        /// A clinician's id, or `me`.
        #[validate(length(max = 64))]
        #[param(example = "me")]
        pub assigned_to: Option<String>,
        /// Submitted at or after this instant (RFC 3339).
        pub submitted_from: Option<DateTime<Utc>>,
        /// Submitted before this instant (RFC 3339).
        pub submitted_to: Option<DateTime<Utc>>,
        /// Patient name: every word must start a word of the name; case and accents are ignored.
        /// A `q` without a letter or digit matches no name.
        #[validate(length(max = 100), custom(function = "crate::validation::single_line"))]
        #[param(example = "jose")]
        pub q: Option<String>,
        /// `submitted_at`, `-submitted_at`, `updated_at` or `-updated_at` (default). Sorting by
        /// submission time lists only intakes submitted at least once.
        pub sort: Option<IntakeSort>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_validation_reaches_sections() {
        let v = serde_json::json!({"sections": {"demographics": {"weight_kg": 500}}});
        let req: PatchIntakeRequest = serde_json::from_value(v).unwrap();
        let r = req.validate();
        assert!(r.is_err(), "{r:?}");
    }
}
