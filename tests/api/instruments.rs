//! The instrument catalogue and score previews through HTTP.

use intake_api::auth::Role;
use intake_api::db::Backend;
use serde_json::json;

use crate::helpers::{spawn, spawn_with};
use crate::on_both_backends;

async fn catalogue_lists_enabled_instruments(backend: Backend) {
    let app = spawn(backend).await;
    let res = app.get("/api/v1/instruments", None).await;
    assert_eq!(res.status, 200);
    let codes: Vec<String> = res
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        codes,
        vec![
            "phq9",
            "gad7",
            "pc_ptsd5",
            "pcl5",
            "asq",
            "pain_nrs",
            "peg",
            "fm2016",
            "crps_budapest",
            "pgic",
            "ketamine_side_effects"
        ]
    );
    let phq9 = &res.json()[0];
    assert_eq!(phq9["item_count"], 10);
    assert_eq!(phq9["languages"], json!(["en", "es"]));

    let res = app.get("/api/v1/instruments/dn4", None).await;
    let body = res.problem(404, "/problems/not-enabled");
    assert!(body["detail"].as_str().unwrap().contains("INSTRUMENTS_ENABLED"));
    app.get("/api/v1/instruments/bdi2", None)
        .await
        .problem(404, "/problems/not-found");
}

async fn restricted_instruments_when_enabled(backend: Backend) {
    let app = spawn_with(backend, &[("INSTRUMENTS_ENABLED", "phq9,asq,dn4,cssrs_screen")]).await;
    let codes: Vec<String> = app
        .get("/api/v1/instruments", None)
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes, vec!["phq9", "asq", "dn4", "cssrs_screen"]);
    assert_eq!(app.get("/api/v1/instruments/dn4", None).await.status, 200);
    app.get("/api/v1/instruments/gad7", None)
        .await
        .problem(404, "/problems/not-enabled");
}

async fn questionnaire_in_both_languages(backend: Backend) {
    let app = spawn(backend).await;
    let en = app.get("/api/v1/instruments/phq9", None).await.json();
    let es = app.get("/api/v1/instruments/phq9?lang=es", None).await.json();
    assert_eq!(en["lang"], "en");
    assert_eq!(es["lang"], "es");
    assert_eq!(en["items"][0]["id"], "1");
    assert_eq!(en["items"][0]["text"], "Little interest or pleasure in doing things");
    assert_eq!(es["items"][0]["text"], "Poco interés o placer en hacer cosas");
    assert_eq!(
        en["items"][0]["options"][3],
        json!({"value": 3, "label": "Nearly every day"})
    );
    assert_eq!(es["items"][0]["options"][3]["label"], "Casi todos los días");
    assert_eq!(en["items"][9]["required"], false);
    assert_eq!(en["scoring"]["rule_set"], "PHQ9-Kroenke2001");
    assert_eq!(en["scoring"]["cutoffs"]["positive"], 10);
    assert_eq!(
        en["scoring"]["bands"][4],
        json!({"band": "severe", "min": 20, "max": 27})
    );
    let crps = app.get("/api/v1/instruments/crps_budapest", None).await.json();
    let sign = crps["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "signs.sensory")
        .unwrap()
        .clone();
    assert_eq!(sign["answered_by"], "clinician");
    let res = app.get("/api/v1/instruments/phq9?lang=fr", None).await;
    assert_eq!(res.problem(422, "/problems/validation")["errors"][0]["field"], "lang");
}

async fn score_previews(backend: Backend) {
    let app = spawn_with(backend, &[("CUTOFF_PHQ2", "2")]).await;
    let (_, patient) = app.patient_account("p@example.org").await;
    let answers = json!({"answers": {"1": 1, "2": 1, "3": 3, "4": 2, "5": 1, "6": 1, "7": 1, "8": 0, "9": 1}});
    app.post("/api/v1/instruments/phq9/score", None, &answers)
        .await
        .problem(401, "/problems/unauthenticated");
    let res = app
        .post("/api/v1/instruments/phq9/score", Some(&patient), &answers)
        .await;
    assert_eq!(res.status, 200);
    let s = res.json();
    assert_eq!(s["instrument"], "phq9");
    assert_eq!(s["total"], 11);
    assert_eq!(s["band"], "moderate");
    assert_eq!(s["positive"], true);
    assert_eq!(s["subscales"]["phq2_positive"], true);
    assert_eq!(s["cutoffs"]["phq2_positive"], 2, "the clinic's cut-off is recorded");
    assert_eq!(s["flags"][0]["code"], "suicidal_ideation");
    assert_eq!(s["flags"][0]["triggered_by"], json!(["answers.9"]));

    let res = app
        .post(
            "/api/v1/instruments/phq9/score",
            Some(&patient),
            &json!({"answers": {"1": 7, "2": "a"}}),
        )
        .await;
    let body = res.problem(422, "/problems/validation");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec![
            "answers.1",
            "answers.2",
            "answers.3",
            "answers.4",
            "answers.5",
            "answers.6",
            "answers.7",
            "answers.8",
            "answers.9"
        ]
    );

    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let crps = json!({"answers": {"disproportionate_pain": true, "symptoms": {"sensory": true, "vasomotor": true, "sudomotor_edema": true, "motor_trophic": false},
        "signs": {"sensory": true, "vasomotor": true, "sudomotor_edema": false, "motor_trophic": false}, "other_diagnosis_explains": false}});
    let res = app
        .post("/api/v1/instruments/crps_budapest/score", Some(&clinician), &crps)
        .await;
    assert_eq!(res.json()["result"], "met");
    app.post(
        "/api/v1/instruments/dn4/score",
        Some(&clinician),
        &json!({"answers": {}}),
    )
    .await
    .problem(404, "/problems/not-enabled");
}

on_both_backends!(
    catalogue_lists_enabled_instruments,
    restricted_instruments_when_enabled,
    questionnaire_in_both_languages,
    score_previews
);

/// Each instrument's documented example response is what the server computes for its example.
#[::core::prelude::v1::test]
fn documented_examples_match_the_scorer() {
    let doc: serde_json::Value = serde_json::from_str(&intake_api::app::openapi().to_json().unwrap()).unwrap();
    let op = &doc["paths"]["/api/v1/instruments/{code}/score"]["post"];
    let requests = op["requestBody"]["content"]["application/json"]["examples"]
        .as_object()
        .unwrap();
    let responses = op["responses"]["200"]["content"]["application/json"]["examples"]
        .as_object()
        .unwrap();
    assert_eq!(requests.len(), 13);
    assert_eq!(responses.len(), 13);
    for (code, req) in requests {
        let instrument = intake_api::screening::instruments::InstrumentCode::parse(code).unwrap();
        let scored =
            intake_api::screening::scoring::score(instrument, &req["value"]["answers"], "answers", &Default::default())
                .unwrap();
        assert_eq!(
            serde_json::to_value(scored).unwrap(),
            responses[code]["value"],
            "{code}"
        );
    }
}
