//! Budapest clinical criteria for CRPS (Harden 2010): definition and scoring.

use serde_json::{Value, json};

use super::code::InstrumentCode;
use super::common::Module;
use super::form::{Instrument, ItemKind, VERSION, item, t, yes_no};
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
    let symptom =
        |key: &'static str, en: &'static str, es: &'static str| item(key, t(en, es), ItemKind::Boolean, yes_no());
    let mut items = vec![item(
        "disproportionate_pain",
        t(
            "Is your pain continuing and out of proportion to the original injury or event?",
            "¿Su dolor continúa y es desproporcionado respecto a la lesión o el evento original?",
        ),
        ItemKind::Boolean,
        yes_no(),
    )];
    let categories = [
        (
            "sensory",
            "Increased sensitivity, or pain from light touch, clothing or temperature, in the affected area",
            "Mayor sensibilidad, o dolor con el roce leve, la ropa o la temperatura, en la zona afectada",
            "Hyperesthesia (to pinprick) and/or allodynia (to light touch, temperature, deep pressure or joint movement)",
            "Hiperestesia (al pinchazo) y/o alodinia (al tacto leve, la temperatura, la presión profunda o el movimiento articular)",
        ),
        (
            "vasomotor",
            "A temperature difference between the affected limb and the other side, or changes in skin colour",
            "Diferencia de temperatura entre la extremidad afectada y el otro lado, o cambios en el color de la piel",
            "Temperature asymmetry (> 1 °C) and/or skin colour changes or asymmetry",
            "Asimetría de temperatura (> 1 °C) y/o cambios o asimetría del color de la piel",
        ),
        (
            "sudomotor_edema",
            "Swelling, or changes in sweating or a sweating difference, in the affected area",
            "Hinchazón, o cambios o diferencias en la sudoración, en la zona afectada",
            "Oedema and/or sweating changes or asymmetry",
            "Edema y/o cambios o asimetría de la sudoración",
        ),
        (
            "motor_trophic",
            "Stiffness or reduced movement, weakness, tremor or abnormal posture, or changes in hair, nails or skin",
            "Rigidez o menor movilidad, debilidad, temblor o postura anormal, o cambios en el vello, las uñas o la piel",
            "Reduced range of motion and/or motor dysfunction (weakness, tremor, dystonia) and/or trophic changes (hair, nail, skin)",
            "Menor amplitud de movimiento y/o disfunción motora (debilidad, temblor, distonía) y/o cambios tróficos (vello, uñas, piel)",
        ),
    ];
    const SYMPTOM_IDS: [&str; 4] = [
        "symptoms.sensory",
        "symptoms.vasomotor",
        "symptoms.sudomotor_edema",
        "symptoms.motor_trophic",
    ];
    const SIGN_IDS: [&str; 4] = [
        "signs.sensory",
        "signs.vasomotor",
        "signs.sudomotor_edema",
        "signs.motor_trophic",
    ];
    for ((_, en, es, _, _), id) in categories.iter().zip(SYMPTOM_IDS) {
        items.push(symptom(id, en, es));
    }
    for ((_, _, _, en, es), id) in categories.iter().zip(SIGN_IDS) {
        items.push(
            symptom(id, en, es)
                .clinician()
                .when("recorded by a clinician at examination"),
        );
    }
    items.push(
        item(
            "other_diagnosis_explains",
            t(
                "Does another diagnosis better explain the signs and symptoms?",
                "¿Otro diagnóstico explica mejor los signos y síntomas?",
            ),
            ItemKind::Boolean,
            yes_no(),
        )
        .clinician()
        .when("recorded by a clinician at examination"),
    );
    Instrument {
        code: InstrumentCode::CrpsBudapest,
        name: t(
            "Budapest clinical criteria for CRPS",
            "Criterios clínicos de Budapest para el SDRC",
        ),
        version: VERSION,
        licence: "published criteria",
        restricted: false,
        citation: "Harden RN, et al. Pain 2010;150:268-74",
        recall_period: t("Currently", "Actualmente"),
        instructions: t(
            "Answer about the affected limb. Signs are examined by your clinician at the visit.",
            "Responda sobre la extremidad afectada. Los signos los examinará su médico en la consulta.",
        ),
        official_translation: false,
        items,
        rule_set: "Budapest2010-clinical",
        scoring: "Met when: continuing disproportionate pain; a symptom in >= 3 of 4 categories (patient); a sign in >= 2 of 4 categories (clinician); no other diagnosis better explains it (clinician). Until the clinician records the signs and the other-diagnosis answer the result is pending_clinician_exam, never not_met. Research criteria (subscales.research_criteria): met when the clinical criteria are met and symptoms are reported in all 4 categories; pending_clinician_exam until the exam, like the result.",
        total_range: None,
        bands: &[],
        loinc_total: None,
        loinc_panel: None,
    }
}

