//! An intake as a FHIR R4 `Bundle` (type `collection`): the Patient, a Condition per pain
//! condition, AllergyIntolerance and MedicationStatement entries, a QuestionnaireResponse per
//! instrument, an Observation per score (LOINC where one exists), the opioid load, and each
//! safety flag as a `Flag` with its priority. Pure: built from data the caller loaded.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::intake::sections::{Allergy, AllergySeverity, Medication, OpioidEntry, PainCondition, Sections};
use crate::patients::api::{Language, PatientFields, SexAtBirth};
use crate::screening::catalogue;
use crate::screening::instruments::InstrumentCode;
use crate::screening::model::{PainType, ScoreResult, Severity};
use crate::screening::policy::Scores;
use crate::screening::safety::Assessment;

use super::systems::{LOINC, QUESTIONNAIRE_BASE, SNOMED, SYSTEM_FLAG, SYSTEM_SCORE};

/// What the export needs.
pub struct Export<'a> {
    pub intake_id: Uuid,
    pub patient_id: Uuid,
    pub patient: &'a PatientFields,
    pub sections: &'a Sections,
    pub scores: &'a Scores,
    pub assessment: Option<&'a Assessment>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub generated_at: DateTime<Utc>,
}

pub(super) struct Builder {
    pub(super) entries: Vec<Value>,
}

impl Builder {
    /// Adds a resource and returns its reference (`urn:uuid:…`).
    pub(super) fn add(&mut self, mut resource: Value) -> String {
        let id = Uuid::new_v4();
        resource["id"] = json!(id.to_string());
        let url = format!("urn:uuid:{id}");
        self.entries.push(json!({"fullUrl": url, "resource": resource}));
        url
    }
}

fn enum_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn text_concept(text: &str) -> Value {
    json!({"text": text})
}

pub fn bundle(x: &Export<'_>) -> Value {
    let mut b = Builder { entries: Vec::new() };
    let patient = b.add(patient(x.patient_id, x.patient));
    let when = x
        .submitted_at
        .unwrap_or(x.generated_at)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let subject = json!({"reference": patient});

    for c in x
        .sections
        .pain
        .as_ref()
        .and_then(|p| p.conditions.as_ref())
        .into_iter()
        .flatten()
    {
        b.add(condition(c, &subject, &when));
    }
    if let Some(m) = &x.sections.medical_history {
        match m.allergy_status {
            Some(crate::intake::sections::AllergyStatus::NoKnownAllergies) => {
                b.add(json!({
                    "resourceType": "AllergyIntolerance",
                    "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}]},
                    "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "unconfirmed"}]},
                    "code": {"coding": [{"system": SNOMED, "code": "716186003", "display": "No known allergy"}], "text": "No known allergies"},
                    "patient": subject,
                    "recordedDate": when,
                }));
            }
            _ => {
                for a in m.allergies.iter().flatten() {
                    b.add(allergy(a, &subject, &when));
                }
            }
        }
        for med in m.current_medications.iter().flatten() {
            b.add(medication(med, &subject, &when));
        }
        for o in m.opioids.iter().flatten() {
            b.add(opioid(o, &subject, &when));
        }
    }

    for (code, answers) in x.sections.screenings.iter().flatten() {
        let qr = b.add(questionnaire_response(code, answers, &subject, &when));
        if let Some(score) = InstrumentCode::parse(code).and_then(|c| x.scores.get(&c)) {
            for obs in observations(score, &subject, &when, &qr) {
                b.add(obs);
            }
        }
    }
    if let Some(a) = x.assessment {
        b.add(json!({
            "resourceType": "Observation",
            "status": "final",
            "category": [survey_category()],
            "code": {"coding": [{"system": SYSTEM_SCORE, "code": "mme_per_day", "display": "Opioid load, morphine milligram equivalents per day (CDC 2022)"}],
                     "text": "Morphine milligram equivalents per day"},
            "subject": subject,
            "effectiveDateTime": when,
            "valueQuantity": {"value": a.mme.total_mme_per_day, "unit": "MME/d"},
        }));
        for f in &a.flags {
            let (code, display) = match f.severity {
                Severity::Urgent => ("PH", "High priority"),
                Severity::Warning => ("PM", "Medium priority"),
                Severity::Info => ("PL", "Low priority"),
            };
            b.add(json!({
                "resourceType": "Flag",
                "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/flag-priority",
                               "valueCodeableConcept": {"coding": [{"system": "http://hl7.org/fhir/flag-priority-code", "code": code, "display": display}]}}],
                "status": "active",
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/flag-category", "code": "safety", "display": "Safety"}]}],
                "code": {"coding": [{"system": SYSTEM_FLAG, "code": f.code, "display": f.message}], "text": f.message},
                "subject": subject,
                "period": {"start": when},
            }));
        }
    }
    json!({
        "resourceType": "Bundle",
        "id": x.intake_id.to_string(),
        "type": "collection",
        "timestamp": x.generated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "entry": b.entries,
    })
}

