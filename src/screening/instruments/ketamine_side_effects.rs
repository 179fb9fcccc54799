//! A side-effect checklist after ketamine infusions: definition and scoring. A generic
//! checklist, **not** a validated instrument (the catalogue says so); its flags point at what a
//! clinician asks about at every visit (CLINICAL.md "Follow-up instruments").

use serde_json::{Value, json};

use super::code::InstrumentCode;
use super::common::Module;
use super::form::{Answer, Condition, Instrument, ItemKind, VERSION, item, scale, t};
use crate::screening::answers::Reader;
use crate::screening::model::Text;
use crate::screening::model::{Cutoffs, Flag, ScoreResult, Severity, Source};

pub const MODULE: Module = Module {
    definition,
    score,
    cutoffs,
    example,
};

/// Item ids with their questions, in the order shown.
const ITEMS: [(&str, Text); 12] = [
    ("nausea", t("Nausea", "Náuseas")),
    ("vomiting", t("Vomiting", "Vómitos")),
    ("dizziness", t("Dizziness", "Mareo")),
    ("headache", t("Headache", "Dolor de cabeza")),
    ("drowsiness", t("Drowsiness", "Somnolencia")),
    (
        "blurred_vision",
        t("Blurred or double vision", "Visión borrosa o doble"),
    ),
    (
        "feeling_unreal",
        t("Feeling strange or unreal", "Sentirse extraño o irreal"),
    ),
    ("anxiety", t("Anxiety", "Ansiedad")),
    ("hallucinations", t("Hallucinations", "Alucinaciones")),
    ("bladder", t("Bladder pain or urgency", "Dolor o urgencia al orinar")),
    ("blood_in_urine", t("Blood in urine", "Sangre en la orina")),
    ("other", t("Other", "Otro")),
];

const RATING: [Text; 4] = [
    t("None", "Nada"),
    t("Mild", "Leve"),
    t("Moderate", "Moderado"),
    t("Severe", "Grave"),
];

pub fn definition() -> Instrument {
    let mut items: Vec<_> = ITEMS
        .iter()
        .map(|(id, text)| item(id, *text, ItemKind::SingleChoice, scale(&RATING)))
        .collect();
    items.push(
        item(
            "other_text",
            t("What was the other effect?", "¿Cuál fue el otro efecto?"),
            ItemKind::Text,
            Vec::new(),
        )
        .when_answered(
            "other >= 1",
            Condition {
                items: &["other"],
                equals: &[Answer::Int(1), Answer::Int(2), Answer::Int(3)],
            },
        )
        .optional(),
    );
    Instrument {
        code: InstrumentCode::KetamineSideEffects,
        name: t(
            "Side effects since the last ketamine session (checklist, not a validated instrument)",
            "Efectos secundarios desde la última sesión de ketamina (lista, no es un instrumento validado)",
        ),
        version: VERSION,
        licence: "written for this service; free to use. Not a validated instrument: a checklist for the clinician",
        restricted: false,
        citation: "Not validated. Uropathy items: ketamine-associated uropathy is described in long-term use (e.g. Morgan CJA, Curran HV. Addiction 2012;107:27-38)",
        recall_period: t("Since the last session", "Desde la última sesión"),
        instructions: t(
            "For each effect, choose how strong it has been.",
            "Para cada efecto, elija qué tan fuerte ha sido.",
        ),
        official_translation: false,
        items,
        rule_set: "KSE-2026.1",
        scoring: "Total = sum of the 12 ratings (0 none - 3 severe, 0-36). Flags: any item 3 -> severe_side_effect (warning, P); bladder pain or urgency >= 1 or blood in urine >= 1 -> possible_ketamine_uropathy (warning, G).",
        total_range: Some((0, 36)),
        bands: &[],
        loinc_total: None,
        loinc_panel: None,
    }
}

pub fn score(r: &mut Reader<'_>, _: &Cutoffs) -> Option<ScoreResult> {
    let ratings: Vec<Option<i64>> = ITEMS.iter().map(|(id, _)| r.int(id, 0, 3)).collect();
    r.opt_text("other_text", 200);
    let ratings: Vec<i64> = ratings.into_iter().collect::<Option<_>>()?;
    let rated = || ITEMS.iter().map(|(id, _)| *id).zip(ratings.iter().copied());
    let mut s =
        ScoreResult::new(InstrumentCode::KetamineSideEffects, VERSION, "KSE-2026.1").total_int(ratings.iter().sum());
    let severe: Vec<String> = rated().filter(|(_, v)| *v == 3).map(|(id, _)| r.path(id)).collect();
    if !severe.is_empty() {
        s.flags.push(Flag::new(
            "severe_side_effect",
            Severity::Warning,
            Source::P,
            "A side effect rated severe since the last session",
            severe,
        ));
    }
    let urinary: Vec<String> = rated()
        .filter(|(id, v)| matches!(*id, "bladder" | "blood_in_urine") && *v >= 1)
        .map(|(id, _)| r.path(id))
        .collect();
    if !urinary.is_empty() {
        s.flags.push(Flag::new(
            "possible_ketamine_uropathy",
            Severity::Warning,
            Source::G,
            "Bladder pain, urgency or blood in urine: ketamine-associated uropathy is described in long-term use; assess",
            urinary,
        ));
    }
    Some(s)
}

pub fn cutoffs(_: &Cutoffs) -> Vec<(&'static str, Value)> {
    Vec::new()
}

pub fn example() -> Value {
    json!({"nausea": 1, "vomiting": 0, "dizziness": 1, "headache": 0, "drowsiness": 2, "blurred_vision": 0,
        "feeling_unreal": 1, "anxiety": 0, "hallucinations": 0, "bladder": 0, "blood_in_urine": 0, "other": 0})
}
