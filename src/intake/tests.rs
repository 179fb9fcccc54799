//! Unit tests of the pure intake logic (completeness, the submit check, triage, rescoring with
//! exam findings, the worklist index) on the fixtures the integration tests submit through HTTP.

use serde_json::{Value, json};

use super::rescore::{Results, rescore};
use super::sections::Sections;
use super::submit::{check, missing};
use super::triage::safety_facts;
use super::worklist_index::WorklistIndex;
use super::{completeness, consent};
use crate::screening::instruments::InstrumentCode;
use crate::screening::model::Cutoffs;
use crate::screening::policy::{Exam, ScreeningConfig};
use crate::screening::safety::Check;

const FIXTURES: [&str; 4] = ["fibromyalgia", "crps", "neuropathic", "postoperative"];

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("fixture JSON")
}

fn sections_of(doc: &Value) -> Sections {
    serde_json::from_value(doc["sections"].clone()).expect("fixture sections")
}

/// The clinic's defaults (the fixtures are answered for them: no DN4).
fn cfg() -> ScreeningConfig {
    ScreeningConfig {
        enabled: crate::screening::policy::default_enabled(),
        cutoffs: Cutoffs::default(),
    }
}

/// (field, code) of every issue, in the order reported.
fn fields(issues: &[crate::validation::FieldIssue]) -> Vec<(String, String)> {
    issues.iter().map(|i| (i.field.clone(), i.code.clone())).collect()
}

fn without(doc: &Value, pointer: &str) -> Sections {
    let mut doc = doc.clone();
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer with a parent");
    doc.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .expect("parent object")
        .remove(key);
    sections_of(&doc)
}

#[test]
fn every_fixture_is_complete_and_scores_as_expected() {
    for name in FIXTURES {
        let doc = fixture(name);
        let sections = sections_of(&doc);
        assert_eq!(missing(&sections, &cfg()), vec![], "{name}");
        let Results { scores, assessment } = check(&sections, None, &cfg()).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let expected = &doc["expected"];
        for (code, want) in expected["scores"].as_object().unwrap() {
            let got = serde_json::to_value(&scores[&InstrumentCode::parse(code).unwrap()]).unwrap();
            for (field, value) in want.as_object().unwrap() {
                assert_eq!(&got[field], value, "{name} {code}.{field}");
            }
        }
        let codes: Vec<&str> = assessment.flags.iter().map(|f| f.code.as_str()).collect();
        for code in expected["flag_codes"].as_array().unwrap() {
            assert!(
                codes.contains(&code.as_str().unwrap()),
                "{name}: {code} not in {codes:?}"
            );
        }
        assert_eq!(json!(assessment.eligibility.status), expected["eligibility"], "{name}");
        assert_eq!(json!(assessment.mme.total_mme_per_day), expected["mme"], "{name}");
    }
}

#[test]
fn completeness_names_every_missing_field() {
    let doc = fixture("fibromyalgia");
    let issues = completeness::missing(
        &without(&doc, "/sections/demographics/weight_kg"),
        consent::CURRENT_VERSION,
    );
    assert_eq!(
        fields(&issues),
        vec![("sections.demographics.weight_kg".into(), "required".into())]
    );
    assert_eq!(issues[0].message, "weight is required for dosing (mg/kg)");

    let issues = completeness::missing(&without(&doc, "/sections/logistics"), consent::CURRENT_VERSION);
    assert_eq!(fields(&issues), vec![("sections.logistics".into(), "required".into())]);

    let mut declined = doc.clone();
    declined["sections"]["consent"]["accepted"] = json!(false);
    declined["sections"]["consent"]["acknowledgements"]["privacy_notice"] = json!(false);
    let issues = completeness::missing(&sections_of(&declined), consent::CURRENT_VERSION);
    assert_eq!(
        fields(&issues),
        vec![
            ("sections.consent.accepted".into(), "must_be_true".into()),
            (
                "sections.consent.acknowledgements.privacy_notice".into(),
                "must_be_true".into()
            ),
        ]
    );

    // A consent signed on an older text is outdated, not accepted.
    let issues = completeness::missing(&sections_of(&doc), "2099-01-01");
    assert_eq!(
        fields(&issues),
        vec![("sections.consent.consent_version".into(), "outdated".into())]
    );
    assert!(completeness::missing(&Sections::default(), consent::CURRENT_VERSION).len() >= 6);
}

