//! Pain NRS now / average / worst (Serlin 1995): definition and scoring.

use serde_json::{Value, json};

use super::code::InstrumentCode;
use super::common::Module;
use super::form::{Instrument, ItemKind, VERSION, item, nrs, t};
use crate::screening::answers::Reader;
use crate::screening::model::{Cutoffs, ScoreResult};

pub const MODULE: Module = Module {
    definition,
    score,
    cutoffs,
    example,
};

/// The questionnaire as it is shown and documented.
pub fn definition() -> Instrument {
    let anchors = || {
        nrs(
            t("0 — No pain", "0 — Sin dolor"),
            t("10 — Pain as bad as you can imagine", "10 — El peor dolor imaginable"),
        )
    };
    let items = vec![
        item(
            "now",
            t("Rate your pain right now.", "Califique su dolor en este momento."),
            ItemKind::SingleChoice,
            anchors(),
        ),
        item(
            "average",
            t(
                "Rate your average pain over the past week.",
                "Califique su dolor promedio durante la última semana.",
            ),
            ItemKind::SingleChoice,
            anchors(),
        ),
        item(
            "worst",
            t(
                "Rate your worst pain over the past week.",
                "Califique su peor dolor durante la última semana.",
            ),
            ItemKind::SingleChoice,
            anchors(),
        ),
    ];
    Instrument {
        code: InstrumentCode::PainNrs,
        name: t(
            "Pain intensity (0-10 numeric rating scale)",
            "Intensidad del dolor (escala numérica de 0 a 10)",
        ),
        version: VERSION,
        licence: "generic",
        restricted: false,
        citation: "Serlin RC, et al. Pain 1995;61:277-84 (bands)",
        recall_period: t("Now and past week", "Ahora y última semana"),
        instructions: t(
            "Choose the number that best describes your pain.",
            "Elija el número que mejor describe su dolor.",
        ),
        official_translation: false,
        items,
        rule_set: "NRS-Serlin1995",
        scoring: "Three 0-10 ratings. The total is the average-pain rating. Bands (configurable, Serlin 1995): 0 none, 1-4 mild, 5-6 moderate, 7-10 severe; each rating's band is reported.",
        total_range: Some((0, 10)),
        bands: &[("none", 0, 0), ("mild", 1, 4), ("moderate", 5, 6), ("severe", 7, 10)],
        loinc_total: Some("72514-3"),
        loinc_panel: None,
    }
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
pub fn score(r: &mut Reader<'_>, c: &Cutoffs) -> Option<ScoreResult> {
    let now = r.int("now", 0, 10);
    let average = r.int("average", 0, 10);
    let worst = r.int("worst", 0, 10);
    let (now, average, worst) = (now?, average?, worst?);
    let mut s = ScoreResult::new(InstrumentCode::PainNrs, VERSION, "NRS-Serlin1995")
        .total_int(average)
        .sub("now", now)
        .sub("average", average)
        .sub("worst", worst)
        .sub("now_band", pain_band(now, c))
        .sub("worst_band", pain_band(worst, c));
    s.band = Some(pain_band(average, c).into());
    Some(s)
}

/// The cut-offs its rules use, as recorded on each result.
pub fn cutoffs(c: &Cutoffs) -> Vec<(&'static str, Value)> {
    vec![
        ("mild_max", c.pain_mild_max.into()),
        ("moderate_max", c.pain_moderate_max.into()),
    ]
}

/// A realistic answer set, shown in the OpenAPI document with its computed result.
pub fn example() -> Value {
    json!({"now": 6, "average": 7, "worst": 9})
}
