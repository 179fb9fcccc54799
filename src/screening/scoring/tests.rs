//! Every band boundary on both sides, every decision rule's edge, every skip rule.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::screening::catalogue::{self, CATALOGUE};
use crate::screening::instruments::VERSION;
use crate::screening::instruments::fm2016::WPI_AREAS;
use crate::screening::model::Severity;
use crate::screening::policy::{self, ScreeningConfig};

/// Scores by code text, as these tests name instruments: the code goes through the policy that
/// guards scoring (an unknown code is an issue at `prefix`).
fn score(code: &str, answers: &Value, prefix: &str, c: &Cutoffs) -> Scored {
    let every = ScreeningConfig {
        enabled: InstrumentCode::ALL.to_vec(),
        cutoffs: *c,
    };
    let instrument = policy::allowed(code, prefix, &every).map_err(|issue| vec![issue])?;
    super::score(instrument, answers, prefix, c)
}

fn c() -> Cutoffs {
    Cutoffs::default()
}

fn ok(code: &str, answers: Value) -> ScoreResult {
    score(code, &answers, "answers", &c()).unwrap_or_else(|e| panic!("{code}: {e:?}"))
}

fn issues(code: &str, answers: Value) -> Vec<(String, String)> {
    score(code, &answers, "answers", &c())
        .unwrap_err()
        .into_iter()
        .map(|i| (i.field, i.code))
        .collect()
}

fn total(s: &ScoreResult) -> f64 {
    s.total.as_ref().and_then(|n| n.as_f64()).unwrap()
}

/// Items "1".."n" spreading `sum` over them, each at most `max`.
fn spread(n: usize, max: i64, sum: i64) -> Value {
    let mut left = sum;
    let mut m = serde_json::Map::new();
    for i in 1..=n {
        let v = left.min(max);
        left -= v;
        m.insert(i.to_string(), json!(v));
    }
    assert_eq!(left, 0, "sum too large");
    Value::Object(m)
}

#[test]
fn phq9_bands_on_both_sides_of_every_boundary() {
    let cases = [
        (0, "minimal", false),
        (4, "minimal", false),
        (5, "mild", false),
        (9, "mild", false),
        (10, "moderate", true),
        (14, "moderate", true),
        (15, "moderately_severe", true),
        (19, "moderately_severe", true),
        (20, "severe", true),
        (27, "severe", true),
    ];
    for (sum, band, positive) in cases {
        // Keep item 9 at 0 unless the sum needs it.
        let s = ok("phq9", spread(9, 3, sum));
        assert_eq!(total(&s), sum as f64);
        assert_eq!(s.band.as_deref(), Some(band), "total {sum}");
        assert_eq!(s.positive, Some(positive), "total {sum}");
    }
}

#[test]
fn phq2_and_item9() {
    let s = ok(
        "phq9",
        json!({"1": 1, "2": 1, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0, "8": 0, "9": 0}),
    );
    assert_eq!(s.subscales["phq2"], 2);
    assert_eq!(s.subscales["phq2_positive"], false);
    assert!(s.flags.is_empty());
    let s = ok(
        "phq9",
        json!({"1": 2, "2": 1, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0, "8": 0, "9": 1, "10": 2}),
    );
    assert_eq!(s.subscales["phq2_positive"], true);
    assert_eq!(s.subscales["difficulty"], 2);
    assert_eq!(s.flags.len(), 1);
    assert_eq!(s.flags[0].code, "suicidal_ideation");
    assert_eq!(s.flags[0].severity, Severity::Urgent);
    assert_eq!(s.flags[0].triggered_by, vec!["answers.9"]);
    assert_eq!(s.cutoffs["positive"], 10);
    assert_eq!(s.rule_set, "PHQ9-Kroenke2001");
    // A sensitive PHQ-2 cut-off is recorded on the result.
    let sensitive = Cutoffs {
        phq2_positive: 2,
        ..c()
    };
    let s = score(
        "phq9",
        &json!({"1": 1, "2": 1, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0, "8": 0, "9": 0}),
        "a",
        &sensitive,
    )
    .unwrap();
    assert_eq!(s.subscales["phq2_positive"], true);
    assert_eq!(s.cutoffs["phq2_positive"], 2);
}