pub(super) fn patient(id: Uuid, p: &PatientFields) -> Value {
    let gender = match p.sex_at_birth {
        SexAtBirth::Female => "female",
        SexAtBirth::Male => "male",
        SexAtBirth::Intersex => "other",
        SexAtBirth::Unknown => "unknown",
    };
    let mut telecom = Vec::new();
    if let Some(phone) = &p.phone {
        telecom.push(json!({"system": "phone", "value": phone}));
    }
    if let Some(email) = &p.email {
        telecom.push(json!({"system": "email", "value": email}));
    }
    let (lang, lang_display) = match p.preferred_language {
        Language::En => ("en", "English"),
        Language::Es => ("es", "Spanish"),
    };
    let mut r = json!({
        "resourceType": "Patient",
        "identifier": [{"system": "https://intake.example.org/fhir/patient-id", "value": id.to_string()}],
        "name": [{"family": p.family_name, "given": [p.given_name]}],
        "gender": gender,
        "birthDate": p.date_of_birth.to_string(),
        "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": lang, "display": lang_display}]}, "preferred": true}],
    });
    if !telecom.is_empty() {
        r["telecom"] = json!(telecom);
    }
    if let Some(a) = &p.address {
        let mut line = vec![a.line1.clone()];
        line.extend(a.line2.clone());
        r["address"] = json!([{"line": line, "city": a.city, "state": a.region, "postalCode": a.postal_code, "country": a.country}]);
    }
    if let Some(c) = &p.emergency_contact {
        r["contact"] = json!([{
            "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "C", "display": "Emergency Contact"}],
                              "text": c.relationship}],
            "name": {"text": c.name},
            "telecom": [{"system": "phone", "value": c.phone}],
        }]);
    }
    r
}

fn condition(c: &PainCondition, subject: &Value, when: &str) -> Value {
    let kind = c.kind.map(|k| enum_text(&k)).unwrap_or_default();
    let coding = match c.kind {
        Some(PainType::Fibromyalgia) => Some(("203082005", "Fibromyalgia")),
        Some(PainType::Crps) => Some(("128200000", "Complex regional pain syndrome")),
        Some(PainType::Neuropathic) => Some(("247398009", "Neuropathic pain")),
        _ => None,
    };
    let text = match (c.kind, &c.other_description) {
        (Some(PainType::Other), Some(d)) => d.clone(),
        (Some(PainType::Postoperative), _) => "Chronic postoperative pain".to_owned(),
        _ => coding.map_or(kind.replace('_', " "), |(_, d)| d.to_owned()),
    };
    let mut code = json!({"text": text});
    if let Some((c, d)) = coding {
        code["coding"] = json!([{"system": SNOMED, "code": c, "display": d}]);
    }
    let verification = match c.diagnosis_status {
        Some(crate::intake::sections::DiagnosisStatus::Diagnosed) => "confirmed",
        Some(crate::intake::sections::DiagnosisStatus::Suspected) => "provisional",
        _ => "unconfirmed",
    };
    let mut r = json!({
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
        "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": verification}]},
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "problem-list-item"}]}],
        "code": code,
        "subject": subject,
        "recordedDate": when,
    });
    if let Some(onset) = &c.onset {
        r["onsetDateTime"] = json!(onset);
    }
    let sites: Vec<Value> = c
        .locations
        .iter()
        .flatten()
        .filter_map(|l| {
            let region = l.region.map(|r| enum_text(&r).replace('_', " "))?;
            let side = l.side.map(|s| enum_text(&s)).unwrap_or_default();
            Some(text_concept(format!("{region} {side}").trim()))
        })
        .collect();
    if !sites.is_empty() {
        r["bodySite"] = json!(sites);
    }
    if let Some(it) = &c.intensity {
        let parts: Vec<String> = [("now", it.now), ("average", it.average), ("worst", it.worst)]
            .iter()
            .filter_map(|(k, v)| v.map(|v| format!("{k} {v}/10")))
            .collect();
        if !parts.is_empty() {
            r["note"] = json!([{"text": format!("Pain intensity: {}", parts.join(", "))}]);
        }
    }
    r
}

