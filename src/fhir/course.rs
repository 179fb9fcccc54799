//! A treatment course as a FHIR R4 `Bundle` (type `collection`): the Patient, a CarePlan for the
//! course, a MedicationAdministration per completed session (ketamine by its RxNorm code), the
//! session's vital signs as vital-sign Observations (LOINC), and for each completed check-in a
//! QuestionnaireResponse per instrument with its score Observations. Pure, like the intake's.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::bundle::{self, Builder};
use super::systems::{LOINC, SNOMED};
use crate::courses::protocol::{Drug, Protocol, Route};
use crate::courses::session::blocks::{Phase, SessionBlocks, VitalSigns};
use crate::courses::status::{CourseStatus, EndReason, Indication, SessionStatus};
use crate::patients::api::PatientFields;
use crate::screening::instruments::InstrumentCode;
use crate::screening::policy::{Answers, Scores};

const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
const UCUM: &str = "http://unitsofmeasure.org";

pub struct SessionExport<'a> {
    pub id: Uuid,
    pub status: SessionStatus,
    pub scheduled_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub blocks: &'a SessionBlocks,
}

pub struct CheckinExport<'a> {
    pub id: Uuid,
    pub completed_at: DateTime<Utc>,
    pub answers: &'a Answers,
    pub scores: &'a Scores,
}

pub struct CourseExport<'a> {
    pub course_id: Uuid,
    pub patient_id: Uuid,
    pub patient: &'a PatientFields,
    pub status: CourseStatus,
    pub indications: &'a [Indication],
    pub protocol: &'a Protocol,
    pub planned_sessions: i32,
    pub created_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<EndReason>,
    pub sessions: Vec<SessionExport<'a>>,
    pub checkins: Vec<CheckinExport<'a>>,
    pub generated_at: DateTime<Utc>,
}

fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The drug as a coded concept: racemic ketamine by its RxNorm ingredient (6130); esketamine by
/// its RxNorm clinical drug form (nasal spray, 2201623), the form it is given in.
fn medication(drug: Drug) -> Value {
    match drug {
        Drug::Ketamine => {
            json!({"coding": [{"system": RXNORM, "code": "6130", "display": "ketamine"}], "text": "Ketamine (racemic)"})
        }
        Drug::Esketamine => {
            json!({"coding": [{"system": RXNORM, "code": "2201623", "display": "esketamine Nasal Spray"}], "text": "Esketamine"})
        }
    }
}

fn route(r: Route) -> Value {
    let (code, display) = match r {
        Route::Iv => ("47625008", "Intravenous route"),
        Route::Im => ("78421000", "Intramuscular route"),
        Route::Intranasal => ("46713006", "Nasal route"),
    };
    json!({"coding": [{"system": SNOMED, "code": code, "display": display}]})
}

fn dose_text(p: &Protocol) -> String {
    let dose = match (p.dose_mg_per_kg, p.dose_mg) {
        (Some(per_kg), _) => format!("{per_kg} mg/kg"),
        (_, Some(mg)) => format!("{mg} mg"),
        _ => String::new(),
    };
    let minutes = p.infusion_minutes.map(|m| format!(" over {m} min")).unwrap_or_default();
    format!(
        "{dose} {}{minutes}",
        serde_json::to_value(p.route)
            .ok()
            .and_then(|v| v.as_str().map(str::to_uppercase))
            .unwrap_or_default()
    )
}

fn care_plan(x: &CourseExport<'_>, subject: &Value) -> Value {
    let status = match x.status {
        CourseStatus::Active => "active",
        CourseStatus::Completed => "completed",
        CourseStatus::Stopped => "revoked",
    };
    let indications: Vec<&str> = x.indications.iter().map(|i| i.as_str()).collect();
    let mut period = json!({"start": instant(x.created_at)});
    if let Some(end) = x.ended_at {
        period["end"] = json!(instant(end));
    }
    let mut plan = json!({
        "resourceType": "CarePlan",
        "identifier": [{"system": "https://intake.example.org/fhir/course-id", "value": x.course_id.to_string()}],
        "status": status,
        "intent": "plan",
        "title": "Ketamine infusion course",
        "description": format!("{} sessions planned for {}", x.planned_sessions, indications.join(", ")),
        "subject": subject,
        "period": period,
        "created": instant(x.created_at),
        "activity": [{"detail": {
            "kind": "MedicationRequest",
            "status": if x.status == CourseStatus::Active { "in-progress" } else { "completed" },
            "productCodeableConcept": medication(x.protocol.drug),
            "description": dose_text(x.protocol),
        }}],
    });
    if let Some(reason) = x.end_reason {
        plan["note"] = json!([{"text": format!("Ended: {}", reason.as_str())}]);
    }
    plan
}

