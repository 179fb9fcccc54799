//! PCL-5 (Weathers 2013): definition and scoring.

use serde_json::{Value, json};

use super::code::InstrumentCode;
use super::common::{Module, items};
use super::form::{Instrument, ItemKind, VERSION, item, scale, t};
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
            "Repeated, disturbing, and unwanted memories of the stressful experience?",
            "¿Recuerdos repetidos, perturbadores y no deseados de la experiencia estresante?",
        ),
        t(
            "Repeated, disturbing dreams of the stressful experience?",
            "¿Sueños repetidos y perturbadores sobre la experiencia estresante?",
        ),
        t(
            "Suddenly feeling or acting as if the stressful experience were actually happening again (as if you were actually back there reliving it)?",
            "¿Sentir o actuar de repente como si la experiencia estresante estuviera ocurriendo de nuevo (como si estuviera allí reviviéndola)?",
        ),
        t(
            "Feeling very upset when something reminded you of the stressful experience?",
            "¿Sentirse muy alterado(a) cuando algo le recordaba la experiencia estresante?",
        ),
        t(
            "Having strong physical reactions when something reminded you of the stressful experience (for example, heart pounding, trouble breathing, sweating)?",
            "¿Tener reacciones físicas fuertes cuando algo le recordaba la experiencia estresante (por ejemplo, palpitaciones, dificultad para respirar, sudoración)?",
        ),
        t(
            "Avoiding memories, thoughts, or feelings related to the stressful experience?",
            "¿Evitar recuerdos, pensamientos o sentimientos relacionados con la experiencia estresante?",
        ),
        t(
            "Avoiding external reminders of the stressful experience (for example, people, places, conversations, activities, objects, or situations)?",
            "¿Evitar cosas externas que le recordaran la experiencia estresante (por ejemplo, personas, lugares, conversaciones, actividades, objetos o situaciones)?",
        ),
        t(
            "Trouble remembering important parts of the stressful experience?",
            "¿Dificultad para recordar partes importantes de la experiencia estresante?",
        ),
        t(
            "Having strong negative beliefs about yourself, other people, or the world (for example, having thoughts such as: I am bad, there is something seriously wrong with me, no one can be trusted, the world is completely dangerous)?",
            "¿Tener creencias negativas fuertes sobre usted mismo(a), otras personas o el mundo (por ejemplo, pensamientos como: soy malo(a), hay algo muy mal en mí, no se puede confiar en nadie, el mundo es completamente peligroso)?",
        ),
        t(
            "Blaming yourself or someone else for the stressful experience or what happened after it?",
            "¿Culparse a sí mismo(a) o a otra persona por la experiencia estresante o por lo que pasó después?",
        ),
        t(
            "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
            "¿Tener sentimientos negativos fuertes como miedo, horror, enojo, culpa o vergüenza?",
        ),
        t(
            "Loss of interest in activities that you used to enjoy?",
            "¿Pérdida de interés en actividades que antes disfrutaba?",
        ),
        t(
            "Feeling distant or cut off from other people?",
            "¿Sentirse distante o aislado(a) de otras personas?",
        ),
        t(
            "Trouble experiencing positive feelings (for example, being unable to feel happiness or have loving feelings for people close to you)?",
            "¿Dificultad para tener sentimientos positivos (por ejemplo, no poder sentir felicidad ni cariño por las personas cercanas)?",
        ),
        t(
            "Irritable behavior, angry outbursts, or acting aggressively?",
            "¿Comportamiento irritable, arrebatos de enojo o actuar de forma agresiva?",
        ),
        t(
            "Taking too many risks or doing things that could cause you harm?",
            "¿Correr demasiados riesgos o hacer cosas que podrían hacerle daño?",
        ),
        t(
            "Being \"superalert\" or watchful or on guard?",
            "¿Estar \"superalerta\", vigilante o en guardia?",
        ),
        t(
            "Feeling jumpy or easily startled?",
            "¿Sentirse nervioso(a) o sobresaltarse con facilidad?",
        ),
        t(
            "Having difficulty concentrating?",
            "¿Tener dificultad para concentrarse?",
        ),
        t(
            "Trouble falling or staying asleep?",
            "¿Dificultad para quedarse o permanecer dormido(a)?",
        ),
    ];
    let options = [
        t("Not at all", "Nada"),
        t("A little bit", "Un poco"),
        t("Moderately", "Moderadamente"),
        t("Quite a bit", "Bastante"),
        t("Extremely", "Extremadamente"),
    ];
    const IDS: [&str; 20] = [
        "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20",
    ];
    let items = texts
        .iter()
        .zip(IDS)
        .map(|(text, id)| item(id, *text, ItemKind::SingleChoice, scale(&options)))
        .collect();
    Instrument {
        code: InstrumentCode::Pcl5,
        name: t(
            "PTSD Checklist for DSM-5 (PCL-5)",
            "Lista de verificación del TEPT para el DSM-5 (PCL-5)",
        ),
        version: VERSION,
        licence: "U.S. Government work, public domain",
        restricted: false,
        citation: "Weathers FW, et al. 2013 (National Center for PTSD); Blevins CA, et al. J Trauma Stress 2015;28:489-98",
        recall_period: t("Past month", "Último mes"),
        instructions: t(
            "Below is a list of problems that people sometimes have in response to a very stressful experience. Please read each problem carefully and then select one of the numbers to indicate how much you have been bothered by that problem in the past month.",
            "A continuación hay una lista de problemas que las personas a veces tienen en respuesta a una experiencia muy estresante. Lea cada problema con atención y seleccione una opción para indicar cuánto le ha molestado ese problema en el último mes.",
        ),
        official_translation: false,
        items,
        rule_set: "PCL5-Weathers2013",
        scoring: "Total = sum of items 1-20 (0-80); cluster sums B (1-5), C (6-7), D (8-14), E (15-20). Two results: positive (probable PTSD) at the configured cut-off (default 33; 31-33 in current VA guidance), and the DSM-5 rule (an item counts at 2 or more; needs 1 B, 1 C, 2 D, 2 E). No severity bands.",
        total_range: Some((0, 80)),
        bands: &[],
        loinc_total: None,
        loinc_panel: None,
    }
}