#[test]
fn the_submit_check_lists_everything_at_once_sorted() {
    let doc = fixture("crps");
    let mut broken = doc.clone();
    let screenings = broken["sections"]["screenings"].as_object_mut().unwrap();
    // PC-PTSD-5 is positive, so the PCL-5 is required; CRPS requires the Budapest symptoms.
    screenings.remove("pcl5");
    screenings.remove("crps_budapest");
    screenings.insert("phq9".into(), json!({"1": 4}));
    broken["sections"]["demographics"]
        .as_object_mut()
        .unwrap()
        .remove("weight_kg");
    let issues = check(&sections_of(&broken), None, &cfg()).unwrap_err();
    let got = fields(&issues);
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(got, sorted, "issues are sorted by path");
    for want in [
        ("sections.demographics.weight_kg", "required"),
        ("sections.screenings.crps_budapest", "required"),
        ("sections.screenings.pcl5", "required"),
        ("sections.screenings.phq9.1", "out_of_range"),
        ("sections.screenings.phq9.2", "required"),
    ] {
        assert!(got.contains(&(want.0.into(), want.1.into())), "{want:?} not in {got:?}");
    }
    // A draft's `missing` is the same list.
    assert_eq!(fields(&missing(&sections_of(&broken), &cfg())), got);
}

#[test]
fn clinician_parts_are_refused_as_answers() {
    let mut doc = fixture("crps");
    doc["sections"]["screenings"]["crps_budapest"]["signs"] =
        json!({"sensory": true, "vasomotor": true, "sudomotor_edema": false, "motor_trophic": false});
    let issues = check(&sections_of(&doc), None, &cfg()).unwrap_err();
    assert_eq!(
        fields(&issues),
        vec![(
            "sections.screenings.crps_budapest.signs".into(),
            "clinician_only".into()
        )]
    );
}

#[test]
fn exam_findings_complete_the_budapest_criteria_and_stale_ones_are_ignored() {
    let sections = sections_of(&fixture("crps"));
    let pending = rescore(&sections, None, &cfg()).unwrap();
    let crps = &pending.scores[&InstrumentCode::CrpsBudapest];
    assert_eq!(crps.result.as_deref(), Some("pending_clinician_exam"));

    let mut exam = Exam::new();
    exam.insert(
        "crps_budapest".into(),
        json!({"signs": {"sensory": true, "vasomotor": true, "sudomotor_edema": false, "motor_trophic": false},
               "other_diagnosis_explains": false}),
    );
    // Findings for an instrument the patient does not answer (any more) change nothing.
    exam.insert(
        "dn4".into(),
        json!({"exam": {"hypoesthesia_touch": true, "hypoesthesia_pinprick": true, "brushing": true}}),
    );
    let examined = rescore(&sections, Some(&exam), &cfg()).unwrap();
    let crps = &examined.scores[&InstrumentCode::CrpsBudapest];
    assert_eq!(crps.result.as_deref(), Some("met"));
    assert_eq!(crps.subscales["sign_categories"], 2);
    assert!(!examined.scores.contains_key(&InstrumentCode::Dn4));
    // Every other score is what the submit computed.
    for (code, score) in &pending.scores {
        if *code != InstrumentCode::CrpsBudapest {
            assert_eq!(&examined.scores[code], score, "{code}");
        }
    }
}

