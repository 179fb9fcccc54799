//! Clinician examination findings (CRPS signs, DN4 exam), kept apart from the patient's answers
//! so a patient editing their screenings never overwrites them; merged in when scoring.

use std::collections::BTreeMap;

use super::repo::IntakeRow;
use crate::error::ApiError;

/// Exam findings by instrument code, e.g. `{"crps_budapest": {"signs": {...}, "other_diagnosis_explains": false}}`.
pub type Exam = BTreeMap<String, serde_json::Value>;

pub fn load(row: &IntakeRow) -> Result<Option<Exam>, ApiError> {
    row.exam
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(ApiError::internal)
}
