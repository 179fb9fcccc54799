//! ACR 2016 fibromyalgia criteria (Wolfe 2016): definition and scoring.

use serde_json::{Value, json};

use super::code::InstrumentCode;
use super::common::{Module, band};
use super::form::{Instrument, ItemKind, VERSION, choice, item, scale, t, yes_no};
use crate::screening::answers::Reader;
use crate::screening::model::{Cutoffs, ScoreResult, Text};

pub const MODULE: Module = Module {
    definition,
    score,
    cutoffs,
    example,
};

/// The questionnaire as it is shown and documented.
pub fn definition() -> Instrument {
    debug_assert!(AREA_LABELS.iter().zip(WPI_AREAS.iter()).all(|(a, b)| a.0 == b.0));
    let severity = || {
        scale(&[
            t("No problem", "Ningún problema"),
            t(
                "Slight or mild problems; generally mild or intermittent",
                "Problemas leves; en general leves o intermitentes",
            ),
            t(
                "Moderate; considerable problems; often present and/or at a moderate level",
                "Moderados; problemas considerables; a menudo presentes o de nivel moderado",
            ),
            t(
                "Severe: pervasive, continuous, life-disturbing problems",
                "Graves: problemas generalizados, continuos, que alteran la vida",
            ),
        ])
    };
    let items = vec![
        item(
            "painful_areas",
            t(
                "Check each area where you have had pain over the past week (none is a valid answer).",
                "Marque cada zona en la que haya tenido dolor durante la última semana (ninguna es una respuesta válida).",
            ),
            ItemKind::MultiChoice,
            AREA_LABELS
                .iter()
                .map(|(id, label)| choice(json!(id), *label))
                .collect(),
        ),
        item(
            "fatigue",
            t("Fatigue, over the past week", "Cansancio, durante la última semana"),
            ItemKind::SingleChoice,
            severity(),
        ),
        item(
            "waking_unrefreshed",
            t(
                "Waking unrefreshed, over the past week",
                "Despertar sin sentirse descansado(a), durante la última semana",
            ),
            ItemKind::SingleChoice,
            severity(),
        ),
        item(
            "cognitive",
            t(
                "Cognitive symptoms (trouble thinking or remembering), over the past week",
                "Síntomas cognitivos (dificultad para pensar o recordar), durante la última semana",
            ),
            ItemKind::SingleChoice,
            severity(),
        ),
        item(
            "headaches",
            t(
                "During the past 6 months, have you had headaches?",
                "Durante los últimos 6 meses, ¿ha tenido dolores de cabeza?",
            ),
            ItemKind::Boolean,
            yes_no(),
        ),
        item(
            "lower_abdominal_pain",
            t(
                "During the past 6 months, have you had pain or cramps in the lower abdomen?",
                "Durante los últimos 6 meses, ¿ha tenido dolor o cólicos en la parte baja del abdomen?",
            ),
            ItemKind::Boolean,
            yes_no(),
        ),
        item(
            "depression",
            t(
                "During the past 6 months, have you had depression?",
                "Durante los últimos 6 meses, ¿ha tenido depresión?",
            ),
            ItemKind::Boolean,
            yes_no(),
        ),
        item(
            "symptom_duration_months",
            t(
                "For how many months have these symptoms been present at a similar level?",
                "¿Durante cuántos meses han estado presentes estos síntomas con una intensidad similar?",
            ),
            ItemKind::Integer,
            Vec::new(),
        )
        .range(0, 1200),
    ];
    Instrument {
        code: InstrumentCode::Fm2016,
        name: t(
            "ACR 2016 fibromyalgia criteria (WPI and SSS)",
            "Criterios ACR 2016 de fibromialgia (WPI y SSS)",
        ),
        version: VERSION,
        licence: "published criteria",
        restricted: false,
        citation: "Wolfe F, et al. Semin Arthritis Rheum 2016;46:319-29; FS categories Wolfe 2015",
        recall_period: t(
            "Past week; past 6 months for the three symptoms",
            "Última semana; últimos 6 meses para los tres síntomas",
        ),
        instructions: t(
            "Answer about the past week unless the question says otherwise.",
            "Responda sobre la última semana salvo que la pregunta indique otra cosa.",
        ),
        official_translation: false,
        items,
        rule_set: "ACR2016",
        scoring: "WPI = painful areas (0-19). SSS = fatigue + waking unrefreshed + cognitive (0-3 each) + 1 each for headaches, lower-abdominal pain, depression (0-12). Criteria met when (WPI >= 7 and SSS >= 5) or (WPI 4-6 and SSS >= 9), pain in >= 4 of 5 regions (jaw, chest and abdomen do not count towards regions), and symptoms >= 3 months. FS = WPI + SSS (0-31): 0-3 none, 4-7 mild, 8-11 moderate, 12-19 severe, 20-31 very severe.",
        total_range: Some((0, 31)),
        bands: &[
            ("none", 0, 3),
            ("mild", 4, 7),
            ("moderate", 8, 11),
            ("severe", 12, 19),
            ("very_severe", 20, 31),
        ],
        loinc_total: None,
        loinc_panel: None,
    }
}

