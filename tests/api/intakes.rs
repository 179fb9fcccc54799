//! Intake capture: drafts, concurrency, completeness, submit, idempotency, consent, ownership.

use actix_web::test as at;
use futures_util::future::join_all;
use intake_api::auth::Role;
use intake_api::db::Backend;
use serde_json::{Value, json};

use crate::helpers::{fixture, spawn, with_token};
use crate::on_both_backends;

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

async fn draft_lifecycle(backend: Backend) {
    let app = spawn(backend).await;
    let (patient_id, token) = app.patient_with_profile("ana@example.org", "Ana", "López").await;
    let res = app.post("/api/v1/intakes", Some(&token), &json!({})).await;
    assert_eq!(res.status, 201);
    let body = res.json();
    let id = body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/intakes/{id}");
    assert_eq!(res.header("location"), Some(path.as_str()));
    assert_eq!(res.header("etag"), Some("\"1\""));
    assert_eq!(body["status"], "draft");
    assert_eq!(body["patient_id"], patient_id.to_string());
    assert_eq!(body["created_on_behalf"], false);
    // Pre-filled from the profile.
    assert_eq!(body["sections"]["demographics"]["family_name"], "López");
    assert!(fields(&json!({"errors": body["missing"]})).contains(&"sections.demographics.weight_kg".to_owned()));

    let get = app.get(&path, Some(&token)).await;
    assert_eq!((get.status.as_u16(), get.header("etag")), (200, Some("\"1\"")));

    let logistics = json!({"sections": {"logistics": {"fasting_instructions_acknowledged": true}}});
    app.patch(&path, Some(&token), &logistics, None)
        .await
        .problem(428, "/problems/precondition-required");
    app.patch(&path, Some(&token), &logistics, Some("\"7\""))
        .await
        .problem(412, "/problems/stale-version");
    let res = app.patch(&path, Some(&token), &logistics, Some("\"1\"")).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("etag"), Some("\"2\""));
    assert_eq!(
        res.json()["sections"]["logistics"]["fasting_instructions_acknowledged"],
        true
    );
    assert_eq!(
        res.json()["sections"]["demographics"]["given_name"],
        "Ana",
        "other sections untouched"
    );

    // Every bad field by JSON path; nothing is changed.
    let bad = json!({"sections": {
        "demographics": {"weight_kg": 500, "height_cm": "tall", "shoe_size": 9, "sex_at_birth": "robot"},
        "medical_history": {"cardiac_conditions": ["none", "heart_failure"], "last_blood_pressure": {"systolic_mmhg": 20}},
        "screenings": {"phq9": {"1": 5}, "bdi2": {}},
        "pain": {"conditions": [{"type": "migraine", "intensity": {"now": 11}}]}}});
    let res = app.patch(&path, Some(&token), &bad, Some("\"2\"")).await;
    let problem = res.problem(422, "/problems/validation");
    let got = fields(&problem);
    for expected in [
        "sections.demographics.height_cm",
        "sections.demographics.sex_at_birth",
        "sections.demographics.shoe_size",
        "sections.medical_history.cardiac_conditions",
        "sections.pain.conditions[0].type",
        "sections.pain.conditions[0].intensity.now",
        "sections.demographics.weight_kg",
        "sections.medical_history.last_blood_pressure.systolic_mmhg",
    ] {
        assert!(got.contains(&expected.to_owned()), "{expected} missing from {got:?}");
    }
    let after = app.get(&path, Some(&token)).await;
    assert_eq!(after.header("etag"), Some("\"2\""));
    // Instrument answers are checked once the shape is right.
    let res = app
        .patch(
            &path,
            Some(&token),
            &json!({"sections": {"screenings": {"phq9": {"1": 5, "2": 1}, "bdi2": {}}}}),
            Some("\"2\""),
        )
        .await;
    let got = fields(&res.problem(422, "/problems/validation"));
    assert_eq!(got, vec!["sections.screenings.bdi2", "sections.screenings.phq9.1"]);

    // null removes a section.
    let res = app
        .patch(
            &path,
            Some(&token),
            &json!({"sections": {"logistics": null}}),
            Some("\"2\""),
        )
        .await;
    assert!(res.json()["sections"].get("logistics").is_none());

    // A draft that was never submitted can be deleted.
    assert_eq!(
        app.call(actix_web::http::Method::DELETE, &path, Some(&token), None)
            .await
            .status,
        204
    );
    app.get(&path, Some(&token)).await.problem(404, "/problems/not-found");
}

