//! Request and response bodies of courses, sessions, check-ins and outcomes (FOLLOW-UP.md).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use super::protocol::Protocol;
use super::status::{CheckinKind, CheckinStatus, CourseStatus, EndReason, Indication, SessionStatus};
use crate::courses::session::blocks::{AdverseEvent, Discharge, Dose, PreChecks, SessionBlocks, VitalSigns};
use crate::http::etag::Versioned;
use crate::http::extract::present;
use crate::screening::model::Flag;
use crate::screening::outcomes::{Classification, OutcomeCutoffs};
use crate::screening::policy::Scores;

fn distinct(list: &[Indication]) -> Result<(), ValidationError> {
    let mut seen = list.to_vec();
    seen.sort_by_key(|i| i.as_str());
    seen.dedup();
    if seen.len() == list.len() {
        Ok(())
    } else {
        Err(ValidationError::new("duplicate").with_message("each indication once".into()))
    }
}

/// A new course for the patient of an approved intake.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"intake_id": "0192f0c1-7d2e-7a10-9b6c-3f1e2d4c5b6a", "indications": ["crps", "depression"],
    "planned_sessions": 6, "protocol": {"drug": "ketamine", "route": "iv", "dose_mg_per_kg": 0.5, "infusion_minutes": 40}}))]
pub struct CreateCourseRequest {
    pub intake_id: Uuid,
    #[validate(length(min = 1, max = 8), custom(function = "distinct"))]
    pub indications: Vec<Indication>,
    #[validate(range(min = 1, max = 50))]
    #[schema(minimum = 1, maximum = 50)]
    pub planned_sessions: i32,
    #[validate(nested)]
    pub protocol: Protocol,
    /// Staff notes (never shown to the patient).
    #[validate(length(min = 1, max = 4000), custom(function = "crate::validation::free_text"))]
    pub notes: Option<String>,
}

/// End a course.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "completed", "note": "6 of 6 sessions"}))]
pub struct EndCourseRequest {
    pub reason: EndReason,
    #[validate(length(min = 1, max = 2000), custom(function = "crate::validation::free_text"))]
    pub note: Option<String>,
}

/// A flag on a course: a session's flag, or an urgent flag of a check-in, with where it came from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourseFlag {
    #[serde(flatten)]
    pub flag: Flag,
    pub session_id: Option<Uuid>,
    pub checkin_id: Option<Uuid>,
}

/// Where an outcome's baseline came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BaselineSource {
    Intake,
    Checkin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Baseline {
    pub value: f64,
    pub source: BaselineSource,
    pub source_id: Uuid,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Latest {
    pub value: f64,
    pub checkin_id: Uuid,
    pub at: DateTime<Utc>,
}

/// One instrument's outcome in a course, with how it was computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"instrument": "phq9", "rule_set": "OUTCOMES-2026.1",
    "baseline": {"value": 16, "source": "intake", "source_id": "0192f0c1-7d2e-7a10-9b6c-3f1e2d4c5b6a", "at": "2026-11-20T10:00:00Z"},
    "latest": {"value": 7, "checkin_id": "0192f0c1-9a00-7a10-9b6c-3f1e2d4c5b6a", "at": "2026-12-20T10:00:00Z"},
    "change": -9, "percent_change": -56.3, "classification": "response",
    "cutoffs": {"mood_baseline_min": 10, "mood_remission_below": 5, "mood_response_pct": -50, "mood_partial_pct": -25,
        "pain_substantial_pct": -50, "pain_moderate_pct": -30, "pain_worse_pct": 30}}))]
pub struct CourseOutcome {
    pub instrument: String,
    pub rule_set: String,
    /// None for PGIC (no baseline).
    pub baseline: Option<Baseline>,
    pub latest: Latest,
    pub change: Option<f64>,
    pub percent_change: Option<f64>,
    pub classification: Classification,
    pub cutoffs: OutcomeCutoffs,
}

/// A course.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourseResponse {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub intake_id: Uuid,
    pub status: CourseStatus,
    pub indications: Vec<Indication>,
    pub planned_sessions: i32,
    pub protocol: Protocol,
    pub sessions_completed: i32,
    /// The earliest planned session still to come.
    pub next_session_at: Option<DateTime<Utc>>,
    /// Flags of its sessions, and urgent flags of its check-ins.
    pub flags: Vec<CourseFlag>,
    /// By instrument code.
    pub outcomes: BTreeMap<String, CourseOutcome>,
    /// Staff notes; absent for the patient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<EndReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_note: Option<String>,
}