#[test]
fn phq9_invalid_answers_name_every_item() {
    let got = issues(
        "phq9",
        json!({"1": 4, "2": -1, "3": "2", "4": 1, "5": 1, "6": 1, "7": 1, "8": 1, "10": 9, "11": 0}),
    );
    assert_eq!(
        got,
        vec![
            ("answers.1".into(), "out_of_range".into()),
            ("answers.2".into(), "out_of_range".into()),
            ("answers.3".into(), "invalid_type".into()),
            ("answers.9".into(), "required".into()),
            ("answers.10".into(), "out_of_range".into()),
            ("answers.11".into(), "unknown_item".into()),
        ]
    );
}

#[test]
fn gad7_bands_and_gad2() {
    for (sum, band, positive) in [
        (4, "minimal", false),
        (5, "mild", false),
        (9, "mild", false),
        (10, "moderate", true),
        (14, "moderate", true),
        (15, "severe", true),
        (21, "severe", true),
    ] {
        let s = ok("gad7", spread(7, 3, sum));
        assert_eq!(s.band.as_deref(), Some(band), "{sum}");
        assert_eq!(s.positive, Some(positive), "{sum}");
    }
    let s = ok("gad7", json!({"1": 2, "2": 0, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0}));
    assert_eq!(s.subscales["gad2_positive"], false);
    let s = ok("gad7", json!({"1": 2, "2": 1, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0}));
    assert_eq!(s.subscales["gad2_positive"], true);
}

#[test]
fn pc_ptsd5_gate_and_cutoff() {
    let s = ok("pc_ptsd5", json!({"trauma_exposure": false}));
    assert_eq!((total(&s), s.positive), (0.0, Some(false)));
    let got = issues("pc_ptsd5", json!({"trauma_exposure": false, "1": true}));
    assert_eq!(got, vec![("answers.1".into(), "not_applicable".into())]);
    let got = issues("pc_ptsd5", json!({"trauma_exposure": true, "1": true}));
    assert_eq!(got.iter().filter(|(_, c)| c == "required").count(), 4);
    let two = ok(
        "pc_ptsd5",
        json!({"trauma_exposure": true, "1": true, "2": true, "3": false, "4": false, "5": false}),
    );
    assert_eq!((total(&two), two.positive), (2.0, Some(false)));
    let three = ok(
        "pc_ptsd5",
        json!({"trauma_exposure": true, "1": true, "2": true, "3": true, "4": false, "5": false}),
    );
    assert_eq!((total(&three), three.positive), (3.0, Some(true)));
    let strict = Cutoffs {
        pc_ptsd5_positive: 4,
        ..c()
    };
    let s = score(
        "pc_ptsd5",
        &json!({"trauma_exposure": true, "1": true, "2": true, "3": true, "4": false, "5": false}),
        "a",
        &strict,
    )
    .unwrap();
    assert_eq!(s.positive, Some(false));
    assert_eq!(
        issues("pc_ptsd5", json!({})),
        vec![("answers.trauma_exposure".into(), "required".into())]
    );
}

#[test]
fn pcl5_cutoff_clusters_and_dsm5_rule() {
    let s = ok("pcl5", spread(20, 4, 32));
    assert_eq!(s.positive, Some(false));
    let s = ok("pcl5", spread(20, 4, 33));
    assert_eq!(s.positive, Some(true));
    assert_eq!(s.band, None);
    // DSM-5 rule: B 1, C 1, D 2, E 2 items at 2 or more.
    let mut a = serde_json::Map::new();
    for i in 1..=20 {
        a.insert(i.to_string(), json!(0));
    }
    for i in [1, 6, 8, 9, 15, 16] {
        a.insert(i.to_string(), json!(2));
    }
    let s = ok("pcl5", Value::Object(a.clone()));
    assert_eq!(s.subscales["dsm5_rule_met"], true);
    assert_eq!(s.subscales["cluster_b"], 2);
    assert_eq!(s.subscales["cluster_c"], 2);
    assert_eq!(s.subscales["cluster_d"], 4);
    assert_eq!(s.subscales["cluster_e"], 4);
    // One D item short (a 1 does not count).
    a.insert("9".into(), json!(1));
    assert_eq!(ok("pcl5", Value::Object(a.clone())).subscales["dsm5_rule_met"], false);
    a.insert("9".into(), json!(2));
    a.insert("6".into(), json!(1));
    assert_eq!(ok("pcl5", Value::Object(a)).subscales["dsm5_rule_met"], false);
}

