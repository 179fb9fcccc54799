//! The `pain` section: one or more pain conditions with type, diagnosis, onset, locations,
//! intensity, qualities and prior treatments.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::choice::{NoneAnswer, exclusive_none, partial_date};
use crate::screening::model::PainType;

choice!(DiagnosisStatus {
    Diagnosed,
    Suspected,
    NotDiagnosed
});
choice!(Diagnoser {
    Pcp,
    PainMedicine,
    Neurology,
    Rheumatology,
    OrthopedicsOrSurgery,
    Other
});
choice!(IncitingEvent {
    Fracture,
    Surgery,
    SprainOrStrain,
    CrushOrSoftTissueInjury,
    NerveInjury,
    ImmobilizationCast,
    InfectionOrIllness,
    MotorVehicleAccident,
    RepetitiveStrain,
    EmotionalStressor,
    NoneSpontaneous,
    Unknown,
    Other
});
choice!(BodyRegion {
    Head,
    FaceJaw,
    Neck,
    Shoulder,
    UpperArm,
    Elbow,
    Forearm,
    WristHand,
    Chest,
    Abdomen,
    UpperBack,
    LowerBack,
    ButtockHip,
    GroinPelvis,
    Thigh,
    Knee,
    LowerLeg,
    AnkleFoot,
    WholeBody
});
choice!(Side {
    Left,
    Right,
    Bilateral,
    Midline
});
choice!(AffectedLimb {
    LeftArm,
    RightArm,
    LeftLeg,
    RightLeg
});
choice!(PainQuality {
    Aching,
    Burning,
    Sharp,
    Stabbing,
    ShootingElectric,
    Throbbing,
    Cramping,
    PinsAndNeedles,
    Numbness,
    ColdFreezing,
    PressureSqueezing,
    DeepBone,
    Itching,
    PainFromLightTouch,
    Other
});
choice!(TreatmentType {
    StellateGanglionBlock,
    LumbarSympatheticBlock,
    EpiduralSteroidInjection,
    PeripheralNerveBlock,
    TriggerPointInjection,
    RadiofrequencyAblation,
    BotulinumToxin,
    SpinalCordStimulator,
    DrgStimulator,
    PeripheralNerveStimulator,
    IntrathecalPump,
    KetamineInfusion,
    LidocaineInfusion,
    OtherInfusion,
    PhysicalTherapy,
    OccupationalTherapy,
    MirrorTherapyOrGradedMotorImagery,
    Desensitization,
    AquaticTherapy,
    PainPsychologyCbt,
    MultidisciplinaryPainProgram,
    Acupuncture,
    ChiropracticOrManualTherapy,
    Massage,
    Tens,
    Surgery,
    Medication,
    Other
});

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
pub struct PainLocation {
    pub region: Option<BodyRegion>,
    pub side: Option<Side>,
}

/// Pain intensity for this condition, each 0–10.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
pub struct Intensity {
    #[validate(range(min = 0, max = 10))]
    #[schema(minimum = 0, maximum = 10)]
    pub now: Option<u8>,
    #[validate(range(min = 0, max = 10))]
    #[schema(minimum = 0, maximum = 10)]
    pub average: Option<u8>,
    #[validate(range(min = 0, max = 10))]
    #[schema(minimum = 0, maximum = 10)]
    pub worst: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
pub struct PriorTreatment {
    pub treatment_type: Option<TreatmentType>,
    #[validate(length(max = 200), custom(function = "crate::validation::single_line"))]
    #[schema(example = "3 blocks, right side")]
    pub detail: Option<String>,
    /// How much it helped, 0–100 %.
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100)]
    pub relief_percent: Option<u8>,
    #[validate(range(min = 1, max = 1000))]
    pub sessions_count: Option<u16>,
}

/// One pain condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"type": "crps", "is_treatment_target": true, "diagnosis_status": "diagnosed", "diagnosed_by": "pain_medicine",
    "onset": "2024-06", "inciting_event": "fracture", "locations": [{"region": "wrist_hand", "side": "right"}],
    "affected_limb": "right_arm", "intensity": {"now": 7, "average": 7, "worst": 9},
    "qualities": ["burning", "pain_from_light_touch"], "prior_treatments": [{"treatment_type": "stellate_ganglion_block", "relief_percent": 30, "sessions_count": 3}]}))]
pub struct PainCondition {
    #[serde(rename = "type")]
    pub kind: Option<PainType>,
    /// Required when the type is `other`.
    #[validate(length(min = 1, max = 200), custom(function = "crate::validation::single_line"))]
    pub other_description: Option<String>,
    /// The condition the infusion course is for.
    pub is_treatment_target: Option<bool>,
    pub diagnosis_status: Option<DiagnosisStatus>,
    pub diagnosed_by: Option<Diagnoser>,
    #[validate(custom(function = "partial_date"))]
    #[schema(example = "2024-06")]
    pub onset: Option<String>,
    pub inciting_event: Option<IncitingEvent>,
    #[validate(nested, length(max = 30))]
    pub locations: Option<Vec<PainLocation>>,
    /// CRPS: the affected limb (required for `crps`).
    pub affected_limb: Option<AffectedLimb>,
    #[validate(nested)]
    pub intensity: Option<Intensity>,
    #[validate(custom(function = "exclusive_none"))]
    pub qualities: Option<Vec<PainQuality>>,
    /// Treatments tried for this condition; an empty list means none.
    #[validate(nested, length(max = 40))]
    pub prior_treatments: Option<Vec<PriorTreatment>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
pub struct Pain {
    /// One or more pain conditions.
    #[validate(nested, length(max = 10))]
    pub conditions: Option<Vec<PainCondition>>,
}
