//! PGIC, the Patient Global Impression of Change (Guy 1976, patient version): definition and
//! scoring. One item; its result is the outcome itself (CLINICAL.md "Follow-up instruments").

use serde_json::{Value, json};

use super::code::InstrumentCode;
use super::common::Module;
use super::form::{Instrument, ItemKind, VERSION, choice, item, t};
use crate::screening::answers::Reader;
use crate::screening::model::{Cutoffs, ScoreResult};

pub const MODULE: Module = Module {
    definition,
    score,
    cutoffs,
    example,
};

pub fn definition() -> Instrument {
    let labels = [
        t("Very much improved", "Muchísimo mejor"),
        t("Much improved", "Mucho mejor"),
        t("Minimally improved", "Un poco mejor"),
        t("No change", "Sin cambios"),
        t("Minimally worse", "Un poco peor"),
        t("Much worse", "Mucho peor"),
        t("Very much worse", "Muchísimo peor"),
    ];
    let options = labels
        .iter()
        .enumerate()
        .map(|(i, l)| choice(json!(i + 1), *l))
        .collect();
    Instrument {
        code: InstrumentCode::Pgic,
        name: t(
            "PGIC: Patient Global Impression of Change",
            "PGIC: Impresión Global de Cambio del Paciente",
        ),
        version: VERSION,
        licence: "public domain (ECDEU Assessment Manual, 1976)",
        restricted: false,
        citation: "Guy W. ECDEU Assessment Manual for Psychopharmacology, 1976; IMMPACT: Dworkin RH, et al. J Pain 2008;9:105-21",
        recall_period: t("Since treatment began", "Desde que empezó el tratamiento"),
        instructions: t(
            "Choose the one answer that fits best.",
            "Elija la respuesta que mejor corresponda.",
        ),
        official_translation: false,
        items: vec![item(
            "1",
            t(
                "Since treatment began, my overall status is:",
                "Desde que empezó el tratamiento, mi estado general está:",
            ),
            ItemKind::SingleChoice,
            options,
        )],
        rule_set: "PGIC-Guy1976",
        scoring: "Total = the answer (1-7). Result: much_improved (1-2), minimally_improved (3), no_change (4), worse (5-7).",
        total_range: Some((1, 7)),
        bands: &[],
        loinc_total: None,
        loinc_panel: None,
    }
}

/// The answer is the total; the result names its category.
pub fn score(r: &mut Reader<'_>, _: &Cutoffs) -> Option<ScoreResult> {
    let answer = r.int("1", 1, 7)?;
    let result = match answer {
        1 | 2 => "much_improved",
        3 => "minimally_improved",
        4 => "no_change",
        _ => "worse",
    };
    let mut s = ScoreResult::new(InstrumentCode::Pgic, VERSION, "PGIC-Guy1976").total_int(answer);
    s.result = Some(result.to_owned());
    Some(s)
}

pub fn cutoffs(_: &Cutoffs) -> Vec<(&'static str, Value)> {
    Vec::new()
}

pub fn example() -> Value {
    json!({"1": 2})
}
