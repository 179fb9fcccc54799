//! The instruments as FHIR R4 Questionnaires (HL7 SDC): what form renderers (LHC-Forms, Smart
//! Forms) need to show them. Our scoring stays the authority; `itemWeight` only tells a renderer
//! the points of an answer. Pure: built from the catalogue.

use serde_json::{Value, json};

use super::systems::{LOINC, QUESTIONNAIRE_BASE};
use crate::screening::catalogue::{Choice, Instrument, Item, ItemKind};
use crate::screening::instruments::InstrumentCode;
use crate::screening::instruments::form::Answer;
use crate::screening::model::{Lang, Text};

/// SDC's weight of an answer option (FHIR core extension, used by SDC scoring).
pub const ITEM_WEIGHT: &str = "http://hl7.org/fhir/StructureDefinition/itemWeight";
const MIN_VALUE: &str = "http://hl7.org/fhir/StructureDefinition/minValue";
const MAX_VALUE: &str = "http://hl7.org/fhir/StructureDefinition/maxValue";

/// The Questionnaire's canonical url (the `questionnaire` of the responses we export and take).
pub fn canonical(code: InstrumentCode) -> String {
    format!("{QUESTIONNAIRE_BASE}/{}", resource_id(code))
}

/// The instrument a canonical url names, with or without `|version` (the id or code form).
pub fn named_by(url: &str) -> Option<InstrumentCode> {
    let url = url.split_once('|').map_or(url, |(u, _)| u);
    parse_id(url.strip_prefix(QUESTIONNAIRE_BASE)?.strip_prefix('/')?)
}

/// The code system of an instrument's answer codes: the code is the answer's value in our wire
/// format (`0`, `yes`, `widespread`), so a response maps back without a table.
pub fn answer_system(code: InstrumentCode) -> String {
    format!("{}/answers", canonical(code))
}

/// A FHIR id (`[A-Za-z0-9\-.]{1,64}`) for an instrument code (which may hold `_`).
pub fn resource_id(code: InstrumentCode) -> String {
    code.as_str().replace('_', "-")
}

/// The instrument a path segment names: its code (`pc_ptsd5`) or its resource id (`pc-ptsd5`).
pub fn parse_id(segment: &str) -> Option<InstrumentCode> {
    InstrumentCode::parse(segment).or_else(|| InstrumentCode::parse(&segment.replace('-', "_")))
}

/// A computable name (`^[A-Z][A-Za-z0-9_]*$`): `pc_ptsd5` → `PcPtsd5`.
fn computable_name(code: InstrumentCode) -> String {
    code.as_str()
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// LOINC codes of single items, where LOINC has them (the PHQ-9 and GAD-7 panels).
fn item_loinc(code: InstrumentCode, item: &str) -> Option<&'static str> {
    const PHQ9: [&str; 10] = [
        "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8", "69722-7",
    ];
    const GAD7: [&str; 7] = [
        "69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7",
    ];
    let n: usize = item.parse().ok()?;
    match code {
        InstrumentCode::Phq9 => PHQ9.get(n.checked_sub(1)?).copied(),
        InstrumentCode::Gad7 => GAD7.get(n.checked_sub(1)?).copied(),
        _ => None,
    }
}

/// The text of a group that holds items `prefix.*`.
fn group_text(prefix: &str) -> Text {
    match prefix {
        "symptoms" => Text {
            en: "Symptoms the patient reports",
            es: "Síntomas que refiere el paciente",
        },
        "signs" => Text {
            en: "Signs at examination",
            es: "Signos en la exploración",
        },
        "exam" => Text {
            en: "Examination",
            es: "Exploración",
        },
        _ => Text { en: "", es: "" },
    }
}

