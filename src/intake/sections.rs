//! The intake document's sections: typed, validated, documented.
//!
//! A draft may hold any subset of sections, and a section may be partly filled in; every value
//! it holds must be valid in shape (type, enum, range, length). Completeness is checked at submit
//! (`completeness.rs`). Safety answers are tri-state or carry `unsure`, so "don't know" reaches
//! the clinician instead of silently becoming "no" (INTAKE-FIELDS.md).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use crate::patients::api::{Address, EmergencyContact, Language, SexAtBirth};
use crate::screening::mme::Opioid;
use crate::screening::model::PainType;

/// Declares a snake_case string enum usable in sections.
macro_rules! choice {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl NoneAnswer for $name {
            fn is_none_answer(&self) -> bool {
                matches!(format!("{self:?}").as_str(), "None" | "NeverHadAnesthesiaOrSedation")
            }
        }
    };
}

/// Multi-choice answers where "none" excludes every other choice.
pub trait NoneAnswer {
    fn is_none_answer(&self) -> bool;
}

/// A multi-choice answer: no duplicates, and "none" only on its own.
pub fn exclusive_none<T: NoneAnswer + PartialEq>(list: &[T]) -> Result<(), ValidationError> {
    if list.iter().enumerate().any(|(i, a)| list[..i].contains(a)) {
        return Err(ValidationError::new("duplicate").with_message("lists the same choice twice".into()));
    }
    if list.len() > 1 && list.iter().any(NoneAnswer::is_none_answer) {
        return Err(ValidationError::new("exclusive_none")
            .with_message("\"none\" cannot be combined with other choices".into()));
    }
    Ok(())
}

choice!(
    /// Yes, no, or not sure.
    YesNoUnsure { No, Yes, Unsure }
);

/// A partial date, as patients remember them: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, not in the future.
pub fn partial_date(s: &str) -> Result<(), ValidationError> {
    let bad = || {
        ValidationError::new("partial_date")
            .with_message("must be YYYY, YYYY-MM or YYYY-MM-DD, not in the future".into())
    };
    let today = chrono::Utc::now().date_naive();
    let first_day = match s.len() {
        4 => format!("{s}-01-01"),
        7 => format!("{s}-01"),
        10 => s.to_owned(),
        _ => return Err(bad()),
    };
    match NaiveDate::parse_from_str(&first_day, "%Y-%m-%d") {
        Ok(d) if d <= today && d.format("%Y").to_string().as_str() >= "1900" => Ok(()),
        _ => Err(bad()),
    }
}

// ---------------------------------------------------------------------------------------------
// demographics

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

// ---------------------------------------------------------------------------------------------
// medical history

