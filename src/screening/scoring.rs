//! Server-side scoring of every instrument, exactly as CLINICAL.md specifies. Invalid answers are
//! a list of field issues (422), never clamped, never prorated.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::answers::Reader;
use super::model::{Cutoffs, Flag, ScoreResult, Severity, Source};
use crate::error::FieldIssue;

pub type Scored = Result<ScoreResult, Vec<FieldIssue>>;

/// Version of the item sets and rules implemented here (recorded on every result).
pub const VERSION: &str = "1.0";

/// Scores `answers` for `code`; paths in issues start at `prefix`.
pub fn score(code: &str, answers: &Value, prefix: &str, c: &Cutoffs) -> Scored {
    let mut r = Reader::new(answers, prefix);
    let result = match code {
        "phq9" => phq9(&mut r, c),
        "gad7" => gad7(&mut r, c),
        "pc_ptsd5" => pc_ptsd5(&mut r, c),
        "pcl5" => pcl5(&mut r, c),
        "asq" => asq(&mut r),
        "pain_nrs" => pain_nrs(&mut r, c),
        "peg" => peg(&mut r),
        "fm2016" => fm2016(&mut r),
        "crps_budapest" => crps_budapest(&mut r),
        "dn4" => dn4(&mut r),
        "cssrs_screen" => cssrs(&mut r),
        other => {
            return Err(vec![FieldIssue::new(
                prefix,
                "unknown_instrument",
                format!("no instrument {other:?}"),
            )]);
        }
    };
    r.finish()?;
    // Every item read without issue, so scoring had all it needed.
    let mut result = result.ok_or_else(|| vec![FieldIssue::new(prefix, "invalid", "answers could not be scored")])?;
    result.cutoffs = cutoffs(code, c);
    Ok(result)
}

