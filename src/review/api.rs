//! Bodies of the review routes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::domain::ReviewAction;
use crate::auth::domain::Role;
use crate::http::etag::Versioned;
use crate::intake::status::IntakeStatus;

/// A review step.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"action": "request_info", "note": "Please add the name and dose of your blood-pressure medicine."}))]
pub struct ReviewRequest {
    pub action: ReviewAction,
    /// Required for `decline` and `request_info` (shown to the patient for `request_info`).
    #[validate(length(min = 1, max = 2000), custom(function = "crate::validation::free_text"))]
    pub note: Option<String>,
    /// For `assign`: a clinician's id, or `me`.
    #[validate(length(max = 64))]
    #[schema(example = "me")]
    pub assign_to: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActorDto {
    pub id: Uuid,
    pub role: Role,
    pub display_name: String,
}

/// One step of the review history.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f20", "action": "start_review", "from_status": "submitted",
    "to_status": "in_review", "actor": {"id": "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f30", "role": "clinician", "display_name": "Dr. Marta Reyes"},
    "note": null, "assign_to": "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f30", "created_at": "2026-11-27T14:00:00Z"}))]
pub struct ReviewEntry {
    pub id: Uuid,
    /// `start_review`, `approve`, `decline`, `request_info`, `assign`, or `exam` (exam findings recorded).
    pub action: String,
    pub from_status: IntakeStatus,
    pub to_status: IntakeStatus,
    pub actor: ActorDto,
    pub note: Option<String>,
    pub assign_to: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// The result of a review step: the step and the intake's new version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewResult {
    pub review: ReviewEntry,
    pub intake_status: IntakeStatus,
    /// New version of the intake (also in `ETag`).
    pub intake_version: i64,
}

impl Versioned for ReviewResult {
    fn version(&self) -> i64 {
        self.intake_version
    }
}

/// CRPS signs found at examination (Budapest categories).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct BudapestSigns {
    pub sensory: bool,
    pub vasomotor: bool,
    pub sudomotor_edema: bool,
    pub motor_trophic: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct CrpsExam {
    #[validate(nested)]
    pub signs: BudapestSigns,
    /// Does another diagnosis better explain the signs and symptoms?
    pub other_diagnosis_explains: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct Dn4ExamItems {
    pub hypoesthesia_touch: bool,
    pub hypoesthesia_pinprick: bool,
    pub brushing: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct Dn4Exam {
    #[validate(nested)]
    pub exam: Dn4ExamItems,
}

/// The clinician's part of the CRPS and DN4 instruments.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"crps_budapest": {"signs": {"sensory": true, "vasomotor": true, "sudomotor_edema": false, "motor_trophic": false},
    "other_diagnosis_explains": false}}))]
pub struct ExamRequest {
    #[validate(nested)]
    pub crps_budapest: Option<CrpsExam>,
    /// Only when DN4 is enabled at this clinic.
    #[validate(nested)]
    pub dn4: Option<Dn4Exam>,
}