async fn empty_submit_lists_everything_missing(backend: Backend) {
    let app = spawn(backend).await;
    let (_, token) = app.patient_with_profile("ana@example.org", "Ana", "López").await;
    let id = app.post("/api/v1/intakes", Some(&token), &json!({})).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app.submit(&id, &token).await;
    let problem = res.problem(422, "/problems/validation");
    let got = fields(&problem);
    for expected in [
        "sections.consent",
        "sections.demographics.height_cm",
        "sections.demographics.interpreter_needed",
        "sections.demographics.weight_kg",
        "sections.logistics",
        "sections.medical_history",
        "sections.pain",
        "sections.screenings",
    ] {
        assert!(got.contains(&expected.to_owned()), "{expected} missing from {got:?}");
    }
    assert_eq!(
        app.get(&format!("/api/v1/intakes/{id}"), Some(&token)).await.json()["status"],
        "draft"
    );
}

fn check_expected(body: &Value, expected: &Value, name: &str) {
    for (code, want) in expected["scores"].as_object().unwrap() {
        for (k, v) in want.as_object().unwrap() {
            let got = &body["scores"][code][k];
            let same = match (got.as_f64(), v.as_f64()) {
                (Some(a), Some(b)) => (a - b).abs() < 1e-9,
                _ => got == v,
            };
            assert!(same, "{name}: {code}.{k} = {got}, expected {v}");
        }
    }
    let codes: Vec<&str> = body["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = expected["flag_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(codes, want, "{name}: flags");
    assert_eq!(body["eligibility"]["status"], expected["eligibility"], "{name}");
    assert_eq!(
        body["mme"]["total_mme_per_day"].as_f64(),
        expected["mme"].as_f64(),
        "{name}: MME"
    );
    for s in body["scores"].as_object().unwrap().values() {
        assert!(
            s["version"].is_string() && s["rule_set"].is_string() && s["cutoffs"].is_object(),
            "{name}: {s}"
        );
    }
}

async fn fixtures_submit_with_expected_results(backend: Backend) {
    let app = spawn(backend).await;
    for (i, name) in ["fibromyalgia", "crps", "neuropathic", "postoperative"]
        .iter()
        .enumerate()
    {
        let (token, id, _) = app.fixture_draft(name, &format!("p{i}@example.org")).await;
        let draft = app.get(&format!("/api/v1/intakes/{id}"), Some(&token)).await.json();
        assert_eq!(draft["missing"], json!([]), "{name}: {}", draft["missing"]);
        let res = app.submit(&id, &token).await;
        assert_eq!(res.status, 200, "{name}: {}", String::from_utf8_lossy(&res.body));
        let body = res.json();
        assert_eq!(body["status"], "submitted");
        assert_eq!(body["submission_count"], 1);
        check_expected(&body, &fixture(name)["expected"], name);
        // The stored intake says the same as the submit response.
        let stored = app.get(&format!("/api/v1/intakes/{id}"), Some(&token)).await.json();
        assert_eq!(stored["scores"], body["scores"]);
        assert_eq!(stored["eligibility"], body["eligibility"]);
        // Submitted: no more edits, no delete, no second submit.
        let path = format!("/api/v1/intakes/{id}");
        let etag = format!("\"{}\"", stored["version"]);
        app.patch(
            &path,
            Some(&token),
            &json!({"sections": {"logistics": null}}),
            Some(&etag),
        )
        .await
        .problem(409, "/problems/conflict");
        app.call(actix_web::http::Method::DELETE, &path, Some(&token), None)
            .await
            .problem(409, "/problems/conflict");
        app.submit(&id, &token).await.problem(409, "/problems/conflict");
        let subs = app.get(&format!("{path}/submissions"), Some(&token)).await.json();
        assert_eq!(subs.as_array().unwrap().len(), 1);
        assert_eq!(subs[0]["sections"], stored["sections"]);
    }
}

async fn conditional_instruments_are_required(backend: Backend) {
    let app = spawn(backend).await;
    let (token, id, etag) = app.fixture_draft("crps", "marcus@example.org").await;
    let path = format!("/api/v1/intakes/{id}");
    let mut screenings = fixture("crps")["sections"]["screenings"].clone();
    let m = screenings.as_object_mut().unwrap();
    m.remove("pcl5");
    m.remove("crps_budapest");
    m.insert("asq".into(), json!({"1": "refused", "2": "no", "3": "no", "4": "no"}));
    let res = app
        .patch(
            &path,
            Some(&token),
            &json!({"sections": {"screenings": screenings}}),
            Some(&etag),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let got = fields(&app.submit(&id, &token).await.problem(422, "/problems/validation"));
    assert_eq!(
        got,
        vec![
            "sections.screenings.asq.5",
            "sections.screenings.crps_budapest",
            "sections.screenings.pcl5"
        ]
    );

    // Exam findings belong to the clinician.
    let etag = app.get(&path, Some(&token)).await.header("etag").unwrap().to_owned();
    let signs = json!({"sections": {"screenings": {"crps_budapest": {"disproportionate_pain": true,
        "symptoms": {"sensory": true, "vasomotor": true, "sudomotor_edema": true, "motor_trophic": true},
        "signs": {"sensory": true, "vasomotor": true, "sudomotor_edema": false, "motor_trophic": false}}}}});
    let res = app.patch(&path, Some(&token), &signs, Some(&etag)).await;
    let problem = res.problem(422, "/problems/validation");
    assert_eq!(problem["errors"][0]["code"], "clinician_only");
    assert_eq!(problem["errors"][0]["field"], "sections.screenings.crps_budapest.signs");
}

async fn idempotent_create_and_submit(backend: Backend) {
    let app = spawn(backend).await;
    let (_, token) = app.patient_with_profile("ana@example.org", "Ana", "López").await;
    let create = |key: &str, body: Value| {
        with_token(at::TestRequest::post().uri("/api/v1/intakes"), Some(&token))
            .insert_header(("Idempotency-Key", key.to_owned()))
            .set_json(body)
    };
    let first = app.send(create("k-1", json!({"sections": {}}))).await;
    let again = app.send(create("k-1", json!({"sections": {}}))).await;
    assert_eq!((first.status.as_u16(), again.status.as_u16()), (201, 201));
    assert_eq!(first.json()["id"], again.json()["id"]);
    assert_eq!(first.body, again.body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.header("location"), first.header("location"));
    let list = app.get("/api/v1/intakes", Some(&token)).await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "one record per key");
    let res = app
        .send(create(
            "k-1",
            json!({"sections": {"logistics": {"fasting_instructions_acknowledged": true}}}),
        ))
        .await;
    assert_eq!(
        res.problem(422, "/problems/validation")["errors"][0]["field"],
        "Idempotency-Key"
    );

    // Submit: the same key replays the first response; a new request would be a 409.
    let (ftoken, id, _) = app.fixture_draft("postoperative", "james@example.org").await;
    let submit = |key: &str| {
        with_token(
            at::TestRequest::post().uri(&format!("/api/v1/intakes/{id}/submit")),
            Some(&ftoken),
        )
        .insert_header(("Idempotency-Key", key.to_owned()))
    };
    let s1 = app.send(submit("sub-1")).await;
    let s2 = app.send(submit("sub-1")).await;
    assert_eq!((s1.status.as_u16(), s2.status.as_u16()), (200, 200));
    assert_eq!(s1.body, s2.body);
    assert_eq!(
        app.get(&format!("/api/v1/intakes/{id}"), Some(&ftoken)).await.json()["submission_count"],
        1
    );
    app.send(submit("sub-2")).await.problem(409, "/problems/conflict");
    // Keys are per user: another user's same key is a different request.
    let (_, other) = app.patient_with_profile("ben@example.org", "Ben", "Okafor").await;
    let res = app
        .send(
            with_token(at::TestRequest::post().uri("/api/v1/intakes"), Some(&other))
                .insert_header(("Idempotency-Key", "k-1"))
                .set_json(json!({})),
        )
        .await;
    assert_eq!(res.status, 201);
    assert_ne!(res.json()["id"], first.json()["id"]);
}

/// PATCH bodies that each leave a mark of their writer: "writer {i}".
fn writer_bodies(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"sections": {"logistics": {"goals": {"target_pain_nrs": i % 11, "concerns": format!("writer {i}")}}}}))
        .collect()
}

