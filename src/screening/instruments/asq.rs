//! ASQ (NIMH, Horowitz 2020): definition and scoring.

use serde_json::{Value, json};

use super::code::InstrumentCode;
use super::common::Module;
use super::form::{Answer, Condition, Instrument, ItemKind, VERSION, choice, item, t};
use crate::screening::answers::Reader;
use crate::screening::model::{Cutoffs, Flag, ScoreResult, Severity, Source};

pub const MODULE: Module = Module {
    definition,
    score,
    cutoffs,
    example,
};

/// The questionnaire as it is shown and documented.
pub fn definition() -> Instrument {
    let ynr = || {
        vec![
            choice(json!("yes"), t("Yes", "Sí")),
            choice(json!("no"), t("No", "No")),
            choice(json!("refused"), t("Prefer not to answer", "Prefiero no contestar")),
        ]
    };
    let items = vec![
        item(
            "1",
            t(
                "In the past few weeks, have you wished you were dead?",
                "En las últimas semanas, ¿ha deseado estar muerto(a)?",
            ),
            ItemKind::SingleChoice,
            ynr(),
        ),
        item(
            "2",
            t(
                "In the past few weeks, have you felt that you or your family would be better off if you were dead?",
                "En las últimas semanas, ¿ha sentido que usted o su familia estarían mejor si usted estuviera muerto(a)?",
            ),
            ItemKind::SingleChoice,
            ynr(),
        ),
        item(
            "3",
            t(
                "In the past week, have you been having thoughts about killing yourself?",
                "En la última semana, ¿ha pensado en suicidarse?",
            ),
            ItemKind::SingleChoice,
            ynr(),
        ),
        item(
            "4",
            t(
                "Have you ever tried to kill yourself?",
                "¿Alguna vez ha intentado suicidarse?",
            ),
            ItemKind::SingleChoice,
            ynr(),
        ),
        item(
            "5",
            t(
                "Are you having thoughts of killing yourself right now?",
                "¿Está pensando en suicidarse en este momento?",
            ),
            ItemKind::SingleChoice,
            vec![choice(json!("yes"), t("Yes", "Sí")), choice(json!("no"), t("No", "No"))],
        )
        .when_answered(
            "any of items 1-4 is yes or refused",
            Condition {
                items: &["1", "2", "3", "4"],
                equals: &[Answer::Code("yes"), Answer::Code("refused")],
            },
        ),
    ];
    Instrument {
        code: InstrumentCode::Asq,
        name: t(
            "Ask Suicide-Screening Questions (ASQ)",
            "Preguntas de Detección del Riesgo de Suicidio (ASQ)",
        ),
        version: VERSION,
        licence: "NIMH, free to use",
        restricted: false,
        citation: "Horowitz LM, et al. Psychosomatics 2020;61:713-22",
        recall_period: t(
            "Past few weeks; item 5: right now",
            "Últimas semanas; pregunta 5: en este momento",
        ),
        instructions: t(
            "Please answer each question. If you are having thoughts of harming yourself right now, tell a staff member or call 988.",
            "Conteste cada pregunta. Si en este momento tiene pensamientos de hacerse daño, avise al personal o llame al 988.",
        ),
        official_translation: false,
        items,
        rule_set: "ASQ-NIMH2020",
        scoring: "Items 1-4: yes, no or refused (refused counts as yes). All no: negative, item 5 not asked. Any yes or refusal: positive, item 5 required: yes = acute positive (urgent flag suicide_risk_acute), no = non-acute positive (warning suicide_risk_nonacute). Required at every intake.",
        total_range: None,
        bands: &[],
        loinc_total: None,
        loinc_panel: None,
    }
}

/// ASQ (NIMH, Horowitz 2020): any yes or refusal on items 1–4 is positive; item 5 then decides
/// acute versus non-acute.
pub fn score(r: &mut Reader<'_>, _: &Cutoffs) -> Option<ScoreResult> {
    const YNR: [&str; 3] = ["yes", "no", "refused"];
    let v: Vec<Option<&str>> = (1..=4).map(|i| r.choice(&i.to_string(), &YNR)).collect();
    let v: Vec<&str> = v.into_iter().collect::<Option<_>>()?;
    let positive = v.iter().any(|a| *a != "no");
    let mut s = ScoreResult::new(InstrumentCode::Asq, VERSION, "ASQ-NIMH2020");
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

/// No configurable cut-offs.
pub fn cutoffs(_: &Cutoffs) -> Vec<(&'static str, Value)> {
    Vec::new()
}

/// A realistic answer set, shown in the OpenAPI document with its computed result.
pub fn example() -> Value {
    json!({"1": "yes", "2": "no", "3": "no", "4": "no", "5": "no"})
}