/// The cut-offs an instrument's rules use, as recorded on each result.
pub fn cutoffs(code: &str, c: &Cutoffs) -> BTreeMap<String, Value> {
    let pairs: Vec<(&str, Value)> = match code {
        "phq9" => vec![
            ("positive", c.phq9_positive.into()),
            ("phq2_positive", c.phq2_positive.into()),
        ],
        "gad7" => vec![
            ("positive", c.gad7_positive.into()),
            ("gad2_positive", c.gad2_positive.into()),
        ],
        "pc_ptsd5" => vec![("positive", c.pc_ptsd5_positive.into())],
        "pcl5" => vec![
            ("probable_ptsd", c.pcl5_probable_ptsd.into()),
            ("dsm5_item_endorsed", 2.into()),
        ],
        "pain_nrs" => vec![
            ("mild_max", c.pain_mild_max.into()),
            ("moderate_max", c.pain_moderate_max.into()),
        ],
        "fm2016" => vec![
            ("wpi_sss", json!([[7, 5], [4, 9]])),
            ("regions", 4.into()),
            ("duration_months", 3.into()),
        ],
        "crps_budapest" => vec![("symptom_categories", 3.into()), ("sign_categories", 2.into())],
        "dn4" => vec![("interview_positive", 3.into()), ("positive", 4.into())],
        _ => Vec::new(),
    };
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Reads items `first..=last` as integers in `min..=max`; `None` if any is missing or invalid.
fn items(r: &mut Reader<'_>, first: u32, last: u32, min: i64, max: i64) -> Option<Vec<i64>> {
    let values: Vec<Option<i64>> = (first..=last).map(|i| r.int(&i.to_string(), min, max)).collect();
    values.into_iter().collect()
}

fn band(total: i64, bands: &[(i64, &'static str)]) -> &'static str {
    // `bands` holds (upper bound inclusive, name) in ascending order.
    bands
        .iter()
        .find(|(max, _)| total <= *max)
        .map_or("severe", |(_, name)| name)
}

/// PHQ-9 (Kroenke 2001): total 0–27, bands, PHQ-2; item 9 ≥ 1 raises an urgent flag.
fn phq9(r: &mut Reader<'_>, c: &Cutoffs) -> Option<ScoreResult> {
    let v = items(r, 1, 9, 0, 3);
    let difficulty = r.opt_int("10", 0, 3);
    let v = v?;
    let total: i64 = v.iter().sum();
    let phq2 = v[0] + v[1];
    let mut s = ScoreResult::new("phq9", VERSION, "PHQ9-Kroenke2001")
        .total_int(total)
        .sub("phq2", phq2)
        .sub("phq2_positive", phq2 >= i64::from(c.phq2_positive))
        .sub("item9", v[8]);
    if let Some(d) = difficulty {
        s = s.sub("difficulty", d);
    }
    s.band = Some(
        band(
            total,
            &[
                (4, "minimal"),
                (9, "mild"),
                (14, "moderate"),
                (19, "moderately_severe"),
                (27, "severe"),
            ],
        )
        .into(),
    );
    s.positive = Some(total >= i64::from(c.phq9_positive));
    if v[8] >= 1 {
        s.flags.push(Flag::new(
            "suicidal_ideation",
            Severity::Urgent,
            Source::G,
            "PHQ-9 item 9 answered 1 or more: thoughts of death or self-harm; review today and complete the ASQ",
            vec![r.path("9")],
        ));
    }
    Some(s)
}

/// GAD-7 (Spitzer 2006): total 0–21, bands (15 is severe), GAD-2.
fn gad7(r: &mut Reader<'_>, c: &Cutoffs) -> Option<ScoreResult> {
    let v = items(r, 1, 7, 0, 3)?;
    let total: i64 = v.iter().sum();
    let gad2 = v[0] + v[1];
    let mut s = ScoreResult::new("gad7", VERSION, "GAD7-Spitzer2006")
        .total_int(total)
        .sub("gad2", gad2)
        .sub("gad2_positive", gad2 >= i64::from(c.gad2_positive));
    s.band = Some(band(total, &[(4, "minimal"), (9, "mild"), (14, "moderate"), (21, "severe")]).into());
    s.positive = Some(total >= i64::from(c.gad7_positive));
    Some(s)
}

/// PC-PTSD-5 (Prins 2016): gate question, then five yes/no items; score = count of yes.
fn pc_ptsd5(r: &mut Reader<'_>, c: &Cutoffs) -> Option<ScoreResult> {
    let exposure = r.bool("trauma_exposure");
    let score = match exposure {
        Some(true) => {
            let v: Vec<Option<bool>> = (1..=5).map(|i| r.bool(&i.to_string())).collect();
            v.into_iter()
                .collect::<Option<Vec<bool>>>()?
                .iter()
                .filter(|b| **b)
                .count() as i64
        }
        Some(false) => {
            for i in 1..=5 {
                r.forbid(&i.to_string(), "only asked after a traumatic event is reported");
            }
            0
        }
        None => return None,
    };
    let mut s = ScoreResult::new("pc_ptsd5", VERSION, "PCPTSD5-Prins2016")
        .total_int(score)
        .sub("trauma_exposure", exposure?);
    s.positive = Some(score >= i64::from(c.pc_ptsd5_positive));
    Some(s)
}

/// PCL-5 (Weathers 2013; Blevins 2015): total 0–80, clusters B–E, cut-off and DSM-5 rule.
fn pcl5(r: &mut Reader<'_>, c: &Cutoffs) -> Option<ScoreResult> {
    let v = items(r, 1, 20, 0, 4)?;
    let total: i64 = v.iter().sum();
    let sum = |a: usize, b: usize| v[a - 1..b].iter().sum::<i64>();
    let endorsed = |a: usize, b: usize| v[a - 1..b].iter().filter(|x| **x >= 2).count();
    let dsm5 = endorsed(1, 5) >= 1 && endorsed(6, 7) >= 1 && endorsed(8, 14) >= 2 && endorsed(15, 20) >= 2;
    let mut s = ScoreResult::new("pcl5", VERSION, "PCL5-Weathers2013")
        .total_int(total)
        .sub("cluster_b", sum(1, 5))
        .sub("cluster_c", sum(6, 7))
        .sub("cluster_d", sum(8, 14))
        .sub("cluster_e", sum(15, 20))
        .sub("dsm5_rule_met", dsm5);
    s.positive = Some(total >= i64::from(c.pcl5_probable_ptsd));
    Some(s)
}

/// ASQ (NIMH, Horowitz 2020): any yes or refusal on items 1–4 is positive; item 5 then decides
/// acute versus non-acute.
fn asq(r: &mut Reader<'_>) -> Option<ScoreResult> {
    const YNR: [&str; 3] = ["yes", "no", "refused"];
    let v: Vec<Option<&str>> = (1..=4).map(|i| r.choice(&i.to_string(), &YNR)).collect();
    let v: Vec<&str> = v.into_iter().collect::<Option<_>>()?;
    let positive = v.iter().any(|a| *a != "no");
    let mut s = ScoreResult::new("asq", VERSION, "ASQ-NIMH2020");
    s.positive = Some(positive);
    let triggers: Vec<String> = (1..=4)
        .filter(|i| v[*i - 1] != "no")
        .map(|i| r.path(&i.to_string()))
        .collect();
    if !positive {
        r.forbid("5", "only asked when items 1–4 are positive");
        s.result = Some("negative".into());
        return Some(s);
    }
    let acute = r.choice("5", &["yes", "no"])? == "yes";
    if acute {
        let mut paths = triggers;
        paths.push(r.path("5"));
        s.result = Some("acute_positive".into());
        s.flags.push(Flag::new(
            "suicide_risk_acute",
            Severity::Urgent,
            Source::G,
            "ASQ acute positive (thoughts of suicide right now): the patient needs a full safety evaluation before leaving",
            paths,
        ));
    } else {
        s.result = Some("nonacute_positive".into());
        s.flags.push(Flag::new(
            "suicide_risk_nonacute",
            Severity::Warning,
            Source::G,
            "ASQ non-acute positive: a brief suicide safety assessment is needed before treatment",
            triggers,
        ));
    }
    Some(s)
}

fn pain_band(v: i64, c: &Cutoffs) -> &'static str {
    match v {
        0 => "none",
        v if v <= i64::from(c.pain_mild_max) => "mild",
        v if v <= i64::from(c.pain_moderate_max) => "moderate",
        _ => "severe",
    }
}

/// Pain now / average / worst, 0–10. `total` is the average (what clinics follow); each value
/// has its band (Serlin 1995).
fn pain_nrs(r: &mut Reader<'_>, c: &Cutoffs) -> Option<ScoreResult> {
    let now = r.int("now", 0, 10);
    let average = r.int("average", 0, 10);
    let worst = r.int("worst", 0, 10);
    let (now, average, worst) = (now?, average?, worst?);
    let mut s = ScoreResult::new("pain_nrs", VERSION, "NRS-Serlin1995")
        .total_int(average)
        .sub("now", now)
        .sub("average", average)
        .sub("worst", worst)
        .sub("now_band", pain_band(now, c))
        .sub("worst_band", pain_band(worst, c));
    s.band = Some(pain_band(average, c).into());
    Some(s)
}

/// PEG (Krebs 2009): mean of three 0–10 items, 2 decimals; no bands.
fn peg(r: &mut Reader<'_>) -> Option<ScoreResult> {
    let pain = r.int("pain", 0, 10);
    let enjoyment = r.int("enjoyment", 0, 10);
    let activity = r.int("activity", 0, 10);
    let (pain, enjoyment, activity) = (pain?, enjoyment?, activity?);
    // Integer arithmetic in hundredths, rounded half up: no floating-point drift.
    let hundredths = ((pain + enjoyment + activity) * 100 * 2 + 3) / 6;
    let mean = hundredths as f64 / 100.0;
    let mut s = ScoreResult::new("peg", VERSION, "PEG-Krebs2009")
        .sub("pain", pain)
        .sub("enjoyment", enjoyment)
        .sub("activity", activity);
    s.total = serde_json::Number::from_f64(mean);
    Some(s)
}

/// The 19 WPI areas by region (ACR 2016). Starred areas (jaw, chest, abdomen) count in the WPI
/// but not towards generalized pain.
pub const WPI_AREAS: [(&str, u8, bool); 19] = [
    ("jaw_left", 1, true),
    ("shoulder_girdle_left", 1, false),
    ("upper_arm_left", 1, false),
    ("lower_arm_left", 1, false),
    ("jaw_right", 2, true),
    ("shoulder_girdle_right", 2, false),
    ("upper_arm_right", 2, false),
    ("lower_arm_right", 2, false),
    ("hip_left", 3, false),
    ("upper_leg_left", 3, false),
    ("lower_leg_left", 3, false),
    ("hip_right", 4, false),
    ("upper_leg_right", 4, false),
    ("lower_leg_right", 4, false),
    ("neck", 5, false),
    ("upper_back", 5, false),
    ("lower_back", 5, false),
    ("chest", 5, true),
    ("abdomen", 5, true),
];

/// ACR 2016 fibromyalgia criteria (Wolfe 2016) with the FS severity (Wolfe 2015).
fn fm2016(r: &mut Reader<'_>) -> Option<ScoreResult> {
    let ids: Vec<&'static str> = WPI_AREAS.iter().map(|a| a.0).collect();
    let areas = r.id_list("painful_areas", &ids);
    let fatigue = r.int("fatigue", 0, 3);
    let waking = r.int("waking_unrefreshed", 0, 3);
    let cognitive = r.int("cognitive", 0, 3);
    let headaches = r.bool("headaches");
    let lap = r.bool("lower_abdominal_pain");
    let depression = r.bool("depression");
    let months = r.int("symptom_duration_months", 0, 1200);
    let areas = areas?;
    let wpi = areas.len() as i64;
    let sss = fatigue? + waking? + cognitive? + [headaches?, lap?, depression?].iter().filter(|b| **b).count() as i64;
    let mut regions: Vec<u8> = WPI_AREAS
        .iter()
        .filter(|(id, _, starred)| !starred && areas.contains(id))
        .map(|a| a.1)
        .collect();
    regions.sort_unstable();
    regions.dedup();
    let region_count = regions.len() as i64;
    let generalized = region_count >= 4;
    let months = months?;
    let severity_ok = (wpi >= 7 && sss >= 5) || ((4..=6).contains(&wpi) && sss >= 9);
    let met = severity_ok && generalized && months >= 3;
    let fs = wpi + sss;
    let mut s = ScoreResult::new("fm2016", VERSION, "ACR2016")
        .total_int(fs)
        .sub("wpi", wpi)
        .sub("sss", sss)
        .sub("regions", region_count)
        .sub("generalized_pain", generalized)
        .sub("fs", fs)
        .sub("symptom_duration_months", months);
    s.band = Some(
        band(
            fs,
            &[
                (3, "none"),
                (7, "mild"),
                (11, "moderate"),
                (19, "severe"),
                (31, "very_severe"),
            ],
        )
        .into(),
    );
    s.positive = Some(met);
    s.result = Some(if met { "met" } else { "not_met" }.into());
    Some(s)
}

const BUDAPEST_CATEGORIES: [&str; 4] = ["sensory", "vasomotor", "sudomotor_edema", "motor_trophic"];

fn categories(r: &mut Reader<'_>, id: &str, required: bool) -> Option<Option<i64>> {
    if !r.is_present(id) {
        if required {
            r.bool(id); // records "required"
            return None;
        }
        r.touch(id);
        return Some(None);
    }
    let mut child = r.nested(id)?;
    let v: Vec<Option<bool>> = BUDAPEST_CATEGORIES.iter().map(|k| child.bool(k)).collect();
    r.absorb(child);
    let v: Vec<bool> = v.into_iter().collect::<Option<_>>()?;
    Some(Some(v.iter().filter(|b| **b).count() as i64))
}

/// Budapest clinical criteria (Harden 2010). Signs and "another diagnosis explains it" come from
/// the clinician; until both are recorded the result is `pending_clinician_exam`.
fn crps_budapest(r: &mut Reader<'_>) -> Option<ScoreResult> {
    let disproportionate = r.bool("disproportionate_pain");
    let symptoms = categories(r, "symptoms", true);
    let signs = categories(r, "signs", false);
    let other_dx = r.opt_bool("other_diagnosis_explains");
    let (disproportionate, symptoms, signs) = (disproportionate?, symptoms??, signs?);
    let mut s = ScoreResult::new("crps_budapest", VERSION, "Budapest2010-clinical")
        .sub("symptom_categories", symptoms)
        .sub("sign_categories", signs.map_or(Value::Null, Value::from))
        .sub("research_symptom_criterion", symptoms == 4)
        .sub("patient_reported_part_met", disproportionate && symptoms >= 3);
    let result = match (signs, other_dx) {
        (Some(signs), Some(other)) => {
            let met = disproportionate && symptoms >= 3 && signs >= 2 && !other;
            s.positive = Some(met);
            if met { "met" } else { "not_met" }
        }
        _ => "pending_clinician_exam",
    };
    s.result = Some(result.into());
    Some(s)
}

/// DN4 (Bouhassira 2005): interview 0–7 (positive ≥ 3); with the exam, total 0–10 (positive ≥ 4).
fn dn4(r: &mut Reader<'_>) -> Option<ScoreResult> {
    const INTERVIEW: [&str; 7] = [
        "burning",
        "painful_cold",
        "electric_shocks",
        "tingling",
        "pins_and_needles",
        "numbness",
        "itching",
    ];
    const EXAM: [&str; 3] = ["hypoesthesia_touch", "hypoesthesia_pinprick", "brushing"];
    let v: Vec<Option<bool>> = INTERVIEW.iter().map(|k| r.bool(k)).collect();
    let exam = if r.is_present("exam") {
        let mut child = r.nested("exam")?;
        let e: Vec<Option<bool>> = EXAM.iter().map(|k| child.bool(k)).collect();
        r.absorb(child);
        Some(e.into_iter().collect::<Option<Vec<bool>>>()?)
    } else {
        r.touch("exam");
        None
    };
    let interview = v
        .into_iter()
        .collect::<Option<Vec<bool>>>()?
        .iter()
        .filter(|b| **b)
        .count() as i64;
    let mut s = ScoreResult::new("dn4", VERSION, "DN4-Bouhassira2005")
        .sub("interview", interview)
        .sub("interview_positive", interview >= 3);
    match exam {
        Some(e) => {
            let total = interview + e.iter().filter(|b| **b).count() as i64;
            s = s.total_int(total);
            s.positive = Some(total >= 4);
        }
        None => s.result = Some("pending_clinician_exam".into()),
    }
    Some(s)
}

/// C-SSRS screener: Q3–Q5 only after Q2 yes; Q6b only after Q6 yes.
fn cssrs(r: &mut Reader<'_>) -> Option<ScoreResult> {
    let q1 = r.bool("1");
    let q2 = r.bool("2");
    let (q3, q4, q5) = match q2 {
        Some(true) => (r.bool("3"), r.bool("4"), r.bool("5")),
        Some(false) => {
            for q in ["3", "4", "5"] {
                r.forbid(q, "only asked when question 2 is yes");
            }
            (Some(false), Some(false), Some(false))
        }
        None => (None, None, None),
    };
    let q6 = r.bool("6");
    let q6b = match q6 {
        Some(true) => r.bool("6b"),
        Some(false) => {
            r.forbid("6b", "only asked when question 6 is yes");
            Some(false)
        }
        None => None,
    };
    let (q1, q2, q3, q4, q5, q6, q6b) = (q1?, q2?, q3?, q4?, q5?, q6?, q6b?);
    let level = if q4 || q5 || q6b {
        "high"
    } else if q3 || (q6 && !q6b) {
        "moderate"
    } else if q1 || q2 {
        "low"
    } else {
        "negative"
    };
    let mut s = ScoreResult::new("cssrs_screen", VERSION, "CSSRS-screener");
    s.result = Some(level.into());
    s.positive = Some(level != "negative");
    let yes: Vec<String> = [
        ("1", q1),
        ("2", q2),
        ("3", q3),
        ("4", q4),
        ("5", q5),
        ("6", q6),
        ("6b", q6b),
    ]
    .iter()
    .filter(|(_, v)| *v)
    .map(|(k, _)| r.path(k))
    .collect();
    match level {
        "high" => s.flags.push(Flag::new(
            "suicide_risk_high",
            Severity::Urgent,
            Source::G,
            "C-SSRS high risk (intent, plan or recent behaviour): immediate safety evaluation",
            yes,
        )),
        "moderate" => s.flags.push(Flag::new(
            "suicide_risk_moderate",
            Severity::Warning,
            Source::G,
            "C-SSRS moderate risk: clinician suicide risk assessment before treatment",
            yes,
        )),
        _ => {}
    }
    Some(s)
}

#[cfg(test)]
mod tests;