/// Every response that carries patient data writes an audit event, error details derived from it
/// included (issue 12, point 3): a replayed create, a list of patient accounts, a refused submit.
async fn disclosures_are_audited(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    let (patient_id, token) = app.patient_with_profile("ana@example.org", "Ana", "López").await;
    let trail = |query: String| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let page = app
                .get(&format!("/api/v1/audit?{query}&limit=100"), Some(&admin))
                .await
                .json();
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| (e["outcome"].as_str().unwrap().to_owned(), e["patient_id"].clone()))
                .collect::<Vec<_>>()
        }
    };
    // A replayed create shows the draft again: audited, and refused once the draft is gone.
    let create = || {
        with_token(at::TestRequest::post().uri("/api/v1/intakes"), Some(&token))
            .insert_header(("Idempotency-Key", "k-1"))
            .set_json(json!({"sections": {}}))
    };
    let first = app.send(create()).await;
    let id = first.json()["id"].as_str().unwrap().to_owned();
    let again = app.send(create()).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        trail(format!("action=intake.create_replayed&resource_id={id}")).await,
        vec![("success".to_owned(), json!(patient_id.to_string()))]
    );
    let path = format!("/api/v1/intakes/{id}");
    assert_eq!(
        app.call(actix_web::http::Method::DELETE, &path, Some(&token), None)
            .await
            .status,
        204
    );
    let gone = app.send(create()).await;
    assert!(
        gone.problem(409, "/problems/conflict")["detail"]
            .as_str()
            .unwrap()
            .contains("deleted")
    );
    assert!(gone.json().get("sections").is_none(), "no draft is disclosed");

    // An administrator's list of patient accounts reads patient data.
    let users = app.get("/api/v1/users?role=patient", Some(&admin)).await.json();
    assert_eq!(users["items"].as_array().unwrap().len(), 1);
    let user_id = users["items"][0]["id"].as_str().unwrap().to_owned();
    // One event for the page, naming the account it listed and whose it is.
    let listing = app
        .get(
            &format!("/api/v1/audit?action=user.list&resource_id={user_id}"),
            Some(&admin),
        )
        .await
        .json();
    let listing = listing["items"].as_array().unwrap();
    assert_eq!(listing.len(), 1);
    assert_eq!(listing[0]["outcome"], "success");
    assert_eq!(
        listing[0]["listed"],
        json!([{"resource_id": user_id, "patient_id": patient_id.to_string()}])
    );
    let staff_only = app.get("/api/v1/users?role=admin", Some(&admin)).await;
    assert_eq!(staff_only.status, 200);

    // A refused submit says what is missing, which tells what the answers are.
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let res = app
        .post("/api/v1/intakes", Some(&clinician), &json!({"patient_id": patient_id}))
        .await;
    let draft = res.json()["id"].as_str().unwrap().to_owned();
    app.submit(&draft, &clinician)
        .await
        .problem(422, "/problems/validation");
    assert_eq!(
        trail(format!("action=intake.submit&resource_id={draft}")).await,
        vec![("failure".to_owned(), json!(patient_id.to_string()))]
    );
}