const AREA_LABELS: [(&str, Text); 19] = [
    ("jaw_left", t("Jaw, left", "Mandíbula, izquierda")),
    ("shoulder_girdle_left", t("Shoulder girdle, left", "Hombro, izquierdo")),
    ("upper_arm_left", t("Upper arm, left", "Brazo, izquierdo")),
    ("lower_arm_left", t("Lower arm, left", "Antebrazo, izquierdo")),
    ("jaw_right", t("Jaw, right", "Mandíbula, derecha")),
    ("shoulder_girdle_right", t("Shoulder girdle, right", "Hombro, derecho")),
    ("upper_arm_right", t("Upper arm, right", "Brazo, derecho")),
    ("lower_arm_right", t("Lower arm, right", "Antebrazo, derecho")),
    (
        "hip_left",
        t(
            "Hip (buttock, trochanter), left",
            "Cadera (glúteo, trocánter), izquierda",
        ),
    ),
    ("upper_leg_left", t("Upper leg, left", "Muslo, izquierdo")),
    ("lower_leg_left", t("Lower leg, left", "Pierna, izquierda")),
    (
        "hip_right",
        t(
            "Hip (buttock, trochanter), right",
            "Cadera (glúteo, trocánter), derecha",
        ),
    ),
    ("upper_leg_right", t("Upper leg, right", "Muslo, derecho")),
    ("lower_leg_right", t("Lower leg, right", "Pierna, derecha")),
    ("neck", t("Neck", "Cuello")),
    ("upper_back", t("Upper back", "Espalda alta")),
    ("lower_back", t("Lower back", "Espalda baja")),
    ("chest", t("Chest", "Pecho")),
    ("abdomen", t("Abdomen", "Abdomen")),
];

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
pub fn score(r: &mut Reader<'_>, _: &Cutoffs) -> Option<ScoreResult> {
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
    let mut s = ScoreResult::new(InstrumentCode::Fm2016, VERSION, "ACR2016")
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

/// The cut-offs its rules use, as recorded on each result.
pub fn cutoffs(_: &Cutoffs) -> Vec<(&'static str, Value)> {
    vec![
        ("wpi_sss", json!([[7, 5], [4, 9]])),
        ("regions", 4.into()),
        ("duration_months", 3.into()),
    ]
}

/// A realistic answer set, shown in the OpenAPI document with its computed result.
pub fn example() -> Value {
    json!({"painful_areas": ["shoulder_girdle_left", "shoulder_girdle_right", "upper_arm_left", "hip_left",
                                             "hip_right", "lower_leg_right", "neck", "upper_back", "lower_back", "jaw_left"],
                           "fatigue": 3, "waking_unrefreshed": 2, "cognitive": 2, "headaches": true,
                           "lower_abdominal_pain": false, "depression": true, "symptom_duration_months": 26})
}
