//! Audit events as FHIR R4 `AuditEvent`s, in the shape of IHE Basic Audit Log Patterns (BALP):
//! a RESTful operation (`type` rest, `subtype` the interaction), the user as the requesting agent
//! with their role and network address, this server as the source, the patient and the resource
//! as entities. Pure.

use serde_json::{Value, json};

use super::api::AuditEventResponse;

const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";
const EVENT_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-event-type";
const INTERACTION: &str = "http://hl7.org/fhir/restful-interaction";
const ENTITY_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
const OBJECT_ROLE: &str = "http://terminology.hl7.org/CodeSystem/object-role";
const SOURCE_TYPE: &str = "http://terminology.hl7.org/CodeSystem/security-source-type";
/// Our identifiers of users and resources, by kind (`…/identifier/intake`).
const IDENTIFIER_BASE: &str = "https://intake.example.org/fhir/identifier";

/// The FHIR action code and RESTful interaction of one of our actions (`intake.read`, …).
fn interaction(action: &str) -> (&'static str, &'static str) {
    let verb = action.rsplit('.').next().unwrap_or(action);
    match verb {
        "list" | "search" => ("E", "search-type"),
        v if v.starts_with("read") || v.starts_with("export") || v.ends_with("_read") => ("R", "read"),
        v if v.starts_with("create") || v == "register" || v == "issue" => ("C", "create"),
        v if v.starts_with("delete") || v == "revoke" => ("D", "delete"),
        v if v.starts_with("update") || v == "submit" || v == "patch" => ("U", "update"),
        _ => ("E", "operation"),
    }
}

/// BALP outcome codes: 0 success, 4 minor failure (refused), 8 serious failure.
fn outcome(o: &str) -> &'static str {
    match o {
        "success" => "0",
        "denied" => "4",
        _ => "8",
    }
}

/// One event as an R4 AuditEvent.
pub fn audit_event(e: &AuditEventResponse) -> Value {
    let (action, subtype) = interaction(&e.action);
    let mut user = json!({
        "type": {"coding": [{"system": DCM, "code": "110153", "display": "Source Role ID"}]},
        "requestor": true,
    });
    match &e.actor_id {
        Some(id) => {
            user["who"] = json!({"identifier": {"system": format!("{IDENTIFIER_BASE}/user"), "value": id}});
        }
        None => user["name"] = json!("anonymous"),
    }
    if let Some(role) = &e.actor_role {
        user["role"] = json!([{"text": role}]);
    }
    if let Some(addr) = &e.client_addr {
        user["network"] = json!({"address": addr, "type": "2"});
    }
    let mut entities = Vec::new();
    if let Some(p) = &e.patient_id {
        entities.push(json!({
            "what": {"reference": format!("Patient/{p}")},
            "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
            "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"},
        }));
    }
    if let Some(id) = &e.resource_id {
        entities.push(json!({
            "what": {"identifier": {"system": format!("{IDENTIFIER_BASE}/{}", e.resource_type), "value": id}},
            "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
            "description": e.resource_type,
        }));
    }
    // A listing names every resource it disclosed.
    for l in &e.listed {
        entities.push(json!({
            "what": {"identifier": {"system": format!("{IDENTIFIER_BASE}/{}", e.resource_type), "value": l.resource_id}},
            "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
            "role": {"system": OBJECT_ROLE, "code": "24", "display": "Query"},
            "description": e.resource_type,
        }));
    }
    if let Some(r) = &e.request_id {
        entities.push(json!({
            "what": {"identifier": {"system": format!("{IDENTIFIER_BASE}/request"), "value": r}},
            "type": {"system": ENTITY_TYPE, "code": "4", "display": "Other"},
            "description": "request id",
        }));
    }
    let mut ev = json!({
        "resourceType": "AuditEvent",
        "id": e.id,
        "type": {"system": EVENT_TYPE, "code": "rest", "display": "RESTful Operation"},
        "subtype": [{"system": INTERACTION, "code": subtype}],
        "action": action,
        "recorded": e.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "outcome": outcome(&e.outcome),
        "outcomeDesc": format!("{} {}", e.action, e.outcome),
        "agent": [user],
        "source": {
            "observer": {"display": "intake-api"},
            "type": [{"system": SOURCE_TYPE, "code": "4", "display": "Application Server"}],
        },
    });
    if !entities.is_empty() {
        ev["entity"] = json!(entities);
    }
    ev
}

/// A page of events as a `searchset` Bundle; `next` is the URL of the following page.
pub fn searchset(events: &[AuditEventResponse], base: &str, next: Option<String>) -> Value {
    let entries: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({
                "fullUrl": format!("{base}/AuditEvent/{}", e.id),
                "resource": audit_event(e),
                "search": {"mode": "match"},
            })
        })
        .collect();
    let mut bundle = json!({"resourceType": "Bundle", "type": "searchset", "entry": entries});
    if let Some(url) = next {
        bundle["link"] = json!([{"relation": "next", "url": url}]);
    }
    bundle
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::api::ListedResource;

    fn event(action: &str, outcome: &str) -> AuditEventResponse {
        AuditEventResponse {
            id: "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f10".into(),
            occurred_at: chrono::DateTime::UNIX_EPOCH,
            actor_id: Some("u1".into()),
            actor_role: Some("clinician".into()),
            action: action.into(),
            resource_type: "intake".into(),
            resource_id: Some("i1".into()),
            patient_id: Some("p1".into()),
            request_id: Some("r1".into()),
            client_addr: Some("203.0.113.7".into()),
            user_agent: None,
            outcome: outcome.into(),
            listed: Vec::new(),
        }
    }

    #[test]
    fn a_read_is_a_rest_read_by_the_user_of_the_patient() {
        let ev = audit_event(&event("intake.read", "success"));
        assert_eq!((ev["action"].as_str(), ev["outcome"].as_str()), (Some("R"), Some("0")));
        assert_eq!(ev["subtype"][0]["code"], "read");
        assert_eq!(ev["agent"][0]["who"]["identifier"]["value"], "u1");
        assert_eq!(ev["agent"][0]["requestor"], true);
        assert_eq!(ev["agent"][0]["network"]["address"], "203.0.113.7");
        assert_eq!(ev["entity"][0]["what"]["reference"], "Patient/p1");
        assert_eq!(ev["entity"][1]["what"]["identifier"]["value"], "i1");
        assert_eq!(ev["recorded"], "1970-01-01T00:00:00.000000Z");
    }

    #[test]
    fn actions_and_outcomes_map() {
        for (action, code) in [
            ("intake.create", "C"),
            ("intake.update", "U"),
            ("intake.submit", "U"),
            ("intake.delete", "D"),
            ("intake.list", "E"),
            ("intake.export_fhir", "R"),
            ("course.outcomes_read", "R"),
            ("auth.login_failed", "E"),
        ] {
            assert_eq!(audit_event(&event(action, "success"))["action"], code, "{action}");
        }
        assert_eq!(audit_event(&event("intake.read", "denied"))["outcome"], "4");
        assert_eq!(audit_event(&event("auth.login", "failure"))["outcome"], "8");
        let mut listing = event("intake.list", "success");
        listing.resource_id = None;
        listing.patient_id = None;
        listing.listed = vec![ListedResource {
            resource_id: "i9".into(),
            patient_id: Some("p9".into()),
        }];
        let ev = audit_event(&listing);
        assert_eq!(ev["entity"][0]["what"]["identifier"]["value"], "i9");
        assert_eq!(ev["entity"][0]["role"]["code"], "24");
    }
}