async fn concurrent_patches_one_winner(backend: Backend) {
    let app = spawn(backend).await;
    let (token, path) = app.empty_draft("ana@example.org").await;
    let bodies = writer_bodies(40);
    let requests = bodies
        .iter()
        .map(|body| app.patch(&path, Some(&token), body, Some("\"1\"")));
    let results = join_all(requests).await;
    let winners: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.status == 200)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "statuses: {:?}",
        results.iter().map(|r| r.status.as_u16()).collect::<Vec<_>>()
    );
    assert!(results.iter().all(|r| r.status == 200 || r.status == 412));
    let stored = app.get(&path, Some(&token)).await.json();
    assert_eq!(stored["version"], 2);
    let w = winners[0];
    assert_eq!(
        stored["sections"]["logistics"]["goals"]["concerns"],
        format!("writer {w}")
    );
    assert_eq!(stored["sections"]["logistics"]["goals"]["target_pain_nrs"], w % 11);
}

/// `If-Match: *` asks for no version check: concurrent writers queue on the row and every one
/// applies, in some order, each on top of the one before.
async fn concurrent_patches_with_any_all_apply(backend: Backend) {
    let app = spawn(backend).await;
    let (token, path) = app.empty_draft("ana@example.org").await;
    let bodies = writer_bodies(20);
    let results = join_all(
        bodies
            .iter()
            .map(|body| app.patch(&path, Some(&token), body, Some("*"))),
    )
    .await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status.as_u16()).collect();
    assert!(statuses.iter().all(|s| *s == 200), "statuses: {statuses:?}");
    let mut versions: Vec<i64> = results.iter().map(|r| r.json()["version"].as_i64().unwrap()).collect();
    versions.sort_unstable();
    assert_eq!(
        versions,
        (2..=21).collect::<Vec<i64>>(),
        "each write saw the one before it"
    );
    let stored = app.get(&path, Some(&token)).await.json();
    assert_eq!(stored["version"], 21);
    // The stored sections are those of the writer that got the last version.
    let last = results.iter().position(|r| r.json()["version"] == 21).unwrap();
    assert_eq!(
        stored["sections"]["logistics"]["goals"]["concerns"],
        format!("writer {last}")
    );
}