fn allergy(a: &Allergy, subject: &Value, when: &str) -> Value {
    let mut r = json!({
        "resourceType": "AllergyIntolerance",
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}]},
        "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "unconfirmed"}]},
        "code": text_concept(a.substance.as_deref().unwrap_or("unknown substance")),
        "patient": subject,
        "recordedDate": when,
    });
    use crate::intake::sections::AllergyCategory as C;
    let category = match a.category {
        Some(C::Medication) => Some("medication"),
        Some(C::Food) => Some("food"),
        Some(C::Latex | C::AdhesiveTape | C::IodineContrast | C::Environmental) => Some("environment"),
        _ => None,
    };
    if let Some(c) = category {
        r["category"] = json!([c]);
    }
    let manifestations: Vec<Value> = a
        .reactions
        .iter()
        .flatten()
        .map(|x| text_concept(&enum_text(x).replace('_', " ")))
        .collect();
    if !manifestations.is_empty() {
        let mut reaction = json!({"manifestation": manifestations});
        if let Some(s) = a.severity {
            reaction["severity"] = json!(match s {
                AllergySeverity::Mild => "mild",
                AllergySeverity::Moderate => "moderate",
                AllergySeverity::Severe => "severe",
            });
        }
        r["reaction"] = json!([reaction]);
    }
    r
}

