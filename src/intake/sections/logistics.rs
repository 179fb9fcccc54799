//! The `logistics` section: fasting, transport home, goals and referral.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::choice::{NoneAnswer, exclusive_none};

choice!(EscortRelationship {
    SpousePartner,
    Parent,
    AdultChild,
    Sibling,
    Friend,
    Other
});
choice!(EscortAvailability {
    DriveOnly,
    CanStayAFewHours,
    #[serde(rename = "can_stay_8_to_12_hours")]
    CanStay8To12Hours,
    Overnight
});
choice!(GoalDomain {
    ReducePainIntensity,
    FewerOrMilderFlares,
    ImproveSleep,
    ImproveMood,
    ReturnToWorkOrSchool,
    MorePhysicalActivity,
    SelfCareIndependence,
    ReducePainMedicationsOrOpioids,
    SocialFamilyLife,
    Other
});
choice!(ReferralSource {
    /// The patient came on their own.
    #[serde(rename = "self")]
    SelfReferred,
    Pcp,
    PainSpecialist,
    PsychiatristOrTherapist,
    Surgeon,
    Other
});

/// The responsible adult who takes the patient home.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"name": "Luis López", "relationship": "spouse_partner", "phone": "+1 555 010 0142", "is_adult": true}))]
pub struct Escort {
    #[validate(length(min = 1, max = 100), custom(function = "crate::validation::single_line"))]
    pub name: Option<String>,
    pub relationship: Option<EscortRelationship>,
    #[validate(custom(function = "crate::validation::phone"))]
    pub phone: Option<String>,
    /// 18 or older.
    pub is_adult: Option<bool>,
    pub availability: Option<EscortAvailability>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
pub struct FunctionalGoal {
    #[validate(length(min = 1, max = 200), custom(function = "crate::validation::single_line"))]
    #[schema(example = "walk the dog")]
    pub activity: Option<String>,
    #[validate(length(max = 200), custom(function = "crate::validation::single_line"))]
    #[schema(example = "20 minutes twice a day")]
    pub target: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
pub struct Goals {
    /// Up to 3, most important first.
    #[validate(length(min = 1, max = 3), custom(function = "exclusive_none"))]
    pub domains: Option<Vec<GoalDomain>>,
    #[validate(nested, length(max = 3))]
    pub functional_goals: Option<Vec<FunctionalGoal>>,
    /// Pain level (0–10) that would feel like success.
    #[validate(range(min = 0, max = 10))]
    pub target_pain_nrs: Option<u8>,
    #[validate(length(max = 1000), custom(function = "crate::validation::free_text"))]
    pub concerns: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
pub struct Provider {
    #[validate(length(min = 1, max = 100), custom(function = "crate::validation::single_line"))]
    pub name: Option<String>,
    #[validate(length(max = 100), custom(function = "crate::validation::single_line"))]
    pub practice: Option<String>,
    #[validate(custom(function = "crate::validation::phone"))]
    pub phone: Option<String>,
}

/// Infusion-day arrangements, goals and referral.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
pub struct Logistics {
    /// The patient has read the fasting instructions (must be true to submit).
    pub fasting_instructions_acknowledged: Option<bool>,
    /// No alcohol or recreational drugs around infusions (must be true to submit).
    pub substance_instructions_acknowledged: Option<bool>,
    /// Who takes the patient home (must be an adult).
    #[validate(nested)]
    pub escort: Option<Escort>,
    #[validate(nested)]
    pub goals: Option<Goals>,
    pub referral_source: Option<ReferralSource>,
    #[validate(nested)]
    pub referring_provider: Option<Provider>,
    #[validate(nested)]
    pub primary_care_provider: Option<Provider>,
    /// Can attend a full series (e.g. 5 consecutive days for CRPS)?
    pub can_attend_full_series: Option<bool>,
}