choice!(BodySystem {
    Cardiovascular,
    Respiratory,
    Neurological,
    Endocrine,
    GiLiver,
    RenalUrological,
    MusculoskeletalRheum,
    Hematologic,
    Psychiatric,
    Eye,
    Skin,
    Other
});
choice!(ConditionStatus {
    Active,
    Controlled,
    Resolved
});
choice!(Hypertension {
    No,
    YesControlledOnTreatment,
    YesNotControlled,
    Unsure
});
choice!(BpSetting {
    HomeMonitor,
    Pharmacy,
    ClinicOrOffice,
    Hospital,
    Unknown
});
choice!(CardiacCondition {
    None,
    CoronaryDiseaseOrAngina,
    PriorHeartAttack,
    HeartFailure,
    Arrhythmia,
    ValveDisease,
    Cardiomyopathy,
    PacemakerOrIcd,
    Other
});
choice!(Cerebrovascular {
    None,
    Stroke,
    Tia,
    BrainBleed,
    BrainAneurysm,
    AorticOrOtherAneurysm,
    ArteriovenousMalformation,
    Unsure
});
choice!(SleepApnea {
    NoneKnown,
    DiagnosedUsesCpapBipap,
    DiagnosedNotUsingTherapy,
    Suspected,
    Unsure
});
choice!(LungDisease {
    None,
    Asthma,
    Copd,
    HomeOxygen,
    Other
});
choice!(SeizureHistory {
    Never,
    ChildhoodOnly,
    EpilepsyControlled,
    #[serde(rename = "seizure_within_12_months")]
    SeizureWithin12Months,
    Unsure
});
choice!(HeadInjury {
    None,
    ConcussionNoLoc,
    TbiWithLossOfConsciousness,
    SevereTbi,
    Unsure
});
choice!(IntracranialCondition {
    None,
    BrainTumorOrMass,
    HydrocephalusOrShunt,
    IdiopathicIntracranialHypertension,
    #[serde(rename = "brain_surgery_last_6_months")]
    BrainSurgeryLast6Months,
    Unsure
});
choice!(EyePressure {
    None,
    GlaucomaOpenAngleTreated,
    GlaucomaAngleClosure,
    OcularHypertension,
    #[serde(rename = "eye_surgery_or_injury_last_90_days")]
    EyeSurgeryOrInjuryLast90Days,
    Unsure
});
choice!(Thyroid {
    None,
    Hypothyroid,
    HyperthyroidTreatedControlled,
    HyperthyroidUntreatedOrUncontrolled,
    Unsure
});
choice!(LiverType {
    None,
    FattyLiver,
    HepatitisBOrC,
    AlcoholRelated,
    Cirrhosis,
    Other,
    Unsure
});
choice!(LiverSeverityAnswer {
    Mild,
    Moderate,
    SevereOrDecompensated,
    Unknown
});
choice!(KidneyDisease {
    None,
    CkdNotOnDialysis,
    Dialysis,
    KidneyTransplant,
    Unsure
});
choice!(UrinarySymptom {
    None,
    Frequency,
    Urgency,
    WakingAtNightToUrinate,
    PainfulUrination,
    BloodInUrine,
    BladderOrPelvicPain,
    Incontinence
});
choice!(BladderDiagnosis {
    None,
    InterstitialCystitis,
    KetamineCystitis,
    RecurrentUti,
    Other
});
choice!(PsychiatricDiagnosis {
    None,
    MajorDepression,
    BipolarI,
    BipolarIi,
    GeneralizedAnxiety,
    Panic,
    Ptsd,
    Ocd,
    Schizophrenia,
    Schizoaffective,
    DelusionalDisorder,
    OtherPsychotic,
    BorderlinePersonality,
    EatingDisorder,
    Adhd,
    Other
});
choice!(PsychosisHistory {
    Never,
    SubstanceInducedOnly,
    PastEpisode,
    #[serde(rename = "current_or_within_12_months")]
    CurrentOrWithin12Months,
    Unsure
});
choice!(ManiaHistory {
    Never,
    PastEpisode,
    #[serde(rename = "current_or_within_12_months")]
    CurrentOrWithin12Months,
    Unsure
});
choice!(SuicideAttemptHistory {
    No,
    Yes,
    PreferToDiscuss
});
choice!(Tobacco {
    Never,
    Former,
    CurrentEveryDay,
    CurrentSomeDays
});
choice!(Cannabis {
    Never,
    PastOnly,
    LessThanMonthly,
    Monthly,
    Weekly,
    Daily
});
choice!(StimulantUse {
    None,
    PrescribedAdhdStimulant,
    Cocaine,
    Methamphetamine,
    NonprescribedAmphetamine,
    Other
});
choice!(NonmedicalKetamine {
    Never,
    PastOnly,
    #[serde(rename = "within_12_months")]
    Within12Months,
    Current
});
choice!(OtherSubstance {
    None,
    NonprescribedOpioids,
    HeroinOrFentanyl,
    NonprescribedBenzodiazepines,
    Psychedelics,
    Mdma,
    Ghb,
    Inhalants,
    Other
});
choice!(SubstanceUseDisorder {
    No,
    PastInRemission,
    Current,
    Unsure
});
choice!(Pregnancy {
    Pregnant,
    NotPregnant,
    Unsure,
    NotApplicable
});
choice!(Breastfeeding { No, Yes, NotApplicable });
choice!(DoseUnit {
    Mg,
    Mcg,
    G,
    Ml,
    Units,
    Puffs,
    Drops,
    Patch,
    Tablet,
    Capsule
});
choice!(Route {
    Oral,
    SublingualBuccal,
    Transdermal,
    Topical,
    Intranasal,
    Inhaled,
    Subcutaneous,
    Intramuscular,
    Intravenous,
    IntrathecalPump,
    Rectal,
    Other
});
choice!(Frequency {
    OnceDaily,
    TwiceDaily,
    ThreeTimesDaily,
    FourTimesDaily,
    #[serde(rename = "every_4_hours")]
    Every4Hours,
    #[serde(rename = "every_6_hours")]
    Every6Hours,
    #[serde(rename = "every_8_hours")]
    Every8Hours,
    AtBedtime,
    #[serde(rename = "every_72_hours")]
    Every72Hours,
    Weekly,
    AsNeededOnly,
    Other
});
choice!(AllergyStatus {
    NoKnownAllergies,
    HasAllergies,
    Unsure
});
choice!(AllergyCategory {
    Medication,
    Food,
    Latex,
    AdhesiveTape,
    IodineContrast,
    Environmental,
    Other
});
choice!(AllergySeverity { Mild, Moderate, Severe });
choice!(AllergyReaction {
    HivesRash,
    Itching,
    FaceLipThroatSwelling,
    WheezeOrBreathingDifficulty,
    Anaphylaxis,
    FaintingLowBp,
    NauseaVomiting,
    Other
});
choice!(AnesthesiaProblem {
    NeverHadAnesthesiaOrSedation,
    None,
    SevereNauseaVomiting,
    EmergenceDeliriumOrBadDreams,
    DifficultAirwayOrIntubation,
    SlowToWakeOrProlongedSedation,
    MalignantHyperthermia,
    AllergicReaction,
    Other
});
choice!(PriorKetamine {
    Never,
    TherapeuticCourse,
    OnlyDuringSurgeryOrEmergency,
    Unsure
});
choice!(KetamineFormulation {
    IvInfusion,
    ImInjection,
    EsketamineNasalSpravato,
    CompoundedNasal,
    OralOrSublingualTroche,
    Subcutaneous,
    Other
});
choice!(KetamineIndication {
    ChronicPain,
    DepressionMood,
    PtsdAnxiety,
    Other
});
choice!(KetamineResponse {
    None,
    Partial,
    Good,
    Unsure
});
choice!(KetamineAdverseEffect {
    None,
    HighBloodPressure,
    NauseaVomiting,
    DistressingDissociationOrDysphoria,
    Hallucinations,
    ProlongedSedation,
    BladderSymptoms,
    Headache,
    Other
});
choice!(Limb {
    None,
    LeftArm,
    RightArm,
    LeftLeg,
    RightLeg
});

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
pub struct Condition {
    /// As the patient names it.
    #[validate(length(min = 1, max = 200), custom(function = "crate::validation::single_line"))]
    #[schema(example = "hypothyroidism")]
    pub name: Option<String>,
    pub body_system: Option<BodySystem>,
    pub status: Option<ConditionStatus>,
    #[validate(custom(function = "partial_date"))]
    #[schema(example = "2015")]
    pub onset: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
pub struct Surgery {
    #[validate(length(min = 1, max = 200), custom(function = "crate::validation::single_line"))]
    #[schema(example = "open reduction internal fixation, right wrist")]
    pub procedure: Option<String>,
    #[validate(custom(function = "partial_date"))]
    pub date: Option<String>,
    #[validate(length(max = 500), custom(function = "crate::validation::free_text"))]
    pub complications: Option<String>,
}

/// Last blood pressure the patient knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"systolic_mmhg": 128, "diastolic_mmhg": 82, "measured_on": "2026-11-20", "setting": "home_monitor"}))]
pub struct BloodPressureReading {
    #[validate(range(min = 60, max = 300))]
    #[schema(minimum = 60, maximum = 300)]
    pub systolic_mmhg: Option<u16>,
    #[validate(range(min = 30, max = 200))]
    #[schema(minimum = 30, maximum = 200)]
    pub diastolic_mmhg: Option<u16>,
    #[validate(custom(function = "crate::validation::not_future"))]
    pub measured_on: Option<NaiveDate>,
    pub setting: Option<BpSetting>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
pub struct LiverDisease {
    #[serde(rename = "type")]
    pub kind: Option<LiverType>,
    /// Required unless the type is `none` or `unsure`.
    pub severity: Option<LiverSeverityAnswer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
pub struct MentalHealthProvider {
    pub has_provider: Option<bool>,
    #[validate(length(min = 1, max = 100), custom(function = "crate::validation::single_line"))]
    pub name: Option<String>,
    #[validate(custom(function = "crate::validation::phone"))]
    pub phone: Option<String>,
    /// May the clinic contact them to coordinate care?
    pub ok_to_contact: Option<bool>,
}

/// AUDIT-C alcohol questions, each 0–4.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"q1_frequency": 1, "q2_typical_drinks": 0, "q3_six_or_more": 0}))]
pub struct AuditC {
    #[validate(range(min = 0, max = 4))]
    #[schema(minimum = 0, maximum = 4)]
    pub q1_frequency: Option<u8>,
    #[validate(range(min = 0, max = 4))]
    #[schema(minimum = 0, maximum = 4)]
    pub q2_typical_drinks: Option<u8>,
    #[validate(range(min = 0, max = 4))]
    #[schema(minimum = 0, maximum = 4)]
    pub q3_six_or_more: Option<u8>,
}

/// A current medication other than opioids (opioids go in `opioids`, which feeds MME).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"name": "gabapentin", "dose_amount": 300, "dose_unit": "mg", "route": "oral", "frequency": "three_times_daily", "as_needed": false, "indication": "nerve pain"}))]
pub struct Medication {
    #[validate(length(min = 1, max = 200), custom(function = "crate::validation::single_line"))]
    #[schema(example = "gabapentin")]
    pub name: Option<String>,
    /// RxNorm concept id, when the app offers a picker.
    #[validate(length(min = 1, max = 20), custom(function = "crate::validation::single_line"))]
    pub rxnorm_code: Option<String>,
    #[validate(range(exclusive_min = 0.0, max = 100000.0))]
    pub dose_amount: Option<f64>,
    pub dose_unit: Option<DoseUnit>,
    pub route: Option<Route>,
    pub frequency: Option<Frequency>,
    pub as_needed: Option<bool>,
    #[validate(length(max = 200), custom(function = "crate::validation::single_line"))]
    pub indication: Option<String>,
}

/// A current opioid, as taken. Daily dose = `dose_mg` × `doses_per_day`; a fentanyl patch is
/// its strength in mcg/h.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"drug": "oxycodone", "name": "OxyContin", "dose_mg": 10, "doses_per_day": 2, "as_needed": false}))]
pub struct OpioidEntry {
    pub drug: Option<Opioid>,
    /// As the patient names it (required for `other`).
    #[validate(length(min = 1, max = 200), custom(function = "crate::validation::single_line"))]
    pub name: Option<String>,
    /// mg per dose (not for transdermal fentanyl).
    #[validate(range(exclusive_min = 0.0, max = 5000.0))]
    pub dose_mg: Option<f64>,
    /// Doses taken on a typical day.
    #[validate(range(exclusive_min = 0.0, max = 24.0))]
    pub doses_per_day: Option<f64>,
    /// Transdermal fentanyl strength, mcg/h.
    #[validate(range(exclusive_min = 0.0, max = 1000.0))]
    pub patch_mcg_per_hour: Option<f64>,
    pub as_needed: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"substance": "penicillin", "category": "medication", "reactions": ["hives_rash"], "severity": "moderate"}))]