#[test]
fn triage_keeps_the_paths_behind_each_fact() {
    let mut doc = fixture("postoperative");
    doc["sections"]["logistics"]["escort"]["is_adult"] = json!(false);
    let facts = safety_facts(&sections_of(&doc));
    let escort: Vec<_> = facts
        .findings
        .iter()
        .filter(|(check, _, _)| *check == Check::NoAdultEscort)
        .collect();
    assert_eq!(escort.len(), 1);
    assert_eq!(escort[0].2, vec!["sections.logistics.escort.is_adult".to_owned()]);

    let fibro = safety_facts(&sections_of(&fixture("fibromyalgia")));
    let bp = fibro
        .blood_pressure
        .expect("the fibromyalgia fixture reports a blood pressure");
    assert_eq!(bp.path, "sections.medical_history.last_blood_pressure");
    assert!(!fibro.opioids.is_empty());
    assert!(safety_facts(&Sections::default()).findings.is_empty());
}

#[test]
fn results_applied_to_a_row_are_what_a_submit_stores() {
    let sections = sections_of(&fixture("crps"));
    let results = check(&sections, None, &cfg()).unwrap();
    let mut row = super::repo::IntakeRow::draft(
        crate::ids::IntakeId::new(),
        crate::ids::PatientId::new(),
        crate::ids::UserId::new(),
        false,
        sections.to_json().unwrap(),
        crate::clock::now(),
    );
    let index = super::rescore::apply(&mut row, &sections, &results).unwrap();
    assert_eq!(row.scores.as_ref().unwrap().get().unwrap(), results.scores);
    assert_eq!(row.assessment.as_ref().unwrap().get().unwrap(), results.assessment);
    assert_eq!(row.top_severity, Some(index.top_severity));
    assert_eq!(row.pain_types.as_deref(), Some("crps"));
    assert_eq!(row.eligibility.as_deref(), Some("urgent_review_required"));
    assert_eq!(row.phq9_total, Some(16));
    assert_eq!(
        row.flag_codes.as_deref().map(|c| c.split(',').count()),
        Some(results.assessment.flags.len())
    );
}

#[test]
fn the_worklist_index_summarises_the_results() {
    let sections = sections_of(&fixture("crps"));
    let Results { scores, assessment } = check(&sections, None, &cfg()).unwrap();
    let index = WorklistIndex::of(&sections, &scores, &assessment);
    assert_eq!(index.pain_types, vec!["crps"]);
    assert_eq!(index.top_severity, 3, "suicidal ideation is urgent");
    assert_eq!(index.eligibility, "urgent_review_required");
    assert_eq!(index.phq9_total, Some(16));
    assert_eq!(index.gad7_total, Some(11));
    assert_eq!(index.pain_average, Some(7));
    assert_eq!(index.crps_result.as_deref(), Some("pending_clinician_exam"));
    assert_eq!(index.fm_result, None);
    // One child row per flag code, sorted; the summary keeps every code, most severe first.
    let mut codes: Vec<&str> = index.flags.iter().map(|f| f.0.as_str()).collect();
    let sorted = {
        let mut c = codes.clone();
        c.sort_unstable();
        c.dedup();
        c
    };
    assert_eq!(codes, sorted);
    codes.retain(|c| *c == "suicidal_ideation");
    assert_eq!(codes.len(), 1);
    assert_eq!(index.flag_codes.first().map(String::as_str), Some("suicidal_ideation"));
    assert!(index.flags.contains(&("high_opioid_dose".into(), 1)));

    let quiet = sections_of(&fixture("postoperative"));
    let Results { scores, assessment } = check(&quiet, None, &cfg()).unwrap();
    let index = WorklistIndex::of(&quiet, &scores, &assessment);
    assert_eq!((index.top_severity, index.flags.len()), (0, 0));
    assert_eq!(index.eligibility, "no_concerns_found");
    assert_eq!(index.pain_types, vec!["postoperative"]);
}
