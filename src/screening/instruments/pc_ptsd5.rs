//! PC-PTSD-5 (Prins 2016): definition and scoring.

use serde_json::{Value, json};

use super::code::InstrumentCode;
use super::common::Module;
use super::form::{Answer, Condition, Instrument, ItemKind, VERSION, item, t, yes_no};
use crate::screening::answers::Reader;
use crate::screening::model::{Cutoffs, ScoreResult};

pub const MODULE: Module = Module {
    definition,
    score,
    cutoffs,
    example,
};

/// Items 1-5 are asked after a yes to the exposure question.
const EXPOSED: Condition = Condition {
    items: &["trauma_exposure"],
    equals: &[Answer::Bool(true)],
};

/// The questionnaire as it is shown and documented.
pub fn definition() -> Instrument {
    let mut items = vec![item(
        "trauma_exposure",
        t(
            "Sometimes things happen to people that are unusually or especially frightening, horrible, or traumatic. For example: a serious accident or fire; a physical or sexual assault or abuse; an earthquake or flood; a war; seeing someone be killed or seriously injured; having a loved one die through homicide or suicide. Have you ever experienced this kind of event?",
            "A veces a las personas les suceden cosas inusuales o especialmente aterradoras, horribles o traumáticas. Por ejemplo: un accidente grave o un incendio; una agresión o abuso físico o sexual; un terremoto o una inundación; una guerra; ver a alguien morir o resultar gravemente herido; que un ser querido muera por homicidio o suicidio. ¿Alguna vez ha vivido este tipo de evento?",
        ),
        ItemKind::Boolean,
        yes_no(),
    )];
    let texts = [
        t(
            "had nightmares about the event(s) or thought about the event(s) when you did not want to?",
            "ha tenido pesadillas sobre el evento o los eventos, o ha pensado en ellos cuando no quería?",
        ),
        t(
            "tried hard not to think about the event(s) or went out of your way to avoid situations that reminded you of the event(s)?",
            "se ha esforzado por no pensar en el evento o los eventos, o ha hecho todo lo posible por evitar situaciones que se los recordaran?",
        ),
        t(
            "been constantly on guard, watchful, or easily startled?",
            "ha estado constantemente en guardia, alerta o se ha sobresaltado con facilidad?",
        ),
        t(
            "felt numb or detached from people, activities, or your surroundings?",
            "se ha sentido insensible o desconectado(a) de las personas, de las actividades o de su entorno?",
        ),
        t(
            "felt guilty or unable to stop blaming yourself or others for the event(s) or any problems the event(s) may have caused?",
            "se ha sentido culpable o incapaz de dejar de culparse a sí mismo(a) o a otros por el evento o los eventos, o por los problemas que hayan podido causar?",
        ),
    ];
    items.extend(texts.iter().zip(["1", "2", "3", "4", "5"]).map(|(text, id)| {
        item(id, *text, ItemKind::Boolean, yes_no()).when_answered("trauma_exposure is true", EXPOSED)
    }));
    Instrument {
        code: InstrumentCode::PcPtsd5,
        name: t(
            "Primary Care PTSD Screen for DSM-5 (PC-PTSD-5)",
            "Prueba de detección de TEPT en atención primaria para el DSM-5 (PC-PTSD-5)",
        ),
        version: VERSION,
        licence: "U.S. Department of Veterans Affairs work, free to use",
        restricted: false,
        citation: "Prins A, et al. J Gen Intern Med 2016;31:1206-11",
        recall_period: t("Past month", "Último mes"),
        instructions: t("In the past month, have you...", "En el último mes, ¿usted..."),
        official_translation: false,
        items,
        rule_set: "PCPTSD5-Prins2016",
        scoring: "If trauma_exposure is false the score is 0 and items 1-5 must be absent. Otherwise score = number of yes answers to items 1-5 (0-5); positive at the configured cut-off (default 3; 4 is the most efficient cut-point, Bovin 2021). A positive screen makes the PCL-5 required.",
        total_range: Some((0, 5)),
        bands: &[],
        loinc_total: None,
        loinc_panel: None,
    }
}

/// PC-PTSD-5 (Prins 2016): gate question, then five yes/no items; score = count of yes.
pub fn score(r: &mut Reader<'_>, c: &Cutoffs) -> Option<ScoreResult> {
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
    let mut s = ScoreResult::new(InstrumentCode::PcPtsd5, VERSION, "PCPTSD5-Prins2016")
        .total_int(score)
        .sub("trauma_exposure", exposure?);
    s.positive = Some(score >= i64::from(c.pc_ptsd5_positive));
    Some(s)
}

/// The cut-offs its rules use, as recorded on each result.
pub fn cutoffs(c: &Cutoffs) -> Vec<(&'static str, Value)> {
    vec![("positive", c.pc_ptsd5_positive.into())]
}

/// A realistic answer set, shown in the OpenAPI document with its computed result.
pub fn example() -> Value {
    json!({"trauma_exposure": true, "1": true, "2": true, "3": true, "4": false, "5": false})
}
