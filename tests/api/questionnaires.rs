//! The instruments as FHIR SDC Questionnaires, and QuestionnaireResponses stored as screenings.

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test as at;
use serde_json::{Value, json};

use intake_api::db::Backend;

use crate::helpers::{TestApp, TestResponse, spawn, validate_fhir_r4, with_token};
use crate::on_both_backends;

const ANSWERS: &str = "https://intake.example.org/fhir/Questionnaire/phq9/answers";

/// A QuestionnaireResponse answering PHQ-9 with `answers` (item id → value).
fn phq9_response(answers: &Value) -> Value {
    let items: Vec<Value> = answers
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, v)| json!({"linkId": id, "answer": [{"valueCoding": {"system": ANSWERS, "code": v.to_string()}}]}))
        .collect();
    json!({"resourceType": "QuestionnaireResponse", "status": "completed",
        "questionnaire": "https://intake.example.org/fhir/Questionnaire/phq9|1.0",
        "subject": {"reference": "Patient/example"}, "authored": "2026-12-02T10:00:00Z", "item": items})
}

impl<S, B> TestApp<S>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    async fn put_screening(
        &self,
        intake: &str,
        code: &str,
        token: &str,
        etag: Option<&str>,
        body: &Value,
    ) -> TestResponse {
        let mut req = with_token(
            at::TestRequest::put().uri(&format!("/api/v1/intakes/{intake}/screenings/{code}")),
            Some(token),
        )
        .insert_header(("Content-Type", "application/fhir+json"))
        .set_payload(body.to_string());
        if let Some(e) = etag {
            req = req.insert_header(("If-Match", e.to_owned()));
        }
        self.send(req).await
    }
}

#[actix_web::test]
async fn questionnaires_are_public_and_valid_r4() {
    let app = spawn(Backend::Sqlite).await;
    let offered = app.get("/api/v1/instruments", None).await.json();
    let codes: Vec<String> = offered
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap().replace('_', "-"))
        .collect();
    for lang in ["en", "es"] {
        let res = app.get(&format!("/api/v1/fhir/Questionnaire?lang={lang}"), None).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.header("content-type"), Some("application/fhir+json"));
        let bundle = res.json();
        assert_eq!(bundle["type"], "searchset");
        assert_eq!(bundle["total"], codes.len());
        let ids: Vec<&str> = bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["resource"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids, codes,
            "every enabled instrument, in catalogue order; restricted ones left out"
        );
        assert!(!ids.contains(&"dn4"));
        for e in bundle["entry"].as_array().unwrap() {
            assert_eq!(e["resource"]["language"], lang);
            assert!(e["fullUrl"].as_str().unwrap().ends_with(&format!(
                "/api/v1/fhir/Questionnaire/{}",
                e["resource"]["id"].as_str().unwrap()
            )));
        }
        if let Err(e) = validate_fhir_r4(&bundle) {
            panic!("{lang}: {e}");
        }
    }

    // One by one, by code or by id; the response of the list and of the one agree.
    let one = app.get("/api/v1/fhir/Questionnaire/pc_ptsd5?lang=es", None).await;
    assert_eq!(one.status, 200);
    let q = one.json();
    assert_eq!(
        (q["id"].as_str(), q["language"].as_str()),
        (Some("pc-ptsd5"), Some("es"))
    );
    assert_eq!(
        app.get("/api/v1/fhir/Questionnaire/pc-ptsd5?lang=es", None)
            .await
            .json(),
        q
    );
    validate_fhir_r4(&q).unwrap();
    let phq9 = app.get("/api/v1/fhir/Questionnaire/phq9", None).await.json();
    assert_eq!(phq9["code"], json!([{"system": "http://loinc.org", "code": "44249-1"}]));
    assert_eq!(phq9["item"][8]["code"][0]["code"], "44260-8");
    assert_eq!(
        phq9["item"][0]["answerOption"][2]["extension"],
        json!([{"url": "http://hl7.org/fhir/StructureDefinition/itemWeight", "valueDecimal": 2}])
    );

    // Restricted and unknown instruments are 404, saying why.
    let res = app.get("/api/v1/fhir/Questionnaire/dn4", None).await;
    assert_eq!(res.status, 404);
    assert!(res.json()["detail"].as_str().unwrap().contains("INSTRUMENTS_ENABLED"));
    assert_eq!(app.get("/api/v1/fhir/Questionnaire/bdi2", None).await.status, 404);

    // A broken Questionnaire is caught by the validator (it is not a rubber stamp).
    let mut broken = phq9.clone();
    broken["item"][1]["linkId"] = json!("1");
    assert!(validate_fhir_r4(&broken).unwrap_err().contains("que-2"));
    let mut broken = phq9.clone();
    broken["item"][0]["type"] = json!("radio");
    assert!(validate_fhir_r4(&broken).is_err());
}