fn medication(m: &Medication, subject: &Value, when: &str) -> Value {
    let name = m.name.clone().unwrap_or_else(|| "unnamed medication".into());
    let mut concept = json!({"text": name});
    if let Some(code) = &m.rxnorm_code {
        concept["coding"] = json!([{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": code}]);
    }
    let mut dosage = json!({});
    let mut text = Vec::new();
    if let (Some(amount), Some(unit)) = (m.dose_amount, m.dose_unit) {
        let unit = enum_text(&unit);
        text.push(format!("{amount} {unit}"));
        dosage["doseAndRate"] = json!([{"doseQuantity": {"value": amount, "unit": unit}}]);
    }
    if let Some(route) = m.route {
        dosage["route"] = text_concept(&enum_text(&route).replace('_', " "));
    }
    if let Some(f) = m.frequency {
        text.push(enum_text(&f).replace('_', " "));
    }
    if let Some(prn) = m.as_needed {
        dosage["asNeededBoolean"] = json!(prn);
    }
    if !text.is_empty() {
        dosage["text"] = json!(text.join(", "));
    }
    let mut r = json!({
        "resourceType": "MedicationStatement",
        "status": "active",
        "medicationCodeableConcept": concept,
        "subject": subject,
        "dateAsserted": when,
        "dosage": [dosage],
    });
    if let Some(reason) = &m.indication {
        r["reasonCode"] = json!([text_concept(reason)]);
    }
    r
}

fn opioid(o: &OpioidEntry, subject: &Value, when: &str) -> Value {
    let drug = o.drug.map(|d| enum_text(&d).replace('_', " ")).unwrap_or_default();
    let name = o.name.clone().unwrap_or_else(|| drug.clone());
    let dose = match (o.patch_mcg_per_hour, o.dose_mg, o.doses_per_day) {
        (Some(mcg), _, _) => format!("{mcg} mcg/h patch"),
        (None, Some(mg), Some(n)) => format!("{mg} mg, {n} times a day"),
        _ => String::new(),
    };
    let mut dosage = json!({"text": dose});
    if let Some(prn) = o.as_needed {
        dosage["asNeededBoolean"] = json!(prn);
    }
    json!({
        "resourceType": "MedicationStatement",
        "status": "active",
        "category": text_concept("opioid"),
        "medicationCodeableConcept": {"text": if name == drug { name } else { format!("{name} ({drug})") }},
        "subject": subject,
        "dateAsserted": when,
        "dosage": [dosage],
    })
}

fn answer_value(v: &Value) -> Option<Value> {
    match v {
        Value::Bool(b) => Some(json!({"valueBoolean": b})),
        Value::Number(n) if n.is_i64() => Some(json!({"valueInteger": n})),
        Value::Number(n) => Some(json!({"valueDecimal": n})),
        Value::String(s) => Some(json!({"valueString": s})),
        _ => None,
    }
}

/// Answers as QuestionnaireResponse items; nested objects become nested items.
fn items(answers: &serde_json::Map<String, Value>, texts: &BTreeMap<&str, &str>, prefix: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for (k, v) in answers {
        let link = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        let mut item = json!({"linkId": link});
        if let Some(t) = texts.get(link.as_str()) {
            item["text"] = json!(t);
        }
        match v {
            Value::Object(m) => {
                let nested = items(m, texts, &link);
                if nested.is_empty() {
                    continue;
                }
                item["item"] = json!(nested);
            }
            Value::Array(list) => {
                let answers: Vec<Value> = list.iter().filter_map(answer_value).collect();
                if answers.is_empty() {
                    continue;
                }
                item["answer"] = json!(answers);
            }
            other => match answer_value(other) {
                Some(a) => item["answer"] = json!([a]),
                None => continue,
            },
        }
        out.push(item);
    }
    out
}

pub(super) fn questionnaire_response(code: &str, answers: &Value, subject: &Value, when: &str) -> Value {
    let inst = catalogue::lookup(code);
    let texts: BTreeMap<&str, &str> = inst
        .map(|i| i.items.iter().map(|it| (it.id, it.text.en)).collect())
        .unwrap_or_default();
    let version = inst.map_or("1.0", |i| i.version);
    let url = inst.map_or_else(
        || format!("{QUESTIONNAIRE_BASE}/{code}"),
        |i| super::questionnaire::canonical(i.code),
    );
    let list = answers.as_object().map(|m| items(m, &texts, "")).unwrap_or_default();
    let mut r = json!({
        "resourceType": "QuestionnaireResponse",
        "questionnaire": format!("{url}|{version}"),
        "status": "completed",
        "subject": subject,
        "authored": when,
    });
    if !list.is_empty() {
        r["item"] = json!(list);
    }
    r
}

fn survey_category() -> Value {
    json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey", "display": "Survey"}]})
}

/// LOINC codes for totals and sub-scores that have one.
fn loinc(instrument: InstrumentCode, part: &str) -> Option<(&'static str, &'static str)> {
    use InstrumentCode::*;
    Some(match (instrument, part) {
        (Phq9, "total") => (
            "44261-6",
            "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
        ),
        (Phq9, "phq2") => (
            "55758-7",
            "Patient Health Questionnaire 2 item (PHQ-2) total score [Reported]",
        ),
        (Gad7, "total") => (
            "70274-6",
            "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
        ),
        (PainNrs, "total") => (
            "72514-3",
            "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
        ),
        _ => return None,
    })
}

pub(super) fn observations(s: &ScoreResult, subject: &Value, when: &str, qr: &str) -> Vec<Value> {
    let name = catalogue::find(s.instrument).name.en;
    let base = |code: Value, value: (&str, Value)| {
        let mut o = json!({
            "resourceType": "Observation",
            "status": "final",
            "category": [survey_category()],
            "code": code,
            "subject": subject,
            "effectiveDateTime": when,
            "derivedFrom": [{"reference": qr}],
        });
        o[value.0] = value.1;
        o
    };
    let code_for = |part: &str, label: String| match loinc(s.instrument, part) {
        Some((c, d)) => json!({"coding": [{"system": LOINC, "code": c, "display": d}], "text": label}),
        None => {
            json!({"coding": [{"system": SYSTEM_SCORE, "code": format!("{}.{part}", s.instrument), "display": label}], "text": label})
        }
    };
    let mut out = Vec::new();
    if let Some(total) = &s.total {
        let value = if total.is_i64() {
            ("valueInteger", json!(total))
        } else {
            ("valueQuantity", json!({"value": total, "unit": "score"}))
        };
        let mut o = base(code_for("total", format!("{name} total score")), value);
        if let Some(band) = &s.band {
            o["interpretation"] = json!([text_concept(&band.replace('_', " "))]);
        }
        o["note"] = json!([{"text": format!("rule set {}; version {}; cut-offs {}", s.rule_set, s.version, serde_json::to_string(&s.cutoffs).unwrap_or_default())}]);
        out.push(o);
    }
    if let Some(result) = &s.result {
        out.push(base(
            code_for("result", format!("{name} result")),
            ("valueString", json!(result)),
        ));
    }
    if let Some(p) = s.positive {
        out.push(base(
            code_for("screen_positive", format!("{name} screen positive")),
            ("valueBoolean", json!(p)),
        ));
    }
    for (k, v) in &s.subscales {
        let value = match v {
            Value::Bool(b) => ("valueBoolean", json!(b)),
            Value::Number(n) if n.is_i64() => ("valueInteger", json!(n)),
            Value::Number(n) => ("valueQuantity", json!({"value": n, "unit": "score"})),
            Value::String(t) => ("valueString", json!(t)),
            _ => continue,
        };
        out.push(base(code_for(k, format!("{name} {}", k.replace('_', " "))), value));
    }
    out
}
