//! GAD-7 (Spitzer 2006): definition and scoring.

use serde_json::{Value, json};

use super::code::InstrumentCode;
use super::common::{Module, band, items};
use super::form::{FREQUENCY, Instrument, ItemKind, VERSION, item, scale, t};
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
    let texts = [
        t(
            "Feeling nervous, anxious, or on edge",
            "Se ha sentido nervioso(a), ansioso(a) o con los nervios de punta",
        ),
        t(
            "Not being able to stop or control worrying",
            "No ha sido capaz de parar o controlar su preocupación",
        ),
        t(
            "Worrying too much about different things",
            "Se ha preocupado demasiado por motivos diferentes",
        ),
        t("Trouble relaxing", "Ha tenido dificultad para relajarse"),
        t(
            "Being so restless that it is hard to sit still",
            "Se ha sentido tan inquieto(a) que no ha podido quedarse quieto(a)",
        ),
        t(
            "Becoming easily annoyed or irritable",
            "Se ha molestado o irritado fácilmente",
        ),
        t(
            "Feeling afraid, as if something awful might happen",
            "Ha tenido miedo de que algo terrible fuera a pasar",
        ),
    ];
    let items = texts
        .iter()
        .zip(["1", "2", "3", "4", "5", "6", "7"])
        .map(|(text, id)| item(id, *text, ItemKind::SingleChoice, scale(&FREQUENCY)))
        .collect();
    Instrument {
        code: InstrumentCode::Gad7,
        name: t(
            "Generalized Anxiety Disorder-7 (GAD-7)",
            "Trastorno de Ansiedad Generalizada-7 (GAD-7)",
        ),
        version: VERSION,
        licence: "public domain",
        restricted: false,
        citation: "Spitzer RL, Kroenke K, Williams JB, Löwe B. Arch Intern Med 2006;166:1092-7",
        recall_period: t("Last 2 weeks", "Últimas 2 semanas"),
        instructions: t(
            "Over the last 2 weeks, how often have you been bothered by the following problems?",
            "Durante las últimas 2 semanas, ¿con qué frecuencia ha sentido molestias por los siguientes problemas?",
        ),
        official_translation: true,
        items,
        rule_set: "GAD7-Spitzer2006",
        scoring: "Total = sum of items 1-7 (0-21). Bands 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe; screen positive at the configured cut-off (default 10). GAD-2 = items 1+2 (positive at default 3).",
        total_range: Some((0, 21)),
        bands: &[
            ("minimal", 0, 4),
            ("mild", 5, 9),
            ("moderate", 10, 14),
            ("severe", 15, 21),
        ],
        loinc_total: Some("70274-6"),
        loinc_panel: Some("69737-5"),
    }
}

/// GAD-7 (Spitzer 2006): total 0–21, bands (15 is severe), GAD-2.
pub fn score(r: &mut Reader<'_>, c: &Cutoffs) -> Option<ScoreResult> {
    let v = items(r, 1, 7, 0, 3)?;
    let total: i64 = v.iter().sum();
    let gad2 = v[0] + v[1];
    let mut s = ScoreResult::new(InstrumentCode::Gad7, VERSION, "GAD7-Spitzer2006")
        .total_int(total)
        .sub("gad2", gad2)
        .sub("gad2_positive", gad2 >= i64::from(c.gad2_positive));
    s.band = Some(band(total, &[(4, "minimal"), (9, "mild"), (14, "moderate"), (21, "severe")]).into());
    s.positive = Some(total >= i64::from(c.gad7_positive));
    Some(s)
}

/// The cut-offs its rules use, as recorded on each result.
pub fn cutoffs(c: &Cutoffs) -> Vec<(&'static str, Value)> {
    vec![
        ("positive", c.gad7_positive.into()),
        ("gad2_positive", c.gad2_positive.into()),
    ]
}

/// A realistic answer set, shown in the OpenAPI document with its computed result.
pub fn example() -> Value {
    json!({"1": 2, "2": 2, "3": 1, "4": 2, "5": 1, "6": 1, "7": 0})
}