/// PCL-5 (Weathers 2013; Blevins 2015): total 0–80, clusters B–E, cut-off and DSM-5 rule.
pub fn score(r: &mut Reader<'_>, c: &Cutoffs) -> Option<ScoreResult> {
    let v = items(r, 1, 20, 0, 4)?;
    let total: i64 = v.iter().sum();
    let sum = |a: usize, b: usize| v[a - 1..b].iter().sum::<i64>();
    let endorsed = |a: usize, b: usize| v[a - 1..b].iter().filter(|x| **x >= 2).count();
    let dsm5 = endorsed(1, 5) >= 1 && endorsed(6, 7) >= 1 && endorsed(8, 14) >= 2 && endorsed(15, 20) >= 2;
    let mut s = ScoreResult::new(InstrumentCode::Pcl5, VERSION, "PCL5-Weathers2013")
        .total_int(total)
        .sub("cluster_b", sum(1, 5))
        .sub("cluster_c", sum(6, 7))
        .sub("cluster_d", sum(8, 14))
        .sub("cluster_e", sum(15, 20))
        .sub("dsm5_rule_met", dsm5);
    s.positive = Some(total >= i64::from(c.pcl5_probable_ptsd));
    Some(s)
}

/// The cut-offs its rules use, as recorded on each result.
pub fn cutoffs(c: &Cutoffs) -> Vec<(&'static str, Value)> {
    vec![
        ("probable_ptsd", c.pcl5_probable_ptsd.into()),
        ("dsm5_item_endorsed", 2.into()),
    ]
}

/// A realistic answer set, shown in the OpenAPI document with its computed result.
pub fn example() -> Value {
    json!({"1": 2, "2": 1, "3": 1, "4": 3, "5": 2, "6": 3, "7": 2, "8": 0, "9": 2, "10": 2,
                         "11": 3, "12": 2, "13": 2, "14": 1, "15": 1, "16": 0, "17": 3, "18": 2, "19": 2, "20": 3})
}