#[test]
fn asq_results_and_item5_rule() {
    let neg = ok("asq", json!({"1": "no", "2": "no", "3": "no", "4": "no"}));
    assert_eq!((neg.result.as_deref(), neg.positive), (Some("negative"), Some(false)));
    assert!(neg.flags.is_empty());
    assert_eq!(
        issues("asq", json!({"1": "no", "2": "no", "3": "no", "4": "no", "5": "no"})),
        vec![("answers.5".into(), "not_applicable".into())]
    );
    // Refusing counts as yes, and then item 5 is required.
    assert_eq!(
        issues("asq", json!({"1": "refused", "2": "no", "3": "no", "4": "no"})),
        vec![("answers.5".into(), "required".into())]
    );
    let non = ok(
        "asq",
        json!({"1": "refused", "2": "no", "3": "no", "4": "no", "5": "no"}),
    );
    assert_eq!(non.result.as_deref(), Some("nonacute_positive"));
    assert_eq!(non.flags[0].code, "suicide_risk_nonacute");
    assert_eq!(non.flags[0].severity, Severity::Warning);
    let acute = ok("asq", json!({"1": "no", "2": "no", "3": "no", "4": "yes", "5": "yes"}));
    assert_eq!(acute.result.as_deref(), Some("acute_positive"));
    assert_eq!(acute.flags[0].code, "suicide_risk_acute");
    assert_eq!(acute.flags[0].severity, Severity::Urgent);
    assert_eq!(acute.flags[0].triggered_by, vec!["answers.4", "answers.5"]);
    assert_eq!(
        issues("asq", json!({"1": "maybe", "2": "no", "3": "no", "4": "no"})),
        vec![("answers.1".into(), "invalid_value".into())]
    );
}

#[test]
fn pain_nrs_bands() {
    for (v, band) in [
        (0, "none"),
        (1, "mild"),
        (4, "mild"),
        (5, "moderate"),
        (6, "moderate"),
        (7, "severe"),
        (10, "severe"),
    ] {
        let s = ok("pain_nrs", json!({"now": v, "average": v, "worst": 10}));
        assert_eq!(s.band.as_deref(), Some(band), "{v}");
        assert_eq!(s.subscales["now_band"], band);
        assert_eq!(total(&s), v as f64);
    }
    assert_eq!(
        issues("pain_nrs", json!({"now": 11, "average": 5})),
        vec![
            ("answers.now".into(), "out_of_range".into()),
            ("answers.worst".into(), "required".into())
        ]
    );
}

#[test]
fn peg_is_a_rounded_mean() {
    assert_eq!(
        total(&ok("peg", json!({"pain": 5, "enjoyment": 6, "activity": 6}))),
        5.67
    );
    assert_eq!(
        total(&ok("peg", json!({"pain": 1, "enjoyment": 1, "activity": 2}))),
        1.33
    );
    assert_eq!(
        total(&ok("peg", json!({"pain": 10, "enjoyment": 10, "activity": 10}))),
        10.0
    );
    assert_eq!(
        total(&ok("peg", json!({"pain": 0, "enjoyment": 0, "activity": 1}))),
        0.33
    );
    assert_eq!(ok("peg", json!({"pain": 0, "enjoyment": 0, "activity": 1})).band, None);
}

fn fm(areas: &[&str], fatigue: i64, waking: i64, cognitive: i64, extras: [bool; 3], months: i64) -> ScoreResult {
    ok(
        "fm2016",
        json!({"painful_areas": areas, "fatigue": fatigue, "waking_unrefreshed": waking, "cognitive": cognitive,
               "headaches": extras[0], "lower_abdominal_pain": extras[1], "depression": extras[2],
               "symptom_duration_months": months}),
    )
}

/// One area in each of the five regions, none starred.
const FIVE_REGIONS: [&str; 5] = [
    "shoulder_girdle_left",
    "upper_arm_right",
    "hip_left",
    "lower_leg_right",
    "neck",
];

#[test]
fn fm2016_wpi_sss_edges() {
    // WPI 7, SSS 5 → met; SSS 4 → not.
    let seven = [&FIVE_REGIONS[..], &["upper_back", "lower_back"]].concat();
    let s = fm(&seven, 2, 2, 1, [false; 3], 6);
    assert_eq!(
        (s.subscales["wpi"].clone(), s.subscales["sss"].clone()),
        (json!(7), json!(5))
    );
    assert_eq!(s.result.as_deref(), Some("met"));
    assert_eq!(fm(&seven, 2, 1, 1, [false; 3], 6).result.as_deref(), Some("not_met"));
    // WPI 4-6 needs SSS 9: 8 is not enough.
    let six = [&FIVE_REGIONS[..], &["upper_back"]].concat();
    assert_eq!(fm(&six, 3, 3, 2, [false; 3], 6).result.as_deref(), Some("not_met"));
    assert_eq!(
        fm(&six, 3, 3, 2, [true, false, false], 6).result.as_deref(),
        Some("met")
    );
    let four = ["shoulder_girdle_left", "upper_arm_right", "hip_left", "lower_leg_right"];
    assert_eq!(
        fm(&four, 3, 3, 2, [true, false, false], 6).result.as_deref(),
        Some("met")
    );
    // WPI 3 never meets, whatever the SSS.
    assert_eq!(fm(&four[..3], 3, 3, 3, [true; 3], 6).result.as_deref(), Some("not_met"));
}

