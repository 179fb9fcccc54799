//! From the intake's answers to the safety checklist's facts (INTAKE-FIELDS.md §7 feed map).
//! Each fact keeps the JSON paths of the answers behind it, so a flag shows its evidence.

use super::sections::*;
use crate::screening::mme::{Opioid, OpioidDose};
use crate::screening::safety::{Answer, BloodPressure, Check, LiverSeverity, SafetyFacts};
use crate::text;

const MH: &str = "sections.medical_history";

fn path(field: &str) -> String {
    format!("{MH}.{field}")
}

/// Accumulates (check, answer, paths); a check answered yes anywhere is yes.
#[derive(Default)]
struct Facts(Vec<(Check, Answer, Vec<String>)>);

impl Facts {
    fn add(&mut self, check: Check, answer: Answer, p: String) {
        if answer == Answer::No {
            return;
        }
        match self.0.iter_mut().find(|(c, a, _)| *c == check && *a == answer) {
            Some((_, _, paths)) => paths.push(p),
            None => self.0.push((check, answer, vec![p])),
        }
    }

    fn yes(&mut self, check: Check, when: bool, p: String) {
        if when {
            self.add(check, Answer::Yes, p);
        }
    }

    fn unsure(&mut self, check: Check, when: bool, p: String) {
        if when {
            self.add(check, Answer::Unsure, p);
        }
    }
}

fn tri(v: Option<YesNoUnsure>) -> Answer {
    match v {
        Some(YesNoUnsure::Yes) => Answer::Yes,
        Some(YesNoUnsure::Unsure) => Answer::Unsure,
        _ => Answer::No,
    }
}

fn has<T: PartialEq>(list: &Option<Vec<T>>, item: T) -> bool {
    list.as_ref().is_some_and(|l| l.contains(&item))
}

fn any_of<T: PartialEq>(list: &Option<Vec<T>>, items: &[T]) -> bool {
    list.as_ref().is_some_and(|l| l.iter().any(|x| items.contains(x)))
}

const KETAMINE_NAMES: [&str; 5] = ["ketamine", "esketamine", "ketalar", "spravato", "arketamine"];

/// Builds the checklist's input from a complete intake.
pub fn safety_facts(s: &Sections) -> SafetyFacts {
    let mut f = Facts::default();
    let mut facts = SafetyFacts::default();
    if let Some(m) = &s.medical_history {
        medical(&mut f, &mut facts, m);
    }
    if let Some(l) = &s.logistics {
        let escort_adult = l.escort.as_ref().and_then(|e| e.is_adult);
        f.yes(
            Check::NoAdultEscort,
            escort_adult == Some(false),
            "sections.logistics.escort.is_adult".into(),
        );
    }
    facts.findings = f.0;
    facts
}