const BUDAPEST_CATEGORIES: [&str; 4] = ["sensory", "vasomotor", "sudomotor_edema", "motor_trophic"];

fn categories(r: &mut Reader<'_>, id: &str, required: bool) -> Option<Option<i64>> {
    if !r.is_present(id) {
        if required {
            r.bool(id); // records "required"
            return None;
        }
        r.touch(id);
        return Some(None);
    }
    let mut child = r.nested(id)?;
    let v: Vec<Option<bool>> = BUDAPEST_CATEGORIES.iter().map(|k| child.bool(k)).collect();
    r.absorb(child);
    let v: Vec<bool> = v.into_iter().collect::<Option<_>>()?;
    Some(Some(v.iter().filter(|b| **b).count() as i64))
}

/// Budapest clinical criteria (Harden 2010). Signs and "another diagnosis explains it" come from
/// the clinician; until both are recorded the result is `pending_clinician_exam`.
pub fn score(r: &mut Reader<'_>, _: &Cutoffs) -> Option<ScoreResult> {
    let disproportionate = r.bool("disproportionate_pain");
    let symptoms = categories(r, "symptoms", true);
    let signs = categories(r, "signs", false);
    let other_dx = r.opt_bool("other_diagnosis_explains");
    let (disproportionate, symptoms, signs) = (disproportionate?, symptoms??, signs?);
    let mut s = ScoreResult::new(InstrumentCode::CrpsBudapest, VERSION, "Budapest2010-clinical")
        .sub("symptom_categories", symptoms)
        .sub("sign_categories", signs.map_or(Value::Null, Value::from))
        .sub("research_symptom_criterion", symptoms == 4)
        .sub("patient_reported_part_met", disproportionate && symptoms >= 3);
    let (result, research) = match (signs, other_dx) {
        (Some(signs), Some(other)) => {
            let met = disproportionate && symptoms >= 3 && signs >= 2 && !other;
            s.positive = Some(met);
            // Research criteria: every clinical criterion and symptoms in all 4 categories.
            let research = met && symptoms == 4;
            (
                if met { "met" } else { "not_met" },
                if research { "met" } else { "not_met" },
            )
        }
        _ => ("pending_clinician_exam", "pending_clinician_exam"),
    };
    s.result = Some(result.into());
    s.subscales.insert("research_criteria".into(), research.into());
    Some(s)
}

/// The cut-offs its rules use, as recorded on each result.
pub fn cutoffs(_: &Cutoffs) -> Vec<(&'static str, Value)> {
    vec![("symptom_categories", 3.into()), ("sign_categories", 2.into())]
}

/// A realistic answer set, shown in the OpenAPI document with its computed result.
pub fn example() -> Value {
    json!({"disproportionate_pain": true,
                                  "symptoms": {"sensory": true, "vasomotor": true, "sudomotor_edema": true, "motor_trophic": false},
                                  "signs": null, "other_diagnosis_explains": null})
}