impl Versioned for CourseResponse {
    fn version(&self) -> i64 {
        self.version
    }
}

/// A course in a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourseSummary {
    pub id: Uuid,
    pub patient_id: Uuid,
    /// The patient's name (staff lists).
    pub patient_name: Option<String>,
    pub status: CourseStatus,
    pub indications: Vec<Indication>,
    pub planned_sessions: i32,
    pub sessions_completed: i32,
    pub next_session_at: Option<DateTime<Utc>>,
    /// The most severe flag on the course: `info`, `warning`, `urgent`.
    pub top_severity: Option<String>,
    pub flag_codes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Only check-ins past their `due_by` and not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckinFilter {
    Overdue,
}

crate::paged_query! {
    /// Filters of `GET /courses` (staff; a patient always gets their own).
    #[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
    #[serde(deny_unknown_fields)]
    #[into_params(parameter_in = Query)]
    pub struct CourseListQuery {
        pub patient_id: Option<Uuid>,
        /// `active`, `completed` or `stopped`.
        pub status: Option<CourseStatus>,
        /// A flag code on the course (from a session or a check-in), e.g. `severe_adverse_event`.
        #[validate(length(min = 1, max = 64))]
        pub flag: Option<String>,
        /// `<instrument>:<classification>`, e.g. `phq9:no_response`.
        #[validate(length(min = 3, max = 64))]
        #[param(example = "phq9:no_response")]
        pub outcome: Option<String>,
        /// `overdue`: courses with a check-in past its `due_by` and not answered.
        pub checkins: Option<CheckinFilter>,
        /// Words of the patient's name (prefixes).
        #[validate(length(min = 1, max = 100))]
        pub q: Option<String>,
    }
}

/// Schedule a session.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"scheduled_at": "2026-12-08T09:00:00Z"}))]
pub struct CreateSessionRequest {
    pub scheduled_at: DateTime<Utc>,
}

/// Blocks to replace: an absent block stays, a block given replaces the stored one whole,
/// `null` removes it.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"pre_checks": {"weight_kg": 72.5, "fasting_solids_hours": 8, "fasting_clear_liquids_hours": 3,
    "escort_confirmed": true, "pregnancy_test": "not_applicable", "consent_confirmed": true},
    "vitals": [{"at": "2026-12-08T09:05:00Z", "phase": "pre", "systolic": 128, "diastolic": 82, "heart_rate": 74, "spo2": 98}],
    "dose": {"drug": "ketamine", "route": "iv", "dose_mg_per_kg": 0.5, "started_at": "2026-12-08T09:15:00Z"}}))]
pub struct SessionPatch {
    #[serde(default, deserialize_with = "present")]
    #[validate(nested)]
    #[schema(value_type = Option<PreChecks>)]
    pub pre_checks: Option<Option<PreChecks>>,
    #[serde(default, deserialize_with = "present")]
    #[validate(nested, length(max = 100))]
    #[schema(value_type = Option<Vec<VitalSigns>>)]
    pub vitals: Option<Option<Vec<VitalSigns>>>,
    #[serde(default, deserialize_with = "present")]
    #[validate(nested)]
    #[schema(value_type = Option<Dose>)]
    pub dose: Option<Option<Dose>>,
    #[serde(default, deserialize_with = "present")]
    #[validate(range(min = 0, max = 5))]
    #[schema(value_type = Option<u8>, minimum = 0, maximum = 5)]
    pub sedation_moaas: Option<Option<u8>>,
    #[serde(default, deserialize_with = "present")]
    #[validate(range(min = 0, max = 10))]
    #[schema(value_type = Option<u8>, minimum = 0, maximum = 10)]
    pub dissociation: Option<Option<u8>>,
    #[serde(default, deserialize_with = "present")]
    #[validate(nested, length(max = 50))]
    #[schema(value_type = Option<Vec<AdverseEvent>>)]
    pub adverse_events: Option<Option<Vec<AdverseEvent>>>,
    #[serde(default, deserialize_with = "present")]
    #[validate(nested)]
    #[schema(value_type = Option<Discharge>)]
    pub discharge: Option<Option<Discharge>>,
    /// Staff notes (never shown to the patient).
    #[serde(default, deserialize_with = "present")]
    #[validate(length(min = 1, max = 4000), custom(function = "crate::validation::free_text"))]
    #[schema(value_type = Option<String>)]
    pub staff_notes: Option<Option<String>>,
}