/// Two submits of one draft at once (no idempotency key): one submission; the other learns that
/// the intake is already submitted (409), not that its version went stale.
async fn concurrent_submits_one_submission(backend: Backend) {
    let app = spawn(backend).await;
    let (token, id, _) = app.fixture_draft("fibromyalgia", "ana@example.org").await;
    let results = join_all((0..6).map(|_| app.submit(&id, &token))).await;
    let mut statuses: Vec<u16> = results.iter().map(|r| r.status.as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 409, 409, 409, 409, 409]);
    for r in results.iter().filter(|r| r.status == 409) {
        r.problem(409, "/problems/conflict");
    }
    let subs = app
        .get(&format!("/api/v1/intakes/{id}/submissions"), Some(&token))
        .await
        .json();
    assert_eq!(subs.as_array().unwrap().len(), 1);
}

async fn patients_reach_only_their_own(backend: Backend) {
    let app = spawn(backend).await;
    let (token, id, etag) = app.fixture_draft("fibromyalgia", "ana@example.org").await;
    let (_, other) = app.patient_with_profile("ben@example.org", "Ben", "Okafor").await;
    let path = format!("/api/v1/intakes/{id}");
    app.get(&path, Some(&other)).await.problem(404, "/problems/not-found");
    app.patch(&path, Some(&other), &json!({"sections": {}}), Some(&etag))
        .await
        .problem(404, "/problems/not-found");
    app.call(actix_web::http::Method::DELETE, &path, Some(&other), None)
        .await
        .problem(404, "/problems/not-found");
    app.submit(&id, &other).await.problem(404, "/problems/not-found");
    app.get(&format!("{path}/submissions"), Some(&other))
        .await
        .problem(404, "/problems/not-found");
    // Every attempt is in the trail as denied, the refused changes included (their event is
    // not rolled back with them).
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    let trail = app
        .get(&format!("/api/v1/audit?resource_id={id}&limit=100"), Some(&admin))
        .await
        .json();
    let mut denied: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["outcome"] == "denied")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    denied.sort_unstable();
    assert_eq!(
        denied,
        vec![
            "intake.delete",
            "intake.read",
            "intake.read",
            "intake.submit",
            "intake.update"
        ]
    );
    assert!(
        app.get("/api/v1/intakes", Some(&other)).await.json()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.get("/api/v1/intakes", Some(&token)).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Another patient's profile cannot be named either.
    let ana_patient = app.get(&path, Some(&token)).await.json()["patient_id"].clone();
    let res = app
        .post("/api/v1/intakes", Some(&other), &json!({"patient_id": ana_patient}))
        .await;
    res.problem(404, "/problems/not-found");
    // A patient without a profile is told to create one.
    let (_, bare) = app.patient_account("bare@example.org").await;
    app.post("/api/v1/intakes", Some(&bare), &json!({}))
        .await
        .problem(409, "/problems/conflict");
}