#[test]
fn fm2016_generalized_pain_ignores_jaw_chest_abdomen() {
    // Three regions plus jaw (region 1/2), chest and abdomen (region 5): only 3 regions count.
    let areas = [
        "hip_left",
        "hip_right",
        "upper_arm_right",
        "jaw_left",
        "chest",
        "abdomen",
        "upper_leg_left",
    ];
    let s = fm(&areas, 3, 3, 3, [true; 3], 12);
    assert_eq!(s.subscales["wpi"], 7);
    assert_eq!(s.subscales["regions"], 3);
    assert_eq!(s.subscales["generalized_pain"], false);
    assert_eq!(s.result.as_deref(), Some("not_met"));
    let s = fm(&[&areas[..], &["neck"]].concat(), 3, 3, 3, [true; 3], 12);
    assert_eq!(s.subscales["regions"], 4);
    assert_eq!(s.result.as_deref(), Some("met"));
}

#[test]
fn fm2016_duration_and_severity_bands() {
    let seven = [&FIVE_REGIONS[..], &["upper_back", "lower_back"]].concat();
    assert_eq!(fm(&seven, 2, 2, 1, [false; 3], 2).result.as_deref(), Some("not_met"));
    assert_eq!(fm(&seven, 2, 2, 1, [false; 3], 3).result.as_deref(), Some("met"));
    let bands = [
        (3, "none"),
        (4, "mild"),
        (7, "mild"),
        (8, "moderate"),
        (11, "moderate"),
        (12, "severe"),
        (19, "severe"),
        (20, "very_severe"),
    ];
    let all: Vec<&str> = WPI_AREAS.iter().map(|a| a.0).collect();
    for (fs, band) in bands {
        let wpi = fs.min(19);
        let sss = fs - wpi;
        let s = fm(
            &all[..wpi as usize],
            sss.min(3),
            (sss - 3).clamp(0, 3),
            (sss - 6).clamp(0, 3),
            [sss > 9, sss > 10, sss > 11],
            12,
        );
        assert_eq!(s.subscales["fs"], fs, "{fs}");
        assert_eq!(s.band.as_deref(), Some(band), "{fs}");
    }
    let s = fm(&all, 3, 3, 3, [true; 3], 12);
    assert_eq!(
        (s.subscales["fs"].clone(), s.band.as_deref()),
        (json!(31), Some("very_severe"))
    );
}

#[test]
fn fm2016_rejects_bad_areas() {
    let got = issues(
        "fm2016",
        json!({"painful_areas": ["neck", "neck", "tail"], "fatigue": 1, "waking_unrefreshed": 1, "cognitive": 1,
        "headaches": true, "lower_abdominal_pain": false, "depression": false, "symptom_duration_months": -1}),
    );
    assert_eq!(
        got,
        vec![
            ("answers.painful_areas[1]".into(), "duplicate".into()),
            ("answers.painful_areas[2]".into(), "invalid_value".into()),
            ("answers.symptom_duration_months".into(), "out_of_range".into()),
        ]
    );
}

fn crps(dispro: bool, symptoms: [bool; 4], signs: Option<[bool; 4]>, other: Option<bool>) -> ScoreResult {
    let obj =
        |v: [bool; 4]| json!({"sensory": v[0], "vasomotor": v[1], "sudomotor_edema": v[2], "motor_trophic": v[3]});
    ok(
        "crps_budapest",
        json!({"disproportionate_pain": dispro, "symptoms": obj(symptoms), "signs": signs.map(obj), "other_diagnosis_explains": other}),
    )
}