/// The answer code of an option value.
pub fn answer_code(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn option(inst: InstrumentCode, o: &Choice, lang: Lang) -> Value {
    let mut opt = json!({"valueCoding": {
        "system": answer_system(inst),
        "code": answer_code(&o.value),
        "display": o.label.get(lang),
    }});
    if let Some(w) = o.value.as_i64() {
        opt["extension"] = json!([{"url": ITEM_WEIGHT, "valueDecimal": w}]);
    }
    opt
}

fn enable_when(inst: &Instrument, item: &Item) -> Option<(Vec<Value>, bool)> {
    let c = item.condition?;
    let mut list = Vec::new();
    for question in c.items {
        let target = inst.items.iter().find(|i| i.id == *question)?;
        for answer in c.equals {
            let value = match (target.kind, answer) {
                (ItemKind::Boolean, Answer::Bool(b)) => json!({"answerBoolean": b}),
                (_, Answer::Int(n)) if target.kind != ItemKind::Boolean => json!({"answerCoding": {
                    "system": answer_system(inst.code), "code": n.to_string()}}),
                (_, Answer::Code(s)) => json!({"answerCoding": {"system": answer_system(inst.code), "code": s}}),
                _ => return None,
            };
            let mut w = json!({"question": question, "operator": "="});
            for (k, v) in value.as_object()? {
                w[k] = v.clone();
            }
            list.push(w);
        }
    }
    let any = list.len() > 1;
    Some((list, any))
}

fn item(inst: &Instrument, it: &Item, lang: Lang) -> Value {
    let kind = match it.kind {
        ItemKind::SingleChoice | ItemKind::MultiChoice => "choice",
        ItemKind::Boolean => "boolean",
        ItemKind::Integer => "integer",
        ItemKind::Text => "string",
    };
    let mut q = json!({
        "linkId": it.id,
        "text": it.text.get(lang),
        "type": kind,
        // Items recorded by a clinician at examination are not the respondent's to answer.
        "required": !it.optional && !it.clinician,
    });
    if let Some(code) = item_loinc(inst.code, it.id) {
        q["code"] = json!([{"system": LOINC, "code": code}]);
    }
    if it.kind == ItemKind::MultiChoice {
        q["repeats"] = json!(true);
    }
    if matches!(it.kind, ItemKind::SingleChoice | ItemKind::MultiChoice) {
        q["answerOption"] = it.options.iter().map(|o| option(inst.code, o, lang)).collect();
    }
    let mut extensions = Vec::new();
    if let Some(min) = it.min {
        extensions.push(json!({"url": MIN_VALUE, "valueInteger": min}));
    }
    if let Some(max) = it.max {
        extensions.push(json!({"url": MAX_VALUE, "valueInteger": max}));
    }
    if !extensions.is_empty() {
        q["extension"] = json!(extensions);
    }
    if let Some((conditions, any)) = enable_when(inst, it) {
        q["enableWhen"] = json!(conditions);
        if any {
            q["enableBehavior"] = json!("any");
        }
    }
    q
}

/// Items in catalogue order; ids `a.b` go into a group `a` (as the responses we export nest them).
fn items(inst: &Instrument, lang: Lang) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for it in &inst.items {
        let q = item(inst, it, lang);
        let Some((prefix, _)) = it.id.split_once('.') else {
            out.push(q);
            continue;
        };
        match out.last_mut() {
            Some(group) if group["linkId"] == prefix && group["type"] == "group" => {
                if let Some(list) = group["item"].as_array_mut() {
                    list.push(q);
                }
            }
            _ => {
                let mut group = json!({"linkId": prefix, "type": "group", "item": [q]});
                let text = group_text(prefix).get(lang);
                if !text.is_empty() {
                    group["text"] = json!(text);
                }
                out.push(group);
            }
        }
    }
    out
}

/// One instrument as an R4 Questionnaire in `lang`.
pub fn questionnaire(inst: &Instrument, lang: Lang) -> Value {
    let mut q = json!({
        "resourceType": "Questionnaire",
        "id": resource_id(inst.code),
        "language": match lang { Lang::En => "en", Lang::Es => "es" },
        "url": canonical(inst.code),
        "version": inst.version,
        "name": computable_name(inst.code),
        "title": inst.name.get(lang),
        "status": "active",
        "subjectType": ["Patient"],
        "description": format!("{} ({})", inst.instructions.get(lang), inst.recall_period.get(lang)),
        "copyright": format!("{}. {}", inst.licence, inst.citation),
        "item": items(inst, lang),
    });
    if let Some(panel) = inst.loinc_panel {
        q["code"] = json!([{"system": LOINC, "code": panel}]);
    }
    q
}