impl SessionPatch {
    /// The blocks after this patch.
    pub fn apply(self, mut blocks: SessionBlocks) -> SessionBlocks {
        if let Some(v) = self.pre_checks {
            blocks.pre_checks = v;
        }
        if let Some(v) = self.vitals {
            blocks.vitals = v.unwrap_or_default();
        }
        if let Some(v) = self.dose {
            blocks.dose = v;
        }
        if let Some(v) = self.sedation_moaas {
            blocks.sedation_moaas = v;
        }
        if let Some(v) = self.dissociation {
            blocks.dissociation = v;
        }
        if let Some(v) = self.adverse_events {
            blocks.adverse_events = v.unwrap_or_default();
        }
        if let Some(v) = self.discharge {
            blocks.discharge = v;
        }
        blocks
    }
}

/// Cancel a session.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "patient unwell, rescheduled"}))]
pub struct CancelSessionRequest {
    #[validate(length(min = 1, max = 500), custom(function = "crate::validation::free_text"))]
    pub reason: String,
}

/// One infusion session.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InfusionSession {
    pub id: Uuid,
    pub course_id: Uuid,
    pub patient_id: Uuid,
    pub status: SessionStatus,
    pub scheduled_at: DateTime<Utc>,
    #[serde(flatten)]
    pub blocks: SessionBlocks,
    pub flags: Vec<Flag>,
    /// Staff notes; absent for the patient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff_notes: Option<String>,
    /// Its pre-session check-in.
    pub checkin_id: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
}

impl Versioned for InfusionSession {
    fn version(&self) -> i64 {
        self.version
    }
}

/// A check-in: a short set of questionnaires before a session or after the course.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckinResponse {
    pub id: Uuid,
    pub course_id: Uuid,
    pub session_id: Option<Uuid>,
    pub kind: CheckinKind,
    /// Follow-ups: days after the course ended.
    pub day_offset: Option<i32>,
    pub status: CheckinStatus,
    pub due_from: DateTime<Utc>,
    pub due_by: DateTime<Utc>,
    /// Instrument codes to answer (`GET /api/v1/instruments/{code}` for each).
    pub instruments: Vec<String>,
    #[schema(value_type = Option<Object>)]
    pub answers: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub scores: Option<Scores>,
    pub flags: Option<Vec<Flag>>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Answered after `due_by`.
    pub late: bool,
    pub version: i64,
}

impl Versioned for CheckinResponse {
    fn version(&self) -> i64 {
        self.version
    }
}

/// Answers to a check-in, by instrument code.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"screenings": {
    "phq9": {"1": 1, "2": 1, "3": 1, "4": 1, "5": 0, "6": 0, "7": 1, "8": 0, "9": 0},
    "pain_nrs": {"now": 4, "average": 4, "worst": 6}, "peg": {"pain": 4, "enjoyment": 3, "activity": 4},
    "ketamine_side_effects": {"nausea": 1, "vomiting": 0, "dizziness": 1, "headache": 0, "drowsiness": 1, "blurred_vision": 0,
        "feeling_unreal": 1, "anxiety": 0, "hallucinations": 0, "bladder": 0, "blood_in_urine": 0, "other": 0}}}))]
pub struct SubmitCheckinRequest {
    #[schema(value_type = Object)]
    pub screenings: BTreeMap<String, serde_json::Value>,
}

/// A point of a trend chart.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeriesPoint {
    pub at: DateTime<Utc>,
    pub value: f64,
    /// None for the intake's baseline point.
    pub checkin_id: Option<Uuid>,
}

/// A course's outcomes and the series behind them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutcomesResponse {
    pub course_id: Uuid,
    pub outcomes: BTreeMap<String, CourseOutcome>,
    pub series: BTreeMap<String, Vec<SeriesPoint>>,
}