async fn a_questionnaire_response_scores_like_json(backend: Backend) {
    let app = spawn(backend).await;
    let answers = json!({"1": 2, "2": 3, "3": 1, "4": 2, "5": 0, "6": 1, "7": 3, "8": 0, "9": 0, "10": 2});
    let qr = phq9_response(&answers);
    if let Err(e) = validate_fhir_r4(&qr) {
        panic!("the example response is not valid R4: {e}");
    }

    // One patient answers PHQ-9 through a QuestionnaireResponse ...
    let (token, intake, etag) = app.fixture_draft("fibromyalgia", "ana@example.org").await;
    let before = app.get(&format!("/api/v1/intakes/{intake}"), Some(&token)).await.json();
    let res = app.put_screening(&intake, "phq9", &token, Some(&etag), &qr).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.header("etag"), Some("\"2\""));
    let stored = res.json();
    assert_eq!(stored["sections"]["screenings"]["phq9"], answers);
    // Only that instrument changed.
    assert_eq!(
        stored["sections"]["screenings"]["gad7"],
        before["sections"]["screenings"]["gad7"]
    );
    assert_eq!(stored["sections"]["pain"], before["sections"]["pain"]);
    let by_fhir = app.submit(&intake, &token).await;
    assert_eq!(by_fhir.status, 200, "{}", String::from_utf8_lossy(&by_fhir.body));

    // ... another sends the same answers as JSON: the same score, to the last field.
    let (token2, intake2, etag2) = app.fixture_draft("fibromyalgia", "bea@example.org").await;
    let mut screenings = before["sections"]["screenings"].clone();
    screenings["phq9"] = answers.clone();
    let res = app
        .patch(
            &format!("/api/v1/intakes/{intake2}"),
            Some(&token2),
            &json!({"sections": {"screenings": screenings}}),
            Some(&etag2),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let by_json = app.submit(&intake2, &token2).await;
    let (a, b) = (
        by_fhir.json()["scores"]["phq9"].clone(),
        by_json.json()["scores"]["phq9"].clone(),
    );
    assert_eq!(a["total"], 12);
    assert_eq!(a["band"], "moderate");
    assert_eq!(a, b);

    // Refusals change nothing: every bad linkId and answer named by its path in the resource.
    let (token3, intake3, etag3) = app.fixture_draft("fibromyalgia", "cai@example.org").await;
    let mut bad = qr.clone();
    bad["item"]
        .as_array_mut()
        .unwrap()
        .push(json!({"linkId": "11", "answer": [{"valueCoding": {"system": ANSWERS, "code": "1"}}]}));
    bad["item"][0]["answer"][0]["valueCoding"]["code"] = json!("4");
    let res = app.put_screening(&intake3, "phq9", &token3, Some(&etag3), &bad).await;
    let problem = res.problem(422, "/problems/validation");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["item[0].answer[0].valueCoding.code", "item[10].linkId"]);
    let res = app
        .put_screening(
            &intake3,
            "phq9",
            &token3,
            Some(&etag3),
            &json!({"resourceType": "Patient"}),
        )
        .await;
    assert_eq!(
        res.problem(422, "/problems/validation")["errors"][0]["field"],
        "resourceType"
    );
    let res = app.put_screening(&intake3, "phq9", &token3, None, &qr).await;
    assert_eq!(res.status, 428);
    let res = app.put_screening(&intake3, "phq9", &token3, Some("\"7\""), &qr).await;
    assert_eq!(res.status, 412);
    let res = app.put_screening(&intake3, "bdi2", &token3, Some(&etag3), &qr).await;
    assert_eq!(res.status, 404);
    let res = app.put_screening(&intake3, "gad7", &token3, Some(&etag3), &qr).await;
    assert_eq!(
        res.problem(422, "/problems/validation")["errors"][0]["field"],
        "questionnaire"
    );
    let unchanged = app.get(&format!("/api/v1/intakes/{intake3}"), Some(&token3)).await;
    assert_eq!(unchanged.header("etag"), Some(etag3.as_str()));

    // Another patient's intake is not there; a submitted one is not changed.
    let res = app.put_screening(&intake, "phq9", &token3, Some("\"3\""), &qr).await;
    assert_eq!(res.status, 404);
    let current = app.get(&format!("/api/v1/intakes/{intake}"), Some(&token)).await;
    let etag = current.header("etag").unwrap().to_owned();
    let res = app.put_screening(&intake, "phq9", &token, Some(&etag), &qr).await;
    assert_eq!(res.status, 409);
}

