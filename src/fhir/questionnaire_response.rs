//! A QuestionnaireResponse for one of our Questionnaires, read back into the instrument's
//! answers in our wire format. Only the mapping happens here (which item, which value); the
//! answers are then validated and scored like answers sent as JSON. Pure.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::questionnaire::{answer_code, answer_system, canonical, named_by};
use super::systems::QUESTIONNAIRE_BASE;
use crate::screening::catalogue::{self, Instrument, Item, ItemKind};
use crate::validation::FieldIssue;

const STATUSES: [&str; 3] = ["in-progress", "completed", "amended"];

/// The answers `qr` holds for `inst`: an object keyed by item id (`a.b` nested as `{"a": {"b"}}`).
/// Every problem is named by its path in the resource (`item[2].linkId`), all at once.
pub fn answers(inst: &Instrument, qr: &Value, path: &str) -> Result<Value, Vec<FieldIssue>> {
    let at = |field: &str| {
        if path.is_empty() {
            field.to_owned()
        } else {
            format!("{path}.{field}")
        }
    };
    let mut issues = Vec::new();
    if qr.get("resourceType").and_then(Value::as_str) != Some("QuestionnaireResponse") {
        issues.push(FieldIssue::new(
            at("resourceType"),
            "invalid_value",
            "must be QuestionnaireResponse",
        ));
        return Err(issues);
    }
    if let Some(q) = qr.get("questionnaire") {
        let url = canonical(inst.code);
        let ok = q.as_str().is_some_and(|q| {
            named_by(q) == Some(inst.code) && q.split_once('|').is_none_or(|(_, v)| v == inst.version)
        });
        if !ok {
            issues.push(FieldIssue::new(
                at("questionnaire"),
                "invalid_value",
                format!("must be {url} (version {})", inst.version),
            ));
        }
    }
    if let Some(s) = qr.get("status")
        && !s.as_str().is_some_and(|s| STATUSES.contains(&s))
    {
        issues.push(FieldIssue::new(
            at("status"),
            "invalid_value",
            "must be in-progress, completed or amended",
        ));
    }
    let mut out = Map::new();
    match qr.get("item") {
        None => {}
        Some(Value::Array(list)) => read_items(inst, list, "", &at("item"), &mut out, &mut issues),
        Some(_) => issues.push(FieldIssue::new(at("item"), "invalid_type", "must be an array")),
    }
    if issues.is_empty() {
        Ok(Value::Object(out))
    } else {
        Err(issues)
    }
}

/// The answers of a Bundle of QuestionnaireResponses, one per instrument, keyed by instrument
/// code: each response names its Questionnaire by canonical url (`questionnaire`).
pub fn bundle_answers(bundle: &Value) -> Result<BTreeMap<String, Value>, Vec<FieldIssue>> {
    if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return Err(vec![FieldIssue::new(
            "resourceType",
            "invalid_value",
            "must be Bundle (of QuestionnaireResponses)",
        )]);
    }
    let entries = match bundle.get("entry") {
        None => &Vec::new(),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(vec![FieldIssue::new("entry", "invalid_type", "must be an array")]),
    };
    let mut out = BTreeMap::new();
    let mut issues = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, entry) in entries.iter().enumerate() {
        let path = format!("entry[{i}].resource");
        let resource = entry.get("resource").unwrap_or(&Value::Null);
        let named = resource.get("questionnaire").and_then(Value::as_str).and_then(named_by);
        let Some(code) = named else {
            issues.push(FieldIssue::new(
                format!("{path}.questionnaire"),
                "invalid_value",
                format!("must name one of our Questionnaires ({QUESTIONNAIRE_BASE}/{{code}})"),
            ));
            continue;
        };
        if !seen.insert(code.as_str()) {
            issues.push(FieldIssue::new(
                format!("{path}.questionnaire"),
                "duplicate",
                format!("{code} is answered twice"),
            ));
            continue;
        }
        match answers(catalogue::find(code), resource, &path) {
            Ok(a) => {
                out.insert(code.as_str().to_owned(), a);
            }
            Err(e) => issues.extend(e),
        }
    }
    if issues.is_empty() { Ok(out) } else { Err(issues) }
}