/// Another patient's record and a record that does not exist answer the same 404, and both
/// leave an audit event through the same path, so their timing tells nothing apart (issue 12,
/// point 8).
async fn missing_and_forbidden_records_leave_the_same_trail(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    let (_, id, _) = app.fixture_draft("fibromyalgia", "ana@example.org").await;
    let (ben_patient, ben) = app.patient_with_profile("ben@example.org", "Ben", "Okafor").await;
    let (ana_patient, _) = (
        app.get(&format!("/api/v1/intakes/{id}"), Some(&admin)).await.json()["patient_id"]
            .as_str()
            .unwrap()
            .to_owned(),
        (),
    );
    let random = uuid::Uuid::now_v7().to_string();
    for (path, resource) in [
        (format!("/api/v1/intakes/{id}"), id.clone()),
        (format!("/api/v1/intakes/{random}"), random.clone()),
        (format!("/api/v1/patients/{ana_patient}"), ana_patient.clone()),
        (format!("/api/v1/patients/{random}"), random.clone()),
    ] {
        app.get(&path, Some(&ben)).await.problem(404, "/problems/not-found");
        let trail = app
            .get(&format!("/api/v1/audit?resource_id={resource}"), Some(&admin))
            .await
            .json();
        let outcomes: Vec<&str> = trail["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["actor_role"] == "patient")
            .map(|e| e["outcome"].as_str().unwrap())
            .collect();
        let expected = if resource == random { "failure" } else { "denied" };
        assert!(outcomes.contains(&expected), "{path}: {outcomes:?}");
    }
    // Ben's own profile is still his to read.
    assert_eq!(
        app.get(&format!("/api/v1/patients/{ben_patient}"), Some(&ben))
            .await
            .status,
        200
    );
}

/// A patient's own intake is changed by the patient only; staff change the intakes they start
/// for a patient, and sign there as staff_on_behalf (SECURITY.md; issue 12, point 2).
async fn staff_act_only_on_intakes_they_start(backend: Backend) {
    let app = spawn(backend).await;
    let (clinician_id, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let (token, id, etag) = app.fixture_draft("fibromyalgia", "ana@example.org").await;
    let path = format!("/api/v1/intakes/{id}");
    let forged = json!({"sections": {"consent": {"accepted": true, "signer_name": "Ana López", "signer_role": "self",
                                                  "consent_version": "2026-11-01", "lang": "es"}}});
    app.patch(&path, Some(&clinician), &forged, Some(&etag))
        .await
        .problem(403, "/problems/forbidden");
    app.patch(
        &path,
        Some(&clinician),
        &json!({"sections": {"logistics": null}}),
        Some(&etag),
    )
    .await
    .problem(403, "/problems/forbidden");
    app.call(actix_web::http::Method::DELETE, &path, Some(&clinician), None)
        .await
        .problem(403, "/problems/forbidden");
    app.submit(&id, &clinician).await.problem(403, "/problems/forbidden");
    let unchanged = app.get(&path, Some(&token)).await;
    assert_eq!(unchanged.header("etag"), Some(etag.as_str()), "nothing was changed");
    assert_eq!(unchanged.json()["status"], "draft");
    // The patient does not sign as staff.
    let mut as_staff = forged.clone();
    as_staff["sections"]["consent"]["signer_role"] = json!("staff_on_behalf");
    let res = app.patch(&path, Some(&token), &as_staff, Some(&etag)).await;
    assert_eq!(
        res.problem(422, "/problems/validation")["errors"][0]["field"],
        "sections.consent.signer_role"
    );
    assert_eq!(
        app.submit(&id, &token).await.status,
        200,
        "the patient submits their own"
    );

    // A phone intake: staff fill it in and sign the patient's attestation as staff_on_behalf.
    let f = fixture("postoperative");
    let profile = app
        .post("/api/v1/patients", Some(&clinician), &f["profile"])
        .await
        .json();
    let mut sections = f["sections"].clone();
    let res = app
        .post(
            "/api/v1/intakes",
            Some(&clinician),
            &json!({"patient_id": profile["id"], "sections": sections}),
        )
        .await;
    assert_eq!(
        res.problem(422, "/problems/validation")["errors"][0]["field"],
        "sections.consent.signer_role",
        "staff do not sign as the patient"
    );
    sections["consent"]["signer_role"] = json!("staff_on_behalf");
    let res = app
        .post(
            "/api/v1/intakes",
            Some(&clinician),
            &json!({"patient_id": profile["id"], "sections": sections}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let phone = res.json();
    assert_eq!(
        phone["sections"]["consent"]["evidence"]["signed_by"],
        clinician_id.to_string()
    );
    let phone_id = phone["id"].as_str().unwrap();
    let res = app.submit(phone_id, &clinician).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
}

async fn clinicians_start_intakes_for_patients(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let profile = app
        .post(
            "/api/v1/patients",
            Some(&clinician),
            &crate::helpers::profile("Rosa", "Méndez"),
        )
        .await
        .json();
    app.post("/api/v1/intakes", Some(&clinician), &json!({}))
        .await
        .problem(422, "/problems/validation");
    let res = app
        .post(
            "/api/v1/intakes",
            Some(&clinician),
            &json!({"patient_id": profile["id"]}),
        )
        .await;
    assert_eq!(res.status, 201);
    let body = res.json();
    assert_eq!(body["created_on_behalf"], true);
    assert_eq!(body["sections"]["demographics"]["given_name"], "Rosa");
    let id = body["id"].as_str().unwrap();
    let path = format!("/api/v1/intakes/{id}");
    let res = app
        .patch(
            &path,
            Some(&clinician),
            &json!({"sections": {"demographics": {"weight_kg": 70.5}}}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(res.json()["sections"]["demographics"]["weight_kg"], 70.5);
    let res = app
        .post(
            "/api/v1/intakes",
            Some(&clinician),
            &json!({"patient_id": uuid::Uuid::now_v7()}),
        )
        .await;
    res.problem(404, "/problems/not-found");
}

async fn consent_is_recorded_as_evidence(backend: Backend) {
    let app = spawn(backend).await;
    let en = app.get("/api/v1/consent/current", None).await.json();
    let es = app.get("/api/v1/consent/current?lang=es", None).await.json();
    assert_eq!(en["version"], "2026-11-01");
    assert!(es["text"].as_str().unwrap().starts_with("Consentimiento"));
    use sha2::Digest;
    let digest: String = sha2::Sha256::digest(es["text"].as_str().unwrap().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(es["sha256"], digest);

    let (_, token) = app.patient_with_profile("ana@example.org", "Ana", "López").await;
    let consent = fixture("fibromyalgia")["sections"]["consent"].clone();
    let req = with_token(at::TestRequest::post().uri("/api/v1/intakes"), Some(&token))
        .insert_header(("user-agent", "IntakeApp/2.1 (iOS)"))
        .peer_addr("203.0.113.9:5000".parse().unwrap())
        .set_json(json!({"sections": {"consent": consent}}));
    let body = app.send(req).await.json();
    let stored = &body["sections"]["consent"];
    assert_eq!(stored["signer_name"], "Ana López");
    assert_eq!(stored["evidence"]["text_sha256"], es["sha256"]);
    assert_eq!(stored["evidence"]["client_addr"], "203.0.113.9");
    assert_eq!(stored["evidence"]["user_agent"], "IntakeApp/2.1 (iOS)");
    assert!(stored["evidence"]["signed_at"].is_string());

    // A client cannot supply the evidence, nor sign an old text.
    let mut forged = consent.clone();
    forged["evidence"] = json!({"signed_at": "2020-01-01T00:00:00Z"});
    let res = app
        .post(
            "/api/v1/intakes",
            Some(&token),
            &json!({"sections": {"consent": forged}}),
        )
        .await;
    assert_eq!(
        res.problem(422, "/problems/validation")["errors"][0]["field"],
        "sections.consent.evidence"
    );
    let mut old = consent;
    old["consent_version"] = json!("2025-01-01");
    let res = app
        .post("/api/v1/intakes", Some(&token), &json!({"sections": {"consent": old}}))
        .await;
    assert_eq!(
        res.problem(422, "/problems/validation")["errors"][0]["code"],
        "outdated"
    );
}

async fn new_drafts_reuse_the_last_medical_history(backend: Backend) {
    let app = spawn(backend).await;
    let (token, id, _) = app.fixture_draft("postoperative", "james@example.org").await;
    assert_eq!(app.submit(&id, &token).await.status, 200);
    let next = app.post("/api/v1/intakes", Some(&token), &json!({})).await.json();
    let as_struct =
        |v: &Value| serde_json::from_value::<intake_api::intake::sections::MedicalHistory>(v.clone()).unwrap();
    assert_eq!(
        as_struct(&next["sections"]["medical_history"]),
        as_struct(&fixture("postoperative")["sections"]["medical_history"])
    );
    assert!(
        next["sections"]["medical_history"].get("allergies").is_none(),
        "unanswered fields are left out"
    );
    assert!(next["sections"].get("pain").is_none());
    // Server-computed fields sent back by a client are ignored, not stored.
    let res = app
        .patch(
            &format!("/api/v1/intakes/{}", next["id"].as_str().unwrap()),
            Some(&token),
            &json!({"sections": {}, "scores": {"phq9": {"total": 0}}, "eligibility": {"status": "no_concerns_found"}}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["scores"], json!({}));
}

/// `GET /intakes/{id}` reads the caller's row and the intake in one statement: the caller is
/// still checked first (a logged-out session or a disabled account gets 401 and no intake), and
/// a patient still gets 404 for another patient's intake, audited as denied.
async fn a_read_with_the_caller_in_one_statement_still_checks_the_caller(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    let (clinician_id, _) = app.staff(Role::Clinician, "dr@clinic.org");
    let (token, id, _) = app.fixture_draft("crps", "marcus@example.org").await;
    let path = format!("/api/v1/intakes/{id}");
    let session = |tokens: &Value| tokens["access_token"].as_str().unwrap().to_owned();

    let laptop = app.sign_in("dr@clinic.org", crate::helpers::STAFF_PASSWORD).await;
    let phone = app.sign_in("dr@clinic.org", crate::helpers::STAFF_PASSWORD).await;
    let read = app.get(&path, Some(&session(&laptop))).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json()["id"], id.as_str());
    let res = app
        .post("/api/v1/auth/logout", Some(&session(&laptop)), &json!({}))
        .await;
    assert_eq!(res.status, 204);
    let refused = app.get(&path, Some(&session(&laptop))).await;
    refused.problem(401, "/problems/unauthenticated");
    assert!(refused.json().get("sections").is_none());
    assert_eq!(app.get(&path, Some(&session(&phone))).await.status, 200);

    let res = app
        .patch(
            &format!("/api/v1/users/{clinician_id}"),
            Some(&admin),
            &json!({"disabled": true}),
            None,
        )
        .await;
    assert_eq!(res.status, 200);
    app.get(&path, Some(&session(&phone)))
        .await
        .problem(401, "/problems/unauthenticated");
    let reads = app
        .get(
            &format!("/api/v1/audit?action=intake.read&resource_id={id}"),
            Some(&admin),
        )
        .await
        .json();
    let by_clinician = reads["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor_id"] == clinician_id.to_string())
        .count();
    assert_eq!(
        by_clinician, 2,
        "the two reads that were answered, not the refused ones"
    );

    // Another patient: 404, audited as denied; a missing intake: 404 too.
    let (other, _, _) = app.fixture_draft("fibromyalgia", "ana@example.org").await;
    app.get(&path, Some(&other)).await.problem(404, "/problems/not-found");
    let denied = app
        .get(
            &format!("/api/v1/audit?action=intake.read&resource_id={id}"),
            Some(&admin),
        )
        .await
        .json();
    assert_eq!(denied["items"][0]["outcome"], "denied");
    app.get(&format!("/api/v1/intakes/{}", uuid::Uuid::now_v7()), Some(&token))
        .await
        .problem(404, "/problems/not-found");
    assert_eq!(app.get(&path, Some(&token)).await.status, 200);
}

on_both_backends!(
    a_read_with_the_caller_in_one_statement_still_checks_the_caller,
    staff_act_only_on_intakes_they_start,
    disclosures_are_audited,
    missing_and_forbidden_records_leave_the_same_trail,
    draft_lifecycle,
    empty_submit_lists_everything_missing,
    fixtures_submit_with_expected_results,
    conditional_instruments_are_required,
    idempotent_create_and_submit,
    concurrent_patches_one_winner,
    concurrent_patches_with_any_all_apply,
    concurrent_submits_one_submission,
    patients_reach_only_their_own,
    clinicians_start_intakes_for_patients,
    consent_is_recorded_as_evidence,
    new_drafts_reuse_the_last_medical_history,
);
