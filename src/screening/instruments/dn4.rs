//! DN4 (Bouhassira 2005): definition and scoring.

use serde_json::{Value, json};

use super::code::InstrumentCode;
use super::common::Module;
use super::form::{Instrument, Item, ItemKind, VERSION, item, t, yes_no};
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
    let interview = [
        ("burning", t("Burning", "Quemazón")),
        ("painful_cold", t("Painful cold", "Sensación de frío doloroso")),
        ("electric_shocks", t("Electric shocks", "Descargas eléctricas")),
        ("tingling", t("Tingling", "Hormigueo")),
        ("pins_and_needles", t("Pins and needles", "Pinchazos")),
        ("numbness", t("Numbness", "Entumecimiento")),
        ("itching", t("Itching", "Picazón")),
    ];
    let mut items: Vec<Item> = interview
        .iter()
        .map(|(id, text)| item(id, *text, ItemKind::Boolean, yes_no()))
        .collect();
    for (id, text) in [
        (
            "exam.hypoesthesia_touch",
            t("Hypoaesthesia to touch", "Hipoestesia al tacto"),
        ),
        (
            "exam.hypoesthesia_pinprick",
            t("Hypoaesthesia to pinprick", "Hipoestesia al pinchazo"),
        ),
        (
            "exam.brushing",
            t(
                "Pain caused or increased by brushing",
                "Dolor provocado o aumentado por el roce",
            ),
        ),
    ] {
        items.push(
            item(id, text, ItemKind::Boolean, yes_no())
                .clinician()
                .when("recorded by a clinician at examination"),
        );
    }
    Instrument {
        code: InstrumentCode::Dn4,
        name: t(
            "DN4 neuropathic pain questionnaire",
            "Cuestionario DN4 de dolor neuropático",
        ),
        version: VERSION,
        licence: "restricted: requires a licence from the copyright holder",
        restricted: true,
        citation: "Bouhassira D, et al. Pain 2005;114:29-36",
        recall_period: t("Currently", "Actualmente"),
        instructions: t(
            "Paraphrased labels; the licensed wording is supplied with the licence.",
            "Etiquetas parafraseadas; el texto con licencia se entrega con la licencia.",
        ),
        official_translation: false,
        items,
        rule_set: "DN4-Bouhassira2005",
        scoring: "Interview score = yes answers to the 7 interview items (0-7), positive at 3. With the clinician's 3 exam items, total 0-10, positive at 4; without the exam the total is null and the result is pending_clinician_exam.",
        total_range: Some((0, 10)),
        bands: &[],
        loinc_total: None,
        loinc_panel: None,
    }
}

/// DN4 (Bouhassira 2005): interview 0–7 (positive ≥ 3); with the exam, total 0–10 (positive ≥ 4).
pub fn score(r: &mut Reader<'_>, _: &Cutoffs) -> Option<ScoreResult> {
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
    let mut s = ScoreResult::new(InstrumentCode::Dn4, VERSION, "DN4-Bouhassira2005")
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

/// The cut-offs its rules use, as recorded on each result.
pub fn cutoffs(_: &Cutoffs) -> Vec<(&'static str, Value)> {
    vec![("interview_positive", 3.into()), ("positive", 4.into())]
}

/// A realistic answer set, shown in the OpenAPI document with its computed result.
pub fn example() -> Value {
    json!({"burning": true, "painful_cold": false, "electric_shocks": true, "tingling": true,
                        "pins_and_needles": false, "numbness": false, "itching": false, "exam": null})
}