fn medical(f: &mut Facts, facts: &mut SafetyFacts, m: &MedicalHistory) {
    // Cardiovascular: poorly controlled heart disease, recent events, heart failure,
    // uncontrolled hyperthyroidism (sympathomimetic).
    let cardiac = m
        .cardiac_conditions
        .as_ref()
        .is_some_and(|l| l.iter().any(|c| *c != CardiacCondition::None));
    if cardiac {
        let controlled = m.cardiac_condition_controlled;
        f.yes(
            Check::CardiovascularDisease,
            controlled == Some(YesNoUnsure::No),
            path("cardiac_condition_controlled"),
        );
        f.unsure(
            Check::CardiovascularDisease,
            controlled == Some(YesNoUnsure::Unsure),
            path("cardiac_condition_controlled"),
        );
        f.add(
            Check::CardiovascularDisease,
            tri(m.cardiac_event_last_6_months),
            path("cardiac_event_last_6_months"),
        );
    }
    f.yes(
        Check::CardiovascularDisease,
        has(&m.cardiac_conditions, CardiacCondition::HeartFailure),
        path("cardiac_conditions"),
    );
    f.yes(
        Check::CardiovascularDisease,
        m.thyroid_status == Some(Thyroid::HyperthyroidUntreatedOrUncontrolled),
        path("thyroid_status"),
    );
    f.yes(
        Check::CardiovascularDisease,
        m.hypertension == Some(Hypertension::YesNotControlled),
        path("hypertension"),
    );
    if let Some(bp) = &m.last_blood_pressure
        && let (Some(systolic), Some(diastolic)) = (bp.systolic_mmhg, bp.diastolic_mmhg)
    {
        facts.blood_pressure = Some(BloodPressure {
            systolic,
            diastolic,
            path: path("last_blood_pressure"),
        });
    }
    use Cerebrovascular as Cv;
    f.yes(
        Check::VascularMalformation,
        any_of(
            &m.cerebrovascular_history,
            &[
                Cv::BrainBleed,
                Cv::BrainAneurysm,
                Cv::AorticOrOtherAneurysm,
                Cv::ArteriovenousMalformation,
            ],
        ),
        path("cerebrovascular_history"),
    );
    f.unsure(
        Check::VascularMalformation,
        has(&m.cerebrovascular_history, Cv::Unsure),
        path("cerebrovascular_history"),
    );

    f.yes(
        Check::SeizureDisorder,
        matches!(
            m.seizure_history,
            Some(SeizureHistory::EpilepsyControlled | SeizureHistory::SeizureWithin12Months)
        ),
        path("seizure_history"),
    );

    use IntracranialCondition as Ic;
    f.yes(
        Check::IntracranialPressure,
        any_of(
            &m.intracranial_pressure_conditions,
            &[
                Ic::BrainTumorOrMass,
                Ic::HydrocephalusOrShunt,
                Ic::IdiopathicIntracranialHypertension,
                Ic::BrainSurgeryLast6Months,
            ],
        ),
        path("intracranial_pressure_conditions"),
    );
    f.unsure(
        Check::IntracranialPressure,
        has(&m.intracranial_pressure_conditions, Ic::Unsure),
        path("intracranial_pressure_conditions"),
    );
    if !matches!(m.head_injury_history, None | Some(HeadInjury::None)) {
        f.add(
            Check::IntracranialPressure,
            tri(m.head_injury_recent),
            path("head_injury_recent"),
        );
    }
    f.yes(
        Check::IntracranialPressure,
        m.head_injury_history == Some(HeadInjury::SevereTbi),
        path("head_injury_history"),
    );

    f.yes(
        Check::IntraocularPressure,
        m.eye_pressure_condition
            .as_ref()
            .is_some_and(|l| l.iter().any(|e| !matches!(e, EyePressure::None | EyePressure::Unsure))),
        path("eye_pressure_condition"),
    );
    f.unsure(
        Check::IntraocularPressure,
        has(&m.eye_pressure_condition, EyePressure::Unsure),
        path("eye_pressure_condition"),
    );

    if let Some(l) = &m.liver_disease {
        let sev = match (l.kind, l.severity) {
            (None | Some(LiverType::None), _) => None,
            (Some(LiverType::Unsure), _) => Some(LiverSeverity::Unsure),
            (_, Some(LiverSeverityAnswer::SevereOrDecompensated)) => Some(LiverSeverity::Severe),
            (_, Some(LiverSeverityAnswer::Moderate)) => Some(LiverSeverity::Moderate),
            (_, Some(LiverSeverityAnswer::Mild)) => Some(LiverSeverity::Mild),
            (Some(LiverType::Cirrhosis), _) => Some(LiverSeverity::Moderate),
            _ => Some(LiverSeverity::Unknown),
        };
        facts.liver = sev.map(|s| (s, path("liver_disease")));
    }

    use UrinarySymptom as U;
    f.yes(
        Check::UrinarySymptoms,
        any_of(
            &m.lower_urinary_symptoms,
            &[
                U::Frequency,
                U::Urgency,
                U::PainfulUrination,
                U::BloodInUrine,
                U::BladderOrPelvicPain,
            ],
        ),
        path("lower_urinary_symptoms"),
    );
    f.yes(
        Check::UrinarySymptoms,
        any_of(
            &m.bladder_diagnoses,
            &[
                BladderDiagnosis::InterstitialCystitis,
                BladderDiagnosis::KetamineCystitis,
            ],
        ),
        path("bladder_diagnoses"),
    );

    // Psychiatric.
    f.yes(
        Check::ActivePsychosis,
        m.psychosis_history == Some(PsychosisHistory::CurrentOrWithin12Months),
        path("psychosis_history"),
    );
    f.unsure(
        Check::PsychosisHistory,
        m.psychosis_history == Some(PsychosisHistory::Unsure),
        path("psychosis_history"),
    );
    f.yes(
        Check::PsychosisHistory,
        matches!(
            m.psychosis_history,
            Some(PsychosisHistory::PastEpisode | PsychosisHistory::SubstanceInducedOnly)
        ),
        path("psychosis_history"),
    );
    use PsychiatricDiagnosis as Pd;
    f.yes(
        Check::PsychosisHistory,
        any_of(
            &m.psychiatric_diagnoses,
            &[
                Pd::Schizophrenia,
                Pd::Schizoaffective,
                Pd::DelusionalDisorder,
                Pd::OtherPsychotic,
                Pd::BipolarI,
            ],
        ),
        path("psychiatric_diagnoses"),
    );
    f.yes(
        Check::PsychosisHistory,
        matches!(
            m.mania_hypomania_history,
            Some(ManiaHistory::PastEpisode | ManiaHistory::CurrentOrWithin12Months)
        ),
        path("mania_hypomania_history"),
    );
    f.unsure(
        Check::PsychosisHistory,
        m.mania_hypomania_history == Some(ManiaHistory::Unsure),
        path("mania_hypomania_history"),
    );

    // Substance use.
    f.yes(
        Check::ActiveSubstanceUse,
        m.substance_use_disorder == Some(SubstanceUseDisorder::Current),
        path("substance_use_disorder"),
    );
    f.unsure(
        Check::ActiveSubstanceUse,
        m.substance_use_disorder == Some(SubstanceUseDisorder::Unsure),
        path("substance_use_disorder"),
    );
    f.yes(
        Check::ActiveSubstanceUse,
        any_of(
            &m.stimulant_use,
            &[
                StimulantUse::Cocaine,
                StimulantUse::Methamphetamine,
                StimulantUse::NonprescribedAmphetamine,
            ],
        ),
        path("stimulant_use"),
    );
    use OtherSubstance as Os;
    f.yes(
        Check::ActiveSubstanceUse,
        any_of(
            &m.other_substance_use,
            &[
                Os::NonprescribedOpioids,
                Os::HeroinOrFentanyl,
                Os::NonprescribedBenzodiazepines,
                Os::Ghb,
                Os::Inhalants,
            ],
        ),
        path("other_substance_use"),
    );
    f.yes(
        Check::ActiveSubstanceUse,
        m.nonmedical_ketamine_use == Some(NonmedicalKetamine::Current),
        path("nonmedical_ketamine_use"),
    );
    f.yes(
        Check::PriorKetamineMisuse,
        matches!(
            m.nonmedical_ketamine_use,
            Some(NonmedicalKetamine::PastOnly | NonmedicalKetamine::Within12Months | NonmedicalKetamine::Current)
        ),
        path("nonmedical_ketamine_use"),
    );
    f.yes(
        Check::StimulantUse,
        has(&m.stimulant_use, StimulantUse::PrescribedAdhdStimulant),
        path("stimulant_use"),
    );

    // Pregnancy.
    f.yes(
        Check::Pregnancy,
        m.pregnancy_status == Some(Pregnancy::Pregnant),
        path("pregnancy_status"),
    );
    f.unsure(
        Check::Pregnancy,
        m.pregnancy_status == Some(Pregnancy::Unsure),
        path("pregnancy_status"),
    );
    f.yes(
        Check::Breastfeeding,
        m.breastfeeding == Some(Breastfeeding::Yes),
        path("breastfeeding"),
    );

    // Allergies.
    for (i, a) in m.allergies.iter().flatten().enumerate() {
        let words = a.substance.as_deref().map(text::tokens).unwrap_or_default();
        f.yes(
            Check::KetamineAllergy,
            words.iter().any(|w| KETAMINE_NAMES.contains(&w.as_str())),
            path(&format!("allergies[{i}].substance")),
        );
    }
    f.unsure(
        Check::KetamineAllergy,
        m.allergy_status == Some(AllergyStatus::Unsure),
        path("allergy_status"),
    );

    // Medications and opioids.
    facts.medications = m
        .current_medications
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, med)| {
            med.name
                .clone()
                .map(|n| (n, path(&format!("current_medications[{i}].name"))))
        })
        .collect();
    facts.opioids = m
        .opioids
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, o)| {
            let drug = o.drug?;
            let daily = match drug {
                Opioid::FentanylTransdermal => o.patch_mcg_per_hour?,
                _ => o.dose_mg? * o.doses_per_day?,
            };
            let name = o.name.clone().unwrap_or_else(|| {
                serde_json::to_value(drug)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            });
            Some(OpioidDose {
                drug,
                name,
                daily_dose: daily,
                path: path(&format!("opioids[{i}]")),
            })
        })
        .collect();
}
