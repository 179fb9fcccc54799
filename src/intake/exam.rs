//! Clinician examination findings (CRPS signs, DN4 exam), kept apart from the patient's answers
//! so a patient editing their screenings never overwrites them; merged in when scoring.

use super::repo::IntakeRow;
use crate::error::ApiError;
use crate::screening::policy::Exam;

pub fn load(row: &IntakeRow) -> Result<Option<Exam>, ApiError> {
    row.exam
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(ApiError::internal)
}
