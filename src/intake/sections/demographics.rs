//! The `demographics` section: the profile fields as they are at intake time, plus height and
//! weight (weight is needed for dosing).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::choice::NoneAnswer;
use crate::patients::api::Address;
use crate::patients::api::EmergencyContact;
use crate::patients::api::Language;
use crate::patients::api::SexAtBirth;

choice!(EmploymentStatus {
    EmployedFullTime,
    EmployedPartTime,
    UnableToWorkDueToPain,
    OnDisability,
    Unemployed,
    Retired,
    Student,
    Homemaker,
    Other
});

/// The patient profile as it is at intake time, plus what dosing and the infusion day need.
/// A new draft is pre-filled from the patient's profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[schema(example = json!({
    "given_name": "Ana", "family_name": "López", "date_of_birth": "1984-03-09", "sex_at_birth": "female",
    "preferred_language": "es", "interpreter_needed": false, "phone": "+1 555 010 0199",
    "address": {"line1": "1200 Alameda St", "city": "Los Angeles", "region": "CA", "postal_code": "90012", "country": "US"},
    "emergency_contact": {"name": "Luis López", "relationship": "spouse", "phone": "+1 555 010 0142"},
    "height_cm": 162, "weight_kg": 68.5, "employment_status": "unable_to_work_due_to_pain"}))]
pub struct Demographics {
    #[validate(length(min = 1, max = 100), custom(function = "crate::validation::single_line"))]
    #[schema(example = "Ana")]
    pub given_name: Option<String>,
    #[validate(length(min = 1, max = 100), custom(function = "crate::validation::single_line"))]
    #[schema(example = "López")]
    pub family_name: Option<String>,
    #[validate(custom(function = "crate::validation::date_of_birth"))]
    #[schema(example = "1984-03-09")]
    pub date_of_birth: Option<NaiveDate>,
    pub sex_at_birth: Option<SexAtBirth>,
    #[validate(length(min = 1, max = 100), custom(function = "crate::validation::single_line"))]
    pub gender_identity: Option<String>,
    #[validate(length(min = 1, max = 40), custom(function = "crate::validation::single_line"))]
    #[schema(example = "she/her")]
    pub pronouns: Option<String>,
    pub preferred_language: Option<Language>,
    /// An interpreter must be booked for consent and the infusion day.
    pub interpreter_needed: Option<bool>,
    #[validate(custom(function = "crate::validation::email_address"))]
    pub email: Option<String>,
    #[validate(custom(function = "crate::validation::phone"))]
    #[schema(example = "+1 555 010 0199")]
    pub phone: Option<String>,
    #[validate(nested)]
    pub address: Option<Address>,
    #[validate(nested)]
    pub emergency_contact: Option<EmergencyContact>,
    /// Height in centimetres, 50–250.
    #[validate(range(min = 50, max = 250))]
    #[schema(minimum = 50, maximum = 250, example = 162)]
    pub height_cm: Option<u16>,
    /// Weight in kilograms, 20–350 (ketamine is dosed per kg).
    #[validate(range(min = 20.0, max = 350.0))]
    #[schema(minimum = 20, maximum = 350, example = 68.5)]
    pub weight_kg: Option<f64>,
    pub employment_status: Option<EmploymentStatus>,
}
