//! Every checklist flag, the BP threshold, MME and buprenorphine flags, and the eligibility rule.

use super::*;
use crate::screening::instruments::InstrumentCode;
use crate::screening::mme::Opioid;

#[test]
fn eligibility_statuses_are_stored_by_their_wire_names() {
    for s in [
        EligibilityStatus::NoConcernsFound,
        EligibilityStatus::ClinicianReviewRequired,
        EligibilityStatus::UrgentReviewRequired,
    ] {
        assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
    }
}

fn codes(a: &Assessment) -> Vec<(&str, Severity)> {
    a.flags.iter().map(|f| (f.code.as_str(), f.severity)).collect()
}

fn one(check: Check, answer: Answer) -> Assessment {
    let facts = SafetyFacts {
        findings: vec![(check, answer, vec!["sections.medical_history.q".into()])],
        ..Default::default()
    };
    assess(&facts, &[], &Cutoffs::default())
}

#[test]
fn every_checklist_question_raises_its_flag() {
    use Check::*;
    let table = [
        (
            CardiovascularDisease,
            "cardiovascular_disease",
            Severity::Warning,
            Source::G,
        ),
        (
            VascularMalformation,
            "vascular_malformation",
            Severity::Warning,
            Source::L,
        ),
        (Pregnancy, "pregnancy", Severity::Warning, Source::G),
        (Breastfeeding, "breastfeeding", Severity::Warning, Source::L),
        (ActivePsychosis, "active_psychosis", Severity::Urgent, Source::G),
        (PsychosisHistory, "psychosis_history", Severity::Warning, Source::G),
        (
            IntracranialPressure,
            "elevated_intracranial_pressure",
            Severity::Warning,
            Source::G,
        ),
        (
            IntraocularPressure,
            "elevated_intraocular_pressure",
            Severity::Warning,
            Source::G,
        ),
        (ActiveSubstanceUse, "active_substance_use", Severity::Warning, Source::G),
        (
            PriorKetamineMisuse,
            "prior_ketamine_misuse",
            Severity::Warning,
            Source::P,
        ),
        (
            UrinarySymptoms,
            "possible_ketamine_uropathy",
            Severity::Warning,
            Source::L,
        ),
        (StimulantUse, "bp_monitoring_interaction", Severity::Warning, Source::L),
        (SeizureDisorder, "seizure_disorder", Severity::Info, Source::P),
        (KetamineAllergy, "ketamine_allergy", Severity::Urgent, Source::L),
        (NoAdultEscort, "no_adult_escort", Severity::Warning, Source::P),
    ];
    for (check, code, severity, source) in table {
        let a = one(check, Answer::Yes);
        assert_eq!(codes(&a), vec![(code, severity)], "{check:?}");
        assert_eq!(a.flags[0].source, source);
        assert_eq!(a.flags[0].triggered_by, vec!["sections.medical_history.q"]);
        assert!(one(check, Answer::No).flags.is_empty(), "{check:?}");
    }
}

#[test]
fn unsure_goes_to_the_clinician() {
    let a = one(Check::IntraocularPressure, Answer::Unsure);
    assert_eq!(codes(&a), vec![("safety_answer_unsure", Severity::Warning)]);
    assert_eq!(a.eligibility.status, EligibilityStatus::ClinicianReviewRequired);
    // Possibly pregnant is the pregnancy flag itself.
    assert_eq!(
        codes(&one(Check::Pregnancy, Answer::Unsure)),
        vec![("pregnancy", Severity::Warning)]
    );
}

