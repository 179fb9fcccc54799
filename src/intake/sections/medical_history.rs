//! The `medical_history` section: conditions, medications, allergies, opioids and the safety
//! questions ketamine screening needs (INTAKE-FIELDS.md).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::choice::{NoneAnswer, YesNoUnsure, exclusive_none, partial_date};
use crate::screening::mme::Opioid;

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