/// Items at one level: `group` is the enclosing group's linkId (`""` at the top).
fn read_items(
    inst: &Instrument,
    list: &[Value],
    group: &str,
    path: &str,
    out: &mut Map<String, Value>,
    issues: &mut Vec<FieldIssue>,
) {
    let mut seen = std::collections::BTreeSet::new();
    for (i, entry) in list.iter().enumerate() {
        let here = format!("{path}[{i}]");
        let Some(link) = entry.get("linkId").and_then(Value::as_str) else {
            issues.push(FieldIssue::new(
                format!("{here}.linkId"),
                "required",
                "every item needs its linkId",
            ));
            continue;
        };
        // The key inside its group: `symptoms.sensory` is `sensory` in group `symptoms`.
        let key = match group {
            "" => Some(link),
            g => link.strip_prefix(g).and_then(|rest| rest.strip_prefix('.')),
        };
        let is_group = group.is_empty()
            && inst
                .items
                .iter()
                .any(|it| it.id.split_once('.').is_some_and(|(p, _)| p == link));
        let item = inst.items.iter().find(|it| it.id == link);
        let (Some(key), true) = (key, item.is_some() || is_group) else {
            issues.push(FieldIssue::new(
                format!("{here}.linkId"),
                "unknown_item",
                format!("{link:?} is not an item of {}", inst.code),
            ));
            continue;
        };
        if !is_group && !seen.insert(key) {
            issues.push(FieldIssue::new(
                format!("{here}.linkId"),
                "duplicate",
                format!("{link:?} is answered twice"),
            ));
            continue;
        }
        if is_group {
            let Some(children) = entry.get("item").and_then(Value::as_array) else {
                issues.push(FieldIssue::new(
                    format!("{here}.item"),
                    "required",
                    "a group holds its items",
                ));
                continue;
            };
            let mut inner = match out.remove(key) {
                Some(Value::Object(m)) => m,
                _ => Map::new(),
            };
            read_items(inst, children, link, &format!("{here}.item"), &mut inner, issues);
            out.insert(key.to_owned(), Value::Object(inner));
        } else if let Some(item) = item
            && let Some(value) = answer(inst, item, entry.get("answer"), &here, issues)
        {
            out.insert(key.to_owned(), value);
        }
    }
}

/// The value of an item's answers; `None` when unanswered (or wrong, with the issue recorded).
fn answer(
    inst: &Instrument,
    item: &Item,
    answers: Option<&Value>,
    here: &str,
    issues: &mut Vec<FieldIssue>,
) -> Option<Value> {
    let list = match answers {
        None => return None,
        Some(Value::Array(list)) => list,
        Some(_) => {
            issues.push(FieldIssue::new(
                format!("{here}.answer"),
                "invalid_type",
                "must be an array",
            ));
            return None;
        }
    };
    if list.is_empty() {
        return None;
    }
    let repeats = item.kind == ItemKind::MultiChoice;
    if !repeats && list.len() > 1 {
        issues.push(FieldIssue::new(
            format!("{here}.answer"),
            "too_many",
            "this item takes one answer",
        ));
        return None;
    }
    let mut values = Vec::new();
    for (j, a) in list.iter().enumerate() {
        let p = format!("{here}.answer[{j}]");
        match value(inst, item, a) {
            Ok(v) => values.push(v),
            Err((field, message)) => issues.push(FieldIssue::new(format!("{p}.{field}"), "invalid_value", message)),
        }
    }
    if values.len() != list.len() {
        return None;
    }
    Some(if repeats {
        Value::Array(values)
    } else {
        values.remove(0)
    })
}

/// One answer's value: a coding of one of the item's options, or the item's value type.
fn value(inst: &Instrument, item: &Item, a: &Value) -> Result<Value, (&'static str, String)> {
    match item.kind {
        ItemKind::SingleChoice | ItemKind::MultiChoice => {
            let coding = a.get("valueCoding").ok_or((
                "valueCoding",
                "answer with a valueCoding of the item's answerOption".to_owned(),
            ))?;
            let system = answer_system(inst.code);
            if coding
                .get("system")
                .is_some_and(|s| s.as_str() != Some(system.as_str()))
            {
                return Err(("valueCoding.system", format!("must be {system}")));
            }
            let code = coding.get("code").and_then(Value::as_str).unwrap_or_default();
            item.options
                .iter()
                .find(|o| answer_code(&o.value) == code)
                .map(|o| o.value.clone())
                .ok_or_else(|| {
                    let codes: Vec<String> = item.options.iter().map(|o| answer_code(&o.value)).collect();
                    (
                        "valueCoding.code",
                        format!("{code:?} is not one of {}", codes.join(", ")),
                    )
                })
        }
        ItemKind::Boolean => typed(a, "valueBoolean", Value::is_boolean),
        ItemKind::Integer => typed(a, "valueInteger", Value::is_i64),
        ItemKind::Text => typed(a, "valueString", Value::is_string),
    }
}

