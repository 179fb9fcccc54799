//! C-SSRS screener: definition and scoring.

use serde_json::{Value, json};

use super::code::InstrumentCode;
use super::common::Module;
use super::form::{Answer, Condition, Instrument, ItemKind, VERSION, item, t, yes_no};
use crate::screening::answers::Reader;
use crate::screening::model::{Cutoffs, Flag, ScoreResult, Severity, Source};

pub const MODULE: Module = Module {
    definition,
    score,
    cutoffs,
    example,
};

/// Questions 3-5 follow a yes to question 2.
const Q2_YES: Condition = Condition {
    items: &["2"],
    equals: &[Answer::Bool(true)],
};

/// The questionnaire as it is shown and documented.
pub fn definition() -> Instrument {
    let q = |id: &'static str, en: &'static str, es: &'static str| item(id, t(en, es), ItemKind::Boolean, yes_no());
    let items = vec![
        q(
            "1",
            "Wished to be dead (past month)",
            "Deseo de estar muerto(a) (último mes)",
        ),
        q(
            "2",
            "Active thoughts of suicide (past month)",
            "Pensamientos activos de suicidio (último mes)",
        ),
        q("3", "Thought about how (method)", "Pensó en cómo hacerlo (método)")
            .when_answered("question 2 is yes", Q2_YES),
        q(
            "4",
            "Intention of acting on the thoughts",
            "Intención de actuar según esos pensamientos",
        )
        .when_answered("question 2 is yes", Q2_YES),
        q(
            "5",
            "Worked out details or a plan, with intent",
            "Elaboró detalles o un plan, con intención",
        )
        .when_answered("question 2 is yes", Q2_YES),
        q(
            "6",
            "Any suicidal behaviour (lifetime)",
            "Alguna conducta suicida (en la vida)",
        ),
        q("6b", "Was it within the past 3 months?", "¿Fue en los últimos 3 meses?").when_answered(
            "question 6 is yes",
            Condition {
                items: &["6"],
                equals: &[Answer::Bool(true)],
            },
        ),
    ];
    Instrument {
        code: InstrumentCode::CssrsScreen,
        name: t(
            "Columbia Suicide Severity Rating Scale, screener (C-SSRS)",
            "Escala Columbia para evaluar el riesgo de suicidio, versión de detección (C-SSRS)",
        ),
        version: VERSION,
        licence: "restricted: use under the Columbia Lighthouse Project's terms",
        restricted: true,
        citation: "Posner K, et al. Am J Psychiatry 2011;168:1266-77",
        recall_period: t(
            "Past month; behaviour lifetime and past 3 months",
            "Último mes; conducta en la vida y últimos 3 meses",
        ),
        instructions: t(
            "Paraphrased labels; the licensed wording is supplied with the licence.",
            "Etiquetas parafraseadas; el texto con licencia se entrega con la licencia.",
        ),
        official_translation: false,
        items,
        rule_set: "CSSRS-screener",
        scoring: "Questions 3-5 only when question 2 is yes; 6b only when 6 is yes. High: 4 or 5 yes, or 6b yes (urgent flag suicide_risk_high). Moderate: 3 yes, or 6 yes more than 3 months ago (warning suicide_risk_moderate). Low: only 1 or 2 yes. Negative: all no.",
        total_range: None,
        bands: &[],
        loinc_total: None,
        loinc_panel: None,
    }
}

/// C-SSRS screener: Q3–Q5 only after Q2 yes; Q6b only after Q6 yes.
pub fn score(r: &mut Reader<'_>, _: &Cutoffs) -> Option<ScoreResult> {
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
    let mut s = ScoreResult::new(InstrumentCode::CssrsScreen, VERSION, "CSSRS-screener");
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

/// No configurable cut-offs.
pub fn cutoffs(_: &Cutoffs) -> Vec<(&'static str, Value)> {
    Vec::new()
}

/// A realistic answer set, shown in the OpenAPI document with its computed result.
pub fn example() -> Value {
    json!({"1": true, "2": false, "6": false})
}