/// A QuestionnaireResponse for `questionnaire` (as served) holding `answers` in our JSON form:
/// what a form renderer produces, built from the published Questionnaire alone.
fn response_for(questionnaire: &Value, answers: &Value) -> Value {
    fn items(defs: &[Value], answers: &serde_json::Map<String, Value>, prefix: &str) -> Vec<Value> {
        let mut out = Vec::new();
        for def in defs {
            let link = def["linkId"].as_str().unwrap();
            let key = link.strip_prefix(prefix).unwrap_or(link);
            let Some(v) = answers.get(key) else { continue };
            let item = match def["type"].as_str().unwrap() {
                "group" => {
                    json!({"linkId": link, "item": items(def["item"].as_array().unwrap(), v.as_object().unwrap(), &format!("{link}."))})
                }
                "choice" => {
                    let system = def["answerOption"][0]["valueCoding"]["system"].clone();
                    let code = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    let list: Vec<Value> = match v {
                        Value::Array(vs) => vs
                            .iter()
                            .map(|v| json!({"valueCoding": {"system": system, "code": code(v)}}))
                            .collect(),
                        v => vec![json!({"valueCoding": {"system": system, "code": code(v)}})],
                    };
                    json!({"linkId": link, "answer": list})
                }
                "boolean" => json!({"linkId": link, "answer": [{"valueBoolean": v}]}),
                "integer" => json!({"linkId": link, "answer": [{"valueInteger": v}]}),
                _ => json!({"linkId": link, "answer": [{"valueString": v}]}),
            };
            out.push(item);
        }
        out
    }
    json!({"resourceType": "QuestionnaireResponse", "status": "completed",
        "questionnaire": format!("{}|{}", questionnaire["url"].as_str().unwrap(), questionnaire["version"].as_str().unwrap()),
        "item": items(questionnaire["item"].as_array().unwrap(), answers.as_object().unwrap(), "")})
}

async fn a_checkin_takes_a_bundle_of_responses(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(intake_api::auth::Role::Clinician, "dr@clinic.example.org");
    let answers = crate::courses::pre_session_answers(6, 7)["screenings"].clone();
    let mut checkins = Vec::new();
    for email in ["ana@example.org", "bea@example.org"] {
        let p = app.intake_with(email, 10, 8, &clinician, true).await;
        let course = app.start_course(&p.intake, &clinician).await.json();
        let session = app
            .post(
                &format!("/api/v1/courses/{}/sessions", course["id"].as_str().unwrap()),
                Some(&clinician),
                &json!({"scheduled_at": crate::courses::later(24)}),
            )
            .await
            .json();
        checkins.push((p.token, session["checkin_id"].as_str().unwrap().to_owned()));
    }
    let mut entries = Vec::new();
    for (code, a) in answers.as_object().unwrap() {
        let q = app
            .get(&format!("/api/v1/fhir/Questionnaire/{code}"), None)
            .await
            .json();
        entries.push(json!({"fullUrl": format!("urn:uuid:{}", uuid::Uuid::new_v4()), "resource": response_for(&q, a)}));
    }
    let bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": entries});
    if let Err(e) = validate_fhir_r4(&bundle) {
        panic!("the Bundle is not valid R4: {e}");
    }
    let submit = |token: &str, checkin: &str, body: &Value| {
        with_token(
            at::TestRequest::post().uri(&format!("/api/v1/checkins/{checkin}/submit")),
            Some(token),
        )
        .insert_header(("Content-Type", "application/fhir+json"))
        .set_payload(body.to_string())
    };

    // A bad linkId: named by its path in the Bundle, nothing stored.
    let (token, checkin) = &checkins[0];
    let mut bad = bundle.clone();
    bad["entry"][1]["resource"]["item"][0]["linkId"] = json!("nope");
    let res = app.send(submit(token, checkin, &bad)).await;
    assert_eq!(
        res.problem(422, "/problems/validation")["errors"][0]["field"],
        "entry[1].resource.item[0].linkId"
    );
    let res = app.send(submit(token, checkin, &bundle)).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let by_fhir = res.json();
    assert_eq!(by_fhir["status"], "completed");
    assert_eq!(by_fhir["scores"]["phq9"]["total"], 6);

    // The same answers as JSON score the same.
    let (token, checkin) = &checkins[1];
    let res = app
        .post(
            &format!("/api/v1/checkins/{checkin}/submit"),
            Some(token),
            &json!({"screenings": answers}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.json()["scores"], by_fhir["scores"]);
    assert_eq!(res.json()["answers"], by_fhir["answers"]);
}

on_both_backends!(
    a_questionnaire_response_scores_like_json,
    a_checkin_takes_a_bundle_of_responses
);