fn administration(s: &SessionExport<'_>, blocks: &SessionBlocks, subject: &Value, plan: &str) -> Option<Value> {
    let dose = blocks.dose.as_ref()?;
    let start = dose.started_at.unwrap_or(s.scheduled_at);
    let end = dose.ended_at.or(s.completed_at).unwrap_or(start).max(start);
    let mut dosage = json!({"route": route(dose.route)});
    if let Some(total) = dose.total_mg {
        dosage["dose"] = json!({"value": total, "unit": "mg", "system": UCUM, "code": "mg"});
    }
    if let Some(per_kg) = dose.dose_mg_per_kg {
        dosage["text"] = json!(format!("{per_kg} mg/kg"));
    }
    let mut r = json!({
        "resourceType": "MedicationAdministration",
        "identifier": [{"system": "https://intake.example.org/fhir/session-id", "value": s.id.to_string()}],
        "status": "completed",
        "medicationCodeableConcept": medication(dose.drug),
        "subject": subject,
        "supportingInformation": [{"reference": plan}],
        "effectivePeriod": {"start": instant(start), "end": instant(end)},
        "dosage": dosage,
    });
    if let Some(lot) = &dose.lot {
        r["note"] = json!([{"text": format!("Lot {lot}")}]);
    }
    Some(r)
}

fn vital_category() -> Value {
    json!([{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs", "display": "Vital Signs"}]}])
}

fn quantity(value: impl Into<f64>, unit: &str, code: &str) -> Value {
    json!({"value": value.into(), "unit": unit, "system": UCUM, "code": code})
}

/// One set of vital signs: a blood-pressure panel (85354-9 with 8480-6 and 8462-4), heart rate
/// (8867-4), SpO2 (59408-5) and respiratory rate (9279-1) when recorded.
fn vitals(v: &VitalSigns, subject: &Value, part_of: Option<&str>) -> Vec<Value> {
    let phase = match v.phase {
        Phase::Pre => "before the infusion",
        Phase::During => "during the infusion",
        Phase::Post => "after the infusion",
    };
    let base = |code: &str, display: &str| {
        let mut o = json!({
            "resourceType": "Observation",
            "status": "final",
            "category": vital_category(),
            "code": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display},
            "subject": subject,
            "effectiveDateTime": instant(v.at),
            "note": [{"text": phase}],
        });
        if let Some(p) = part_of {
            o["partOf"] = json!([{"reference": p}]);
        }
        o
    };
    let mut bp = base("85354-9", "Blood pressure panel with all children optional");
    bp["component"] = json!([
        {"code": {"coding": [{"system": LOINC, "code": "8480-6", "display": "Systolic blood pressure"}]},
         "valueQuantity": quantity(v.systolic, "mmHg", "mm[Hg]")},
        {"code": {"coding": [{"system": LOINC, "code": "8462-4", "display": "Diastolic blood pressure"}]},
         "valueQuantity": quantity(v.diastolic, "mmHg", "mm[Hg]")},
    ]);
    let mut hr = base("8867-4", "Heart rate");
    hr["valueQuantity"] = quantity(v.heart_rate, "beats/minute", "/min");
    let mut spo2 = base("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry");
    spo2["valueQuantity"] = quantity(v.spo2, "%", "%");
    let mut out = vec![bp, hr, spo2];
    if let Some(rr) = v.respiratory_rate {
        let mut o = base("9279-1", "Respiratory rate");
        o["valueQuantity"] = quantity(rr, "breaths/minute", "/min");
        out.push(o);
    }
    out
}

pub fn bundle(x: &CourseExport<'_>) -> Value {
    let mut b = Builder { entries: Vec::new() };
    let patient = b.add(bundle::patient(x.patient_id, x.patient));
    let subject = json!({"reference": patient});
    let plan = b.add(care_plan(x, &subject));
    for s in x.sessions.iter().filter(|s| s.status == SessionStatus::Completed) {
        let given = administration(s, s.blocks, &subject, &plan).map(|r| b.add(r));
        for v in &s.blocks.vitals {
            for o in vitals(v, &subject, given.as_deref()) {
                b.add(o);
            }
        }
    }
    for c in &x.checkins {
        let when = instant(c.completed_at);
        for (code, answers) in c.answers {
            let mut qr = bundle::questionnaire_response(code, answers, &subject, &when);
            qr["basedOn"] = json!([{"reference": plan}]);
            let qr = b.add(qr);
            if let Some(score) = InstrumentCode::parse(code).and_then(|i| c.scores.get(&i)) {
                for o in bundle::observations(score, &subject, &when, &qr) {
                    b.add(o);
                }
            }
        }
    }
    json!({
        "resourceType": "Bundle",
        "id": x.course_id.to_string(),
        "type": "collection",
        "timestamp": instant(x.generated_at),
        "entry": b.entries,
    })
}