#[test]
fn crps_is_pending_until_the_clinician_examines() {
    let s = crps(true, [true, true, true, false], None, None);
    assert_eq!(s.result.as_deref(), Some("pending_clinician_exam"));
    assert_eq!(s.positive, None);
    assert_eq!(s.subscales["patient_reported_part_met"], true);
    // Even with too few symptoms: never not_met before the exam.
    assert_eq!(
        crps(false, [true, false, false, false], None, None).result.as_deref(),
        Some("pending_clinician_exam")
    );
    // Signs without the other-diagnosis answer: still pending.
    assert_eq!(
        crps(true, [true; 4], Some([true, true, false, false]), None)
            .result
            .as_deref(),
        Some("pending_clinician_exam")
    );
}

#[test]
fn crps_decision_edges() {
    let met = crps(
        true,
        [true, true, true, false],
        Some([true, true, false, false]),
        Some(false),
    );
    assert_eq!((met.result.as_deref(), met.positive), (Some("met"), Some(true)));
    assert_eq!(
        crps(
            true,
            [true, true, false, false],
            Some([true, true, false, false]),
            Some(false)
        )
        .result
        .as_deref(),
        Some("not_met")
    );
    assert_eq!(
        crps(
            true,
            [true, true, true, false],
            Some([true, false, false, false]),
            Some(false)
        )
        .result
        .as_deref(),
        Some("not_met")
    );
    assert_eq!(
        crps(true, [true; 4], Some([true; 4]), Some(true)).result.as_deref(),
        Some("not_met")
    );
    assert_eq!(
        crps(false, [true; 4], Some([true; 4]), Some(false)).result.as_deref(),
        Some("not_met")
    );
    let research = crps(true, [true; 4], None, None);
    assert_eq!(research.subscales["research_symptom_criterion"], true);
    // Research criteria: the clinical criteria and symptoms in all 4 categories; pending until
    // the exam, like the result (never not_met before it, even with 3 symptom categories).
    assert_eq!(research.subscales["research_criteria"], "pending_clinician_exam");
    let three = crps(true, [true, true, true, false], None, None);
    assert_eq!(three.subscales["research_criteria"], "pending_clinician_exam");
    let research_of =
        |symptoms, signs, other| crps(true, symptoms, Some(signs), Some(other)).subscales["research_criteria"].clone();
    assert_eq!(research_of([true; 4], [true, true, false, false], false), "met");
    assert_eq!(research_of([true, true, true, false], [true; 4], false), "not_met");
    assert_eq!(research_of([true; 4], [true, false, false, false], false), "not_met");
    assert_eq!(research_of([true; 4], [true; 4], true), "not_met");
    let got = issues(
        "crps_budapest",
        json!({"disproportionate_pain": true, "symptoms": {"sensory": true}, "signs": {"vasomotor": "x"}}),
    );
    assert!(
        got.contains(&("answers.symptoms.vasomotor".into(), "required".into())),
        "{got:?}"
    );
    assert!(
        got.contains(&("answers.signs.vasomotor".into(), "invalid_type".into())),
        "{got:?}"
    );
    assert!(
        got.contains(&("answers.signs.sensory".into(), "required".into())),
        "{got:?}"
    );
}

#[test]
fn dn4_interview_and_exam() {
    let interview = |yes: usize| {
        let keys = [
            "burning",
            "painful_cold",
            "electric_shocks",
            "tingling",
            "pins_and_needles",
            "numbness",
            "itching",
        ];
        let mut m = serde_json::Map::new();
        for (i, k) in keys.iter().enumerate() {
            m.insert((*k).into(), json!(i < yes));
        }
        m
    };
    let s = ok("dn4", Value::Object(interview(2)));
    assert_eq!(
        (s.total.clone(), s.result.as_deref()),
        (None, Some("pending_clinician_exam"))
    );
    assert_eq!(s.subscales["interview_positive"], false);
    assert_eq!(
        ok("dn4", Value::Object(interview(3))).subscales["interview_positive"],
        true
    );
    let mut m = interview(3);
    m.insert(
        "exam".into(),
        json!({"hypoesthesia_touch": false, "hypoesthesia_pinprick": false, "brushing": false}),
    );
    let s = ok("dn4", Value::Object(m.clone()));
    assert_eq!((total(&s), s.positive), (3.0, Some(false)));
    m.insert(
        "exam".into(),
        json!({"hypoesthesia_touch": true, "hypoesthesia_pinprick": false, "brushing": false}),
    );
    let s = ok("dn4", Value::Object(m));
    assert_eq!((total(&s), s.positive), (4.0, Some(true)));
}