#[test]
fn liver_severity() {
    let liver = |sev| {
        let facts = SafetyFacts {
            liver: Some((sev, "p".into())),
            ..Default::default()
        };
        codes(&assess(&facts, &[], &Cutoffs::default()))
            .into_iter()
            .map(|(c, _)| c.to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(liver(LiverSeverity::Severe), vec!["severe_hepatic_disease"]);
    assert_eq!(liver(LiverSeverity::Moderate), vec!["hepatic_disease"]);
    assert_eq!(liver(LiverSeverity::Unknown), vec!["hepatic_disease"]);
    assert!(liver(LiverSeverity::Mild).is_empty());
    assert_eq!(liver(LiverSeverity::Unsure), vec!["safety_answer_unsure"]);
}

#[test]
fn blood_pressure_threshold_is_strictly_above_and_configurable() {
    let bp = |s, d, cut: &Cutoffs| {
        let facts = SafetyFacts {
            blood_pressure: Some(BloodPressure {
                systolic: s,
                diastolic: d,
                path: "bp".into(),
            }),
            ..Default::default()
        };
        assess(&facts, &[], cut)
            .flags
            .iter()
            .any(|f| f.code == "bp_above_threshold")
    };
    let c = Cutoffs::default();
    assert!(!bp(140, 90, &c));
    assert!(bp(141, 80, &c));
    assert!(bp(120, 91, &c));
    let strict = Cutoffs {
        bp_systolic: 130,
        bp_diastolic: 80,
        ..c
    };
    assert!(bp(135, 75, &strict));
    let a = assess(
        &SafetyFacts {
            blood_pressure: Some(BloodPressure {
                systolic: 150,
                diastolic: 95,
                path: "bp".into(),
            }),
            ..Default::default()
        },
        &[],
        &c,
    );
    assert_eq!(a.flags[0].source, Source::LP);
    assert!(a.flags[0].message.contains("150/95"));
}

#[test]
fn medication_classes() {
    let meds = |names: &[&str]| {
        let facts = SafetyFacts {
            medications: names
                .iter()
                .enumerate()
                .map(|(i, n)| ((*n).to_owned(), format!("meds[{i}]")))
                .collect(),
            ..Default::default()
        };
        assess(&facts, &[], &Cutoffs::default())
    };
    let a = meds(&["sertraline", "Adderall XR", "phenelzine"]);
    assert_eq!(codes(&a), vec![("bp_monitoring_interaction", Severity::Warning)]);
    assert_eq!(a.flags[0].triggered_by, vec!["meds[1]", "meds[2]"]);
    let a = meds(&["Suboxone"]);
    assert_eq!(codes(&a), vec![("buprenorphine_present", Severity::Info)]);
    assert!(meds(&["gabapentin", "duloxetine"]).flags.is_empty());
}

#[test]
fn opioid_load() {
    let facts = |daily: f64| SafetyFacts {
        opioids: vec![OpioidDose {
            drug: Opioid::Morphine,
            name: "morphine".into(),
            daily_dose: daily,
            path: "op[0]".into(),
        }],
        ..Default::default()
    };
    let a = assess(&facts(50.0), &[], &Cutoffs::default());
    assert_eq!(codes(&a), vec![("high_opioid_dose", Severity::Info)]);
    assert_eq!(a.mme.total_mme_per_day, 50.0);
    // Info does not change the status.
    assert_eq!(a.eligibility.status, EligibilityStatus::NoConcernsFound);
    assert_eq!(a.eligibility.info_codes, vec!["high_opioid_dose"]);
    assert!(assess(&facts(49.9), &[], &Cutoffs::default()).flags.is_empty());
    let bup = SafetyFacts {
        opioids: vec![OpioidDose {
            drug: Opioid::Buprenorphine,
            name: "Belbuca".into(),
            daily_dose: 0.6,
            path: "op[0]".into(),
        }],
        ..Default::default()
    };
    let a = assess(&bup, &[], &Cutoffs::default());
    assert_eq!(codes(&a), vec![("buprenorphine_present", Severity::Info)]);
    assert_eq!(a.mme.total_mme_per_day, 0.0);
}

#[test]
fn eligibility_follows_the_most_severe_flag_and_instrument_flags_count() {
    let none = assess(&SafetyFacts::default(), &[], &Cutoffs::default());
    assert_eq!(none.eligibility.status, EligibilityStatus::NoConcernsFound);
    assert!(none.eligibility.flag_codes.is_empty());

    let mut phq9 = ScoreResult::new(InstrumentCode::Phq9, "1.0", "PHQ9-Kroenke2001");
    phq9.flags.push(Flag::new(
        "suicidal_ideation",
        Severity::Urgent,
        Source::G,
        "x",
        vec!["s.phq9.9".into()],
    ));
    let facts = SafetyFacts {
        findings: vec![
            (Check::SeizureDisorder, Answer::Yes, vec!["a".into()]),
            (Check::Breastfeeding, Answer::Yes, vec!["b".into()]),
        ],
        ..Default::default()
    };
    let a = assess(&facts, &[phq9], &Cutoffs::default());
    assert_eq!(a.eligibility.status, EligibilityStatus::UrgentReviewRequired);
    assert_eq!(a.eligibility.flag_codes, vec!["suicidal_ideation", "breastfeeding"]);
    assert_eq!(a.eligibility.info_codes, vec!["seizure_disorder"]);
    assert_eq!(codes(&a)[0], ("suicidal_ideation", Severity::Urgent));
    assert!(a.eligibility.note.contains("clinician"));
}