pub struct Allergy {
    #[validate(length(min = 1, max = 200), custom(function = "crate::validation::single_line"))]
    pub substance: Option<String>,
    pub category: Option<AllergyCategory>,
    #[validate(custom(function = "exclusive_none"))]
    pub reactions: Option<Vec<AllergyReaction>>,
    pub severity: Option<AllergySeverity>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
pub struct KetamineCourse {
    pub formulation_route: Option<KetamineFormulation>,
    pub indication: Option<KetamineIndication>,
    #[validate(range(min = 1, max = 500))]
    pub sessions_count: Option<u16>,
    pub response: Option<KetamineResponse>,
    #[validate(range(min = 0, max = 100))]
    pub pain_relief_percent: Option<u8>,
    #[validate(custom(function = "exclusive_none"))]
    pub adverse_effects: Option<Vec<KetamineAdverseEffect>>,
}

/// Medical history, including every question the ketamine safety checklist needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
pub struct MedicalHistory {
    /// Other conditions; an empty list means none.
    #[validate(nested, length(max = 50))]
    pub conditions: Option<Vec<Condition>>,
    #[validate(nested, length(max = 50))]
    pub surgeries: Option<Vec<Surgery>>,
    pub hypertension: Option<Hypertension>,
    /// Required unless `hypertension` is `no`.
    #[validate(nested)]
    pub last_blood_pressure: Option<BloodPressureReading>,
    #[validate(custom(function = "exclusive_none"))]
    pub cardiac_conditions: Option<Vec<CardiacCondition>>,
    /// Is the heart condition well controlled? Required when a cardiac condition is listed.
    pub cardiac_condition_controlled: Option<YesNoUnsure>,
    /// Heart attack, stent/bypass or heart-failure admission in the last 6 months. Required when
    /// a cardiac condition is listed.
    pub cardiac_event_last_6_months: Option<YesNoUnsure>,
    #[validate(custom(function = "exclusive_none"))]
    pub cerebrovascular_history: Option<Vec<Cerebrovascular>>,
    pub sleep_apnea: Option<SleepApnea>,
    #[validate(custom(function = "exclusive_none"))]
    pub lung_disease: Option<Vec<LungDisease>>,
    pub seizure_history: Option<SeizureHistory>,
    pub head_injury_history: Option<HeadInjury>,
    /// Was the head injury in the last 3 months? Required unless `head_injury_history` is `none`.
    pub head_injury_recent: Option<YesNoUnsure>,
    #[validate(custom(function = "exclusive_none"))]
    pub intracranial_pressure_conditions: Option<Vec<IntracranialCondition>>,
    #[validate(custom(function = "exclusive_none"))]
    pub eye_pressure_condition: Option<Vec<EyePressure>>,
    pub thyroid_status: Option<Thyroid>,
    #[validate(nested)]
    pub liver_disease: Option<LiverDisease>,
    pub kidney_disease: Option<KidneyDisease>,
    #[validate(custom(function = "exclusive_none"))]
    pub lower_urinary_symptoms: Option<Vec<UrinarySymptom>>,
    #[validate(custom(function = "exclusive_none"))]
    pub bladder_diagnoses: Option<Vec<BladderDiagnosis>>,
    #[validate(custom(function = "exclusive_none"))]
    pub psychiatric_diagnoses: Option<Vec<PsychiatricDiagnosis>>,
    pub psychosis_history: Option<PsychosisHistory>,
    pub mania_hypomania_history: Option<ManiaHistory>,
    pub suicide_attempt_history: Option<SuicideAttemptHistory>,
    #[validate(nested)]
    pub mental_health_provider: Option<MentalHealthProvider>,
    pub tobacco_status: Option<Tobacco>,
    #[validate(nested)]
    pub alcohol_audit_c: Option<AuditC>,
    pub cannabis_use: Option<Cannabis>,
    /// In the past 12 months.
    #[validate(custom(function = "exclusive_none"))]
    pub stimulant_use: Option<Vec<StimulantUse>>,
    pub nonmedical_ketamine_use: Option<NonmedicalKetamine>,
    /// In the past 12 months.
    #[validate(custom(function = "exclusive_none"))]
    pub other_substance_use: Option<Vec<OtherSubstance>>,
    pub substance_use_disorder: Option<SubstanceUseDisorder>,
    pub pregnancy_status: Option<Pregnancy>,
    pub breastfeeding: Option<Breastfeeding>,
    /// Current medications other than opioids; an empty list means none.
    #[validate(nested, length(max = 60))]
    pub current_medications: Option<Vec<Medication>>,
    /// Current opioids with doses (feeds MME); an empty list means none.
    #[validate(nested, length(max = 20))]
    pub opioids: Option<Vec<OpioidEntry>>,
    pub allergy_status: Option<AllergyStatus>,
    /// Required (at least one) when `allergy_status` is `has_allergies`.
    #[validate(nested, length(max = 50))]
    pub allergies: Option<Vec<Allergy>>,
    #[validate(custom(function = "exclusive_none"))]
    pub anesthesia_problems: Option<Vec<AnesthesiaProblem>>,
    pub prior_ketamine_exposure: Option<PriorKetamine>,
    /// Required (at least one) when `prior_ketamine_exposure` is `therapeutic_course`.
    #[validate(nested, length(max = 20))]
    pub prior_ketamine_courses: Option<Vec<KetamineCourse>>,
    /// Limbs where no IV, cuff or needle may go (e.g. a CRPS limb).
    #[validate(custom(function = "exclusive_none"))]
    pub limbs_to_avoid: Option<Vec<Limb>>,
}

// ---------------------------------------------------------------------------------------------
// pain

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

// ---------------------------------------------------------------------------------------------
// logistics

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

// ---------------------------------------------------------------------------------------------
// consent

choice!(SignerRole {
    /// The patient signs for themself.
    #[serde(rename = "self")]
    SelfSigned,
    LegalGuardian,
    HealthcarePoa
});
choice!(SessionRecording { Declined, Audio, Video });

/// Each statement of the consent text the patient affirms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
pub struct ConsentAcknowledgements {
    pub off_label_no_guarantee: Option<bool>,
    pub controlled_substance: Option<bool>,
    pub acute_effects: Option<bool>,
    pub monitoring_and_rescue: Option<bool>,
    pub longer_term_risks: Option<bool>,
    pub post_infusion_restrictions: Option<bool>,
    pub right_to_withdraw: Option<bool>,
    pub continuing_care_and_crisis_plan: Option<bool>,
    pub privacy_notice: Option<bool>,
    pub financial_responsibility: Option<bool>,
}

/// What the patient signs. The server adds the evidence (`signed_at`, `text_sha256`,
/// `client_addr`, `user_agent`) when the section is saved with `accepted: true`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"accepted": true, "signer_name": "Ana López", "signer_role": "self_signed", "consent_version": "2026-11-01",
    "lang": "es", "acknowledgements": {"off_label_no_guarantee": true, "controlled_substance": true, "acute_effects": true,
    "monitoring_and_rescue": true, "longer_term_risks": true, "post_infusion_restrictions": true, "right_to_withdraw": true,
    "continuing_care_and_crisis_plan": true, "privacy_notice": true, "financial_responsibility": true},
    "session_recording": "declined"}))]