#[test]
fn cssrs_skips_and_levels() {
    let base = |q1: bool, q2: bool, q6: bool| json!({"1": q1, "2": q2, "6": q6});
    assert_eq!(
        ok("cssrs_screen", base(false, false, false)).result.as_deref(),
        Some("negative")
    );
    assert_eq!(
        ok("cssrs_screen", base(true, false, false)).result.as_deref(),
        Some("low")
    );
    let got = issues("cssrs_screen", json!({"1": true, "2": false, "3": true, "6": false}));
    assert_eq!(got, vec![("answers.3".into(), "not_applicable".into())]);
    let got = issues("cssrs_screen", json!({"1": true, "2": true, "6": true}));
    assert_eq!(
        got.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(),
        vec!["answers.3", "answers.4", "answers.5", "answers.6b"]
    );
    let got = issues("cssrs_screen", json!({"1": true, "2": false, "6": false, "6b": true}));
    assert_eq!(got, vec![("answers.6b".into(), "not_applicable".into())]);
    let moderate = ok(
        "cssrs_screen",
        json!({"1": true, "2": true, "3": true, "4": false, "5": false, "6": false}),
    );
    assert_eq!(moderate.result.as_deref(), Some("moderate"));
    assert_eq!(moderate.flags[0].code, "suicide_risk_moderate");
    let old_behaviour = ok("cssrs_screen", json!({"1": false, "2": false, "6": true, "6b": false}));
    assert_eq!(old_behaviour.result.as_deref(), Some("moderate"));
    let recent = ok("cssrs_screen", json!({"1": false, "2": false, "6": true, "6b": true}));
    assert_eq!(recent.result.as_deref(), Some("high"));
    assert_eq!(recent.flags[0].severity, Severity::Urgent);
    let intent = ok(
        "cssrs_screen",
        json!({"1": true, "2": true, "3": false, "4": true, "5": false, "6": false}),
    );
    assert_eq!(intent.result.as_deref(), Some("high"));
}

#[test]
fn unknown_instrument_and_non_object_answers() {
    assert_eq!(
        issues("bdi2", json!({})),
        vec![("answers".into(), "unknown_instrument".into())]
    );
    assert_eq!(
        issues("phq9", json!([1, 2])),
        vec![("answers".into(), "invalid_type".into())]
    );
}