/// The enabled instruments as a `searchset` Bundle; `base` is the server's FHIR base URL.
pub fn searchset(list: &[&Instrument], lang: Lang, base: &str) -> Value {
    let entries: Vec<Value> = list
        .iter()
        .map(|inst| {
            json!({
                "fullUrl": format!("{base}/Questionnaire/{}", resource_id(inst.code)),
                "resource": questionnaire(inst, lang),
                "search": {"mode": "match"},
            })
        })
        .collect();
    json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": entries.len(),
        "entry": entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screening::catalogue::{CATALOGUE, find};

    fn all_items(items: &[Value]) -> Vec<&Value> {
        items
            .iter()
            .flat_map(|i| match i["item"].as_array() {
                Some(children) => all_items(children),
                None => vec![i],
            })
            .collect()
    }

    #[test]
    fn phq9_carries_loinc_weights_and_its_optional_item() {
        let q = questionnaire(find(InstrumentCode::Phq9), Lang::En);
        assert_eq!(q["url"], "https://intake.example.org/fhir/Questionnaire/phq9");
        assert_eq!(q["version"], "1.0");
        assert_eq!(q["code"][0]["code"], "44249-1");
        assert_eq!(q["item"][0]["linkId"], "1");
        assert_eq!(q["item"][0]["code"][0]["code"], "44250-9");
        assert_eq!(q["item"][8]["code"][0]["code"], "44260-8");
        let options = q["item"][8]["answerOption"].as_array().unwrap();
        assert_eq!(options.len(), 4);
        assert_eq!(options[3]["valueCoding"]["code"], "3");
        assert_eq!(options[3]["valueCoding"]["display"], "Nearly every day");
        assert_eq!(
            options[3]["extension"][0],
            json!({"url": ITEM_WEIGHT, "valueDecimal": 3})
        );
        assert_eq!(q["item"][0]["required"], true);
        assert_eq!(q["item"][9]["required"], false);
        let es = questionnaire(find(InstrumentCode::Phq9), Lang::Es);
        assert_eq!(es["language"], "es");
        assert_eq!(
            es["item"][8]["answerOption"][3]["valueCoding"]["display"],
            "Casi todos los días"
        );
    }

    #[test]
    fn in_form_conditions_become_enable_when() {
        let asq = questionnaire(find(InstrumentCode::Asq), Lang::En);
        let five = &asq["item"][4];
        assert_eq!(five["enableBehavior"], "any");
        let when = five["enableWhen"].as_array().unwrap();
        assert_eq!(when.len(), 8, "items 1-4 × yes/refused");
        assert_eq!(
            when[1],
            json!({"question": "1", "operator": "=", "answerCoding": {
                "system": "https://intake.example.org/fhir/Questionnaire/asq/answers", "code": "refused"}})
        );
        let ptsd = questionnaire(find(InstrumentCode::PcPtsd5), Lang::En);
        assert_eq!(ptsd["id"], "pc-ptsd5");
        assert_eq!(ptsd["name"], "PcPtsd5");
        assert_eq!(
            ptsd["item"][1]["enableWhen"],
            json!([{"question": "trauma_exposure", "operator": "=", "answerBoolean": true}])
        );
        assert!(ptsd["item"][1].get("enableBehavior").is_none());
    }

    #[test]
    fn every_item_appears_once_with_its_id_and_groups_nest() {
        for inst in CATALOGUE.iter() {
            for lang in [Lang::En, Lang::Es] {
                let q = questionnaire(inst, lang);
                let items = q["item"].as_array().unwrap();
                let flat: Vec<&str> = all_items(items).iter().map(|i| i["linkId"].as_str().unwrap()).collect();
                let ids: Vec<&str> = inst.items.iter().map(|i| i.id).collect();
                assert_eq!(flat, ids, "{}", inst.code);
                // Every conditional item that depends on the form says how.
                for it in inst.items.iter().filter(|i| i.condition.is_some()) {
                    let q = all_items(items).into_iter().find(|q| q["linkId"] == it.id).unwrap();
                    assert!(q["enableWhen"].is_array(), "{}.{}", inst.code, it.id);
                }
            }
        }
        let crps = questionnaire(find(InstrumentCode::CrpsBudapest), Lang::En);
        let group = crps["item"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["linkId"] == "symptoms")
            .unwrap();
        assert_eq!(group["type"], "group");
        assert_eq!(group["item"][0]["linkId"], "symptoms.sensory");
    }

    #[test]
    fn ids_round_trip() {
        for code in InstrumentCode::ALL {
            assert_eq!(parse_id(&resource_id(code)), Some(code));
            assert_eq!(parse_id(code.as_str()), Some(code));
        }
        assert_eq!(parse_id("bdi2"), None);
    }
}