fn typed(a: &Value, field: &'static str, ok: fn(&Value) -> bool) -> Result<Value, (&'static str, String)> {
    a.get(field)
        .filter(|v| ok(v))
        .cloned()
        .ok_or((field, format!("answer with {field}")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::screening::catalogue::find;
    use crate::screening::instruments::InstrumentCode;

    fn coding(code: &str, value: &str) -> Value {
        json!({"valueCoding": {"system": format!("https://intake.example.org/fhir/Questionnaire/{code}/answers"), "code": value}})
    }

    #[test]
    fn phq9_maps_to_the_json_answers() {
        let items: Vec<Value> = (1..=9)
            .map(|i| json!({"linkId": i.to_string(), "answer": [coding("phq9", &(i % 4).to_string())]}))
            .collect();
        let qr = json!({"resourceType": "QuestionnaireResponse", "status": "completed",
            "questionnaire": "https://intake.example.org/fhir/Questionnaire/phq9|1.0", "item": items});
        let got = answers(find(InstrumentCode::Phq9), &qr, "").unwrap();
        assert_eq!(
            got,
            json!({"1": 1, "2": 2, "3": 3, "4": 0, "5": 1, "6": 2, "7": 3, "8": 0, "9": 1})
        );
    }

    #[test]
    fn groups_booleans_and_lists() {
        let qr = json!({"resourceType": "QuestionnaireResponse", "item": [
            {"linkId": "symptoms", "item": [{"linkId": "symptoms.sensory", "answer": [{"valueBoolean": true}]}]},
        ]});
        let got = answers(find(InstrumentCode::CrpsBudapest), &qr, "").unwrap();
        assert_eq!(got, json!({"symptoms": {"sensory": true}}));
        let fm = find(InstrumentCode::Fm2016);
        let multi = fm.items.iter().find(|i| i.kind == ItemKind::MultiChoice).unwrap();
        let codes: Vec<Value> = multi.options[..2]
            .iter()
            .map(|o| coding("fm2016", &answer_code(&o.value)))
            .collect();
        let qr = json!({"resourceType": "QuestionnaireResponse", "item": [{"linkId": multi.id, "answer": codes}]});
        let got = answers(fm, &qr, "").unwrap();
        assert_eq!(got[multi.id], json!([multi.options[0].value, multi.options[1].value]));
    }

    #[test]
    fn a_bundle_holds_one_response_per_instrument() {
        let qr = |q: &str, items: Value| json!({"resource": {"resourceType": "QuestionnaireResponse", "questionnaire": q, "item": items}});
        let bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": [
            qr("https://intake.example.org/fhir/Questionnaire/pgic|1.0", json!([{"linkId": "1", "answer": [coding("pgic", "6")]}])),
            qr("https://intake.example.org/fhir/Questionnaire/pain-nrs", json!([{"linkId": "now", "answer": [coding("pain-nrs", "4")]}])),
        ]});
        let got = bundle_answers(&bundle).unwrap();
        assert_eq!(got["pgic"], json!({"1": 6}));
        assert_eq!(got["pain_nrs"], json!({"now": 4}));
        let bad = json!({"resourceType": "Bundle", "entry": [
            qr("https://elsewhere.example.com/Questionnaire/phq9", json!([])),
            qr("https://intake.example.org/fhir/Questionnaire/pgic", json!([{"linkId": "2"}])),
            qr("https://intake.example.org/fhir/Questionnaire/pgic", json!([])),
        ]});
        let fields: Vec<String> = bundle_answers(&bad).unwrap_err().into_iter().map(|i| i.field).collect();
        assert_eq!(
            fields,
            [
                "entry[0].resource.questionnaire",
                "entry[1].resource.item[0].linkId",
                "entry[2].resource.questionnaire"
            ]
        );
        assert_eq!(
            bundle_answers(&json!({"resourceType": "Parameters"})).unwrap_err()[0].field,
            "resourceType"
        );
    }

    #[test]
    fn every_problem_is_named_by_its_path() {
        let qr = json!({"resourceType": "QuestionnaireResponse", "status": "draft",
            "questionnaire": "https://intake.example.org/fhir/Questionnaire/gad7", "item": [
            {"linkId": "1", "answer": [coding("phq9", "7")]},
            {"linkId": "11", "answer": [coding("phq9", "1")]},
            {"linkId": "2", "answer": [{"valueInteger": 2}]},
            {"linkId": "1", "answer": [coding("phq9", "1")]},
            {"answer": []},
        ]});
        let issues = answers(find(InstrumentCode::Phq9), &qr, "").unwrap_err();
        let fields: Vec<(&str, &str)> = issues.iter().map(|i| (i.field.as_str(), i.code.as_str())).collect();
        assert_eq!(
            fields,
            [
                ("questionnaire", "invalid_value"),
                ("status", "invalid_value"),
                ("item[0].answer[0].valueCoding.code", "invalid_value"),
                ("item[1].linkId", "unknown_item"),
                ("item[2].answer[0].valueCoding", "invalid_value"),
                ("item[3].linkId", "duplicate"),
                ("item[4].linkId", "required"),
            ]
        );
        assert!(issues[3].message.contains("\"11\""), "{}", issues[3].message);
        let not_qr = answers(
            find(InstrumentCode::Phq9),
            &json!({"resourceType": "Patient"}),
            "entry[0].resource",
        );
        assert_eq!(not_qr.unwrap_err()[0].field, "entry[0].resource.resourceType");
    }
}