/// A random valid answer set for an instrument, following its skip logic.
fn valid_answers(code: &'static str) -> BoxedStrategy<Value> {
    let ints = |n: usize, max: i64| proptest::collection::vec(0..=max, n);
    match code {
        "phq9" => (ints(9, 3), proptest::option::of(0..=3i64))
            .prop_map(|(v, d)| {
                let mut m: serde_json::Map<String, Value> = v.iter().enumerate().map(|(i, x)| ((i + 1).to_string(), json!(x))).collect();
                if let Some(d) = d {
                    m.insert("10".into(), json!(d));
                }
                Value::Object(m)
            })
            .boxed(),
        "gad7" => ints(7, 3).prop_map(|v| json!(v.iter().enumerate().map(|(i, x)| ((i + 1).to_string(), json!(x))).collect::<serde_json::Map<_, _>>())).boxed(),
        "pcl5" => ints(20, 4).prop_map(|v| json!(v.iter().enumerate().map(|(i, x)| ((i + 1).to_string(), json!(x))).collect::<serde_json::Map<_, _>>())).boxed(),
        "pc_ptsd5" => (any::<bool>(), proptest::collection::vec(any::<bool>(), 5))
            .prop_map(|(exp, v)| {
                let mut m = serde_json::Map::new();
                m.insert("trauma_exposure".into(), json!(exp));
                if exp {
                    for (i, b) in v.iter().enumerate() {
                        m.insert((i + 1).to_string(), json!(b));
                    }
                }
                Value::Object(m)
            })
            .boxed(),
        "asq" => (proptest::collection::vec(prop_oneof!["yes", "no", "refused"], 4), any::<bool>())
            .prop_map(|(v, now)| {
                let mut m: serde_json::Map<String, Value> = v.iter().enumerate().map(|(i, x)| ((i + 1).to_string(), json!(x))).collect();
                if v.iter().any(|a| a != "no") {
                    m.insert("5".into(), json!(if now { "yes" } else { "no" }));
                }
                Value::Object(m)
            })
            .boxed(),
        "pain_nrs" => ints(3, 10).prop_map(|v| json!({"now": v[0], "average": v[1], "worst": v[2]})).boxed(),
        "peg" => ints(3, 10).prop_map(|v| json!({"pain": v[0], "enjoyment": v[1], "activity": v[2]})).boxed(),
        "fm2016" => (proptest::sample::subsequence(WPI_AREAS.iter().map(|a| a.0).collect::<Vec<_>>(), 0..=19), ints(3, 3), proptest::collection::vec(any::<bool>(), 3), 0..=600i64)
            .prop_map(|(areas, s, b, months)| {
                json!({"painful_areas": areas, "fatigue": s[0], "waking_unrefreshed": s[1], "cognitive": s[2],
                       "headaches": b[0], "lower_abdominal_pain": b[1], "depression": b[2], "symptom_duration_months": months})
            })
            .boxed(),
        "crps_budapest" => (any::<bool>(), proptest::collection::vec(any::<bool>(), 4), proptest::option::of(proptest::collection::vec(any::<bool>(), 4)), proptest::option::of(any::<bool>()))
            .prop_map(|(d, s, g, o)| {
                let obj = |v: &Vec<bool>| json!({"sensory": v[0], "vasomotor": v[1], "sudomotor_edema": v[2], "motor_trophic": v[3]});
                json!({"disproportionate_pain": d, "symptoms": obj(&s), "signs": g.as_ref().map(obj), "other_diagnosis_explains": o})
            })
            .boxed(),
        "dn4" => (proptest::collection::vec(any::<bool>(), 7), proptest::option::of(proptest::collection::vec(any::<bool>(), 3)))
            .prop_map(|(v, e)| {
                let keys = ["burning", "painful_cold", "electric_shocks", "tingling", "pins_and_needles", "numbness", "itching"];
                let mut m: serde_json::Map<String, Value> = keys.iter().zip(v).map(|(k, b)| ((*k).to_owned(), json!(b))).collect();
                if let Some(e) = e {
                    m.insert("exam".into(), json!({"hypoesthesia_touch": e[0], "hypoesthesia_pinprick": e[1], "brushing": e[2]}));
                }
                Value::Object(m)
            })
            .boxed(),
        "pgic" => (1..=7i64).prop_map(|a| json!({"1": a})).boxed(),
        "ketamine_side_effects" => ints(12, 3)
            .prop_map(|v| {
                let keys = ["nausea", "vomiting", "dizziness", "headache", "drowsiness", "blurred_vision", "feeling_unreal",
                    "anxiety", "hallucinations", "bladder", "blood_in_urine", "other"];
                Value::Object(keys.iter().zip(v).map(|(k, x)| ((*k).to_owned(), json!(x))).collect())
            })
            .boxed(),
        _ => proptest::collection::vec(any::<bool>(), 7)
            .prop_map(|v| {
                let mut m = serde_json::Map::new();
                m.insert("1".into(), json!(v[0]));
                m.insert("2".into(), json!(v[1]));
                if v[1] {
                    for (k, b) in [("3", v[2]), ("4", v[3]), ("5", v[4])] {
                        m.insert(k.into(), json!(b));
                    }
                }
                m.insert("6".into(), json!(v[5]));
                if v[5] {
                    m.insert("6b".into(), json!(v[6]));
                }
                Value::Object(m)
            })
            .boxed(),
    }
}

fn any_instrument() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(CATALOGUE.iter().map(|i| i.code.as_str()).collect::<Vec<_>>())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any valid answer set scores, with the total inside the documented range and a band
    /// that is one of the instrument's bands.
    #[test]
    fn valid_answers_score_within_range((code, answers) in any_instrument().prop_flat_map(|c| (Just(c), valid_answers(c)))) {
        let s = score(code, &answers, "answers", &c());
        prop_assert!(s.is_ok(), "{code}: {s:?} for {answers}");
        let s = s.unwrap();
        let inst = catalogue::lookup(code).unwrap();
        if let (Some(t), Some((min, max))) = (s.total.as_ref().and_then(|n| n.as_f64()), inst.total_range) {
            prop_assert!(t >= min as f64 && t <= max as f64, "{code} total {t}");
        }
        if let Some(b) = &s.band && !inst.bands.is_empty() {
            prop_assert!(inst.bands.iter().any(|(id, _, _)| id == b), "{code} band {b}");
        }
        prop_assert_eq!(s.instrument.as_str(), code);
        prop_assert_eq!(s.version.as_str(), VERSION);
    }

    /// Any answer set with one item replaced by junk, or an extra item, is a list of field
    /// issues under `answers` (a 422), never a panic.
    #[test]
    fn invalid_answers_are_issues_not_panics(
        (code, answers) in any_instrument().prop_flat_map(|c| (Just(c), valid_answers(c))),
        junk in prop_oneof![Just(json!(99)), Just(json!(-1)), Just(json!("x")), Just(json!(1.5)), Just(json!([true])), Just(json!({"a": 1}))],
        pick in any::<prop::sample::Index>(),
        extra in any::<bool>(),
    ) {
        let mut m = answers.as_object().unwrap().clone();
        if extra || m.is_empty() {
            m.insert("not_an_item".into(), json!(1));
        } else {
            let key = m.keys().nth(pick.index(m.len())).unwrap().clone();
            m.insert(key, junk);
        }
        match score(code, &Value::Object(m.clone()), "answers", &c()) {
            Err(issues) => prop_assert!(!issues.is_empty() && issues.iter().all(|i| i.field.starts_with("answers"))),
            // Replacing an optional clinician part with an allowed value can still be valid.
            Ok(_) => prop_assert!(!extra, "{code}: accepted {}", Value::Object(m)),
        }
    }
}

