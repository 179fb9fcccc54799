//! PEG (Krebs 2009): definition and scoring.

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
    let items = vec![
        item(
            "pain",
            t(
                "What number best describes your pain on average in the past week?",
                "¿Qué número describe mejor su dolor promedio durante la última semana?",
            ),
            ItemKind::SingleChoice,
            nrs(
                t("0 — No pain", "0 — Sin dolor"),
                t("10 — Pain as bad as you can imagine", "10 — El peor dolor imaginable"),
            ),
        ),
        item(
            "enjoyment",
            t(
                "What number best describes how, during the past week, pain has interfered with your enjoyment of life?",
                "¿Qué número describe mejor cuánto ha interferido el dolor, durante la última semana, en su disfrute de la vida?",
            ),
            ItemKind::SingleChoice,
            nrs(
                t("0 — Does not interfere", "0 — No interfiere"),
                t("10 — Completely interferes", "10 — Interfiere por completo"),
            ),
        ),
        item(
            "activity",
            t(
                "What number best describes how, during the past week, pain has interfered with your general activity?",
                "¿Qué número describe mejor cuánto ha interferido el dolor, durante la última semana, en su actividad general?",
            ),
            ItemKind::SingleChoice,
            nrs(
                t("0 — Does not interfere", "0 — No interfiere"),
                t("10 — Completely interferes", "10 — Interfiere por completo"),
            ),
        ),
    ];
    Instrument {
        code: InstrumentCode::Peg,
        name: t(
            "PEG: pain, enjoyment of life, general activity",
            "PEG: dolor, disfrute de la vida, actividad general",
        ),
        version: VERSION,
        licence: "free distribution (derived from the Brief Pain Inventory)",
        restricted: false,
        citation: "Krebs EE, et al. J Gen Intern Med 2009;24:733-8",
        recall_period: t("Past week", "Última semana"),
        instructions: t(
            "Choose one number for each question.",
            "Elija un número para cada pregunta.",
        ),
        official_translation: false,
        items,
        rule_set: "PEG-Krebs2009",
        scoring: "Score = mean of the three items, rounded to 2 decimals (0-10). No bands; used to follow change (minimal important difference about 1-1.75 points).",
        total_range: Some((0, 10)),
        bands: &[],
        loinc_total: None,
        loinc_panel: None,
    }
}

/// PEG (Krebs 2009): mean of three 0–10 items, 2 decimals; no bands.
pub fn score(r: &mut Reader<'_>, _: &Cutoffs) -> Option<ScoreResult> {
    let pain = r.int("pain", 0, 10);
    let enjoyment = r.int("enjoyment", 0, 10);
    let activity = r.int("activity", 0, 10);
    let (pain, enjoyment, activity) = (pain?, enjoyment?, activity?);
    // Integer arithmetic in hundredths, rounded half up: no floating-point drift.
    let hundredths = ((pain + enjoyment + activity) * 100 * 2 + 3) / 6;
    let mean = hundredths as f64 / 100.0;
    let mut s = ScoreResult::new(InstrumentCode::Peg, VERSION, "PEG-Krebs2009")
        .sub("pain", pain)
        .sub("enjoyment", enjoyment)
        .sub("activity", activity);
    s.total = serde_json::Number::from_f64(mean);
    Some(s)
}

/// No configurable cut-offs.
pub fn cutoffs(_: &Cutoffs) -> Vec<(&'static str, Value)> {
    Vec::new()
}

/// A realistic answer set, shown in the OpenAPI document with its computed result.
pub fn example() -> Value {
    json!({"pain": 7, "enjoyment": 6, "activity": 8})
}