pub struct ConsentInput {
    pub accepted: Option<bool>,
    /// Typed full name as signature.
    #[validate(length(min = 1, max = 200), custom(function = "crate::validation::single_line"))]
    pub signer_name: Option<String>,
    pub signer_role: Option<SignerRole>,
    /// Version from `GET /api/v1/consent/current`.
    #[validate(length(min = 1, max = 40), custom(function = "crate::validation::single_line"))]
    pub consent_version: Option<String>,
    pub lang: Option<Language>,
    #[validate(nested)]
    pub acknowledgements: Option<ConsentAcknowledgements>,
    pub session_recording: Option<SessionRecording>,
}

/// Evidence the server records with an accepted consent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConsentEvidence {
    pub signed_at: chrono::DateTime<chrono::Utc>,
    /// SHA-256 (hex) of the exact consent text of that version and language.
    pub text_sha256: String,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
}

/// The stored consent section: the patient's input and the server's evidence.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Consent {
    #[serde(flatten)]
    pub input: ConsentInput,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<ConsentEvidence>,
}

// ---------------------------------------------------------------------------------------------
// the document

/// Answers by instrument code, in the wire format of CLINICAL.md.
pub type Screenings = BTreeMap<String, serde_json::Value>;

/// The whole intake document. Every section is optional in a draft.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Sections {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demographics: Option<Demographics>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medical_history: Option<MedicalHistory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pain: Option<Pain>,
    /// Answers by instrument code (`phq9`, `gad7`, …), each in the wire format.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>, example = json!({"phq9": {"1": 1, "2": 2, "3": 3, "4": 2, "5": 1, "6": 1, "7": 1, "8": 0, "9": 0}}))]
    pub screenings: Option<Screenings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logistics: Option<Logistics>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
}

impl Sections {
    /// The kinds of the pain conditions (each once): they decide the conditional instruments.
    pub fn pain_types(&self) -> Vec<PainType> {
        let mut types: Vec<PainType> = self
            .pain
            .as_ref()
            .and_then(|p| p.conditions.as_ref())
            .into_iter()
            .flatten()
            .filter_map(|c| c.kind)
            .collect();
        types.sort();
        types.dedup();
        types
    }
}

/// The section names, in document order.
pub const SECTION_NAMES: [&str; 6] = [
    "demographics",
    "medical_history",
    "pain",
    "screenings",
    "logistics",
    "consent",
];