#[test]
fn pgic_result_at_every_boundary() {
    for (answer, result) in [
        (1, "much_improved"),
        (2, "much_improved"),
        (3, "minimally_improved"),
        (4, "no_change"),
        (5, "worse"),
        (7, "worse"),
    ] {
        let s = ok("pgic", json!({"1": answer}));
        assert_eq!((total(&s), s.result.as_deref()), (f64::from(answer), Some(result)));
    }
    assert_eq!(
        issues("pgic", json!({"1": 0})),
        vec![("answers.1".into(), "out_of_range".into())]
    );
    assert_eq!(
        issues("pgic", json!({"1": 8})),
        vec![("answers.1".into(), "out_of_range".into())]
    );
}

#[test]
fn side_effects_total_and_flags_at_their_thresholds() {
    let none = json!({"nausea": 0, "vomiting": 0, "dizziness": 0, "headache": 0, "drowsiness": 0, "blurred_vision": 0,
        "feeling_unreal": 0, "anxiety": 0, "hallucinations": 0, "bladder": 0, "blood_in_urine": 0, "other": 0});
    let with = |changes: &[(&str, Value)]| {
        let mut a = none.clone();
        for (k, v) in changes {
            a[*k] = v.clone();
        }
        ok("ketamine_side_effects", a)
    };
    let codes = |s: &ScoreResult| s.flags.iter().map(|f| f.code.clone()).collect::<Vec<_>>();
    assert_eq!(total(&with(&[])), 0.0);
    assert!(with(&[]).flags.is_empty());
    let moderate = with(&[("nausea", json!(2)), ("drowsiness", json!(2))]);
    assert_eq!((total(&moderate), codes(&moderate)), (4.0, Vec::<String>::new()));
    let severe = with(&[("nausea", json!(3))]);
    assert_eq!(codes(&severe), vec!["severe_side_effect"]);
    assert_eq!(severe.flags[0].triggered_by, vec!["answers.nausea"]);
    assert_eq!(severe.flags[0].severity, Severity::Warning);
    let bladder = with(&[("bladder", json!(1))]);
    assert_eq!(codes(&bladder), vec!["possible_ketamine_uropathy"]);
    assert_eq!(
        codes(&with(&[("blood_in_urine", json!(1))])),
        vec!["possible_ketamine_uropathy"]
    );
    let other = with(&[("other", json!(1)), ("other_text", json!("metallic taste"))]);
    assert_eq!(total(&other), 1.0);
    let mut missing = none.clone();
    missing.as_object_mut().unwrap().remove("bladder");
    assert_eq!(
        issues("ketamine_side_effects", missing),
        vec![("answers.bladder".into(), "required".into())]
    );
    let mut bad_text = none.clone();
    bad_text["other_text"] = json!("two\nlines");
    assert_eq!(
        issues("ketamine_side_effects", bad_text),
        vec![("answers.other_text".into(), "invalid_value".into())]
    );
}

#[test]
fn follow_up_instruments_are_refused_in_an_intake() {
    let cfg = ScreeningConfig {
        enabled: InstrumentCode::ALL.to_vec(),
        cutoffs: c(),
    };
    let answers = policy::Answers::from([("pgic".to_owned(), json!({"1": 2}))]);
    let (_, issues) = policy::score_all(&answers, None, &cfg);
    assert_eq!(issues[0].field, "sections.screenings.pgic");
    assert_eq!(issues[0].code, "follow_up_only");
}
