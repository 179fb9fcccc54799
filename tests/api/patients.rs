//! Patient profiles: ownership, validation, concurrency, search, and the audit of every access.

use intake_api::auth::Role;
use intake_api::db::Backend;
use serde_json::json;

use crate::helpers::{profile, spawn};
use crate::on_both_backends;

async fn patients_own_exactly_one_profile(backend: Backend) {
    let app = spawn(backend).await;
    let (_, token) = app.patient_account("ana@example.org").await;
    let res = app
        .post("/api/v1/patients", Some(&token), &profile("Ana", "López"))
        .await;
    assert_eq!(res.status, 201);
    let body = res.json();
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(res.header("location").unwrap(), format!("/api/v1/patients/{id}"));
    assert_eq!(res.header("etag"), Some("\"1\""));
    assert_eq!(body["family_name"], "López");
    assert_eq!(body["preferred_language"], "es");
    assert_eq!(body["address"]["country"], "US");
    assert!(body["user_id"].is_string());
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&token)).await.json()["patient_id"],
        id.as_str()
    );

    app.post("/api/v1/patients", Some(&token), &profile("Ana", "Again"))
        .await
        .problem(409, "/problems/conflict");

    let own = app.get(&format!("/api/v1/patients/{id}"), Some(&token)).await;
    assert_eq!(own.status, 200);
    assert_eq!(own.json()["given_name"], "Ana");

    // Another patient: the record does not exist for them, to read or to change.
    let (_, other) = app.patient_with_profile("ben@example.org", "Ben", "Okafor").await;
    app.get(&format!("/api/v1/patients/{id}"), Some(&other))
        .await
        .problem(404, "/problems/not-found");
    let res = app
        .patch(
            &format!("/api/v1/patients/{id}"),
            Some(&other),
            &json!({"given_name": "Mallory"}),
            None,
        )
        .await;
    res.problem(404, "/problems/not-found");
    assert_eq!(
        app.get(&format!("/api/v1/patients/{id}"), Some(&token)).await.json()["given_name"],
        "Ana"
    );
    // Patients cannot search.
    app.get("/api/v1/patients?q=ana", Some(&other))
        .await
        .problem(403, "/problems/forbidden");
}

async fn clinicians_create_profiles_for_phone_intakes(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let res = app
        .post("/api/v1/patients", Some(&clinician), &profile("Rosa", "Méndez"))
        .await;
    assert_eq!(res.status, 201);
    let body = res.json();
    assert!(body["user_id"].is_null());
    let id = body["id"].as_str().unwrap();
    // A second profile for another caller is fine: staff are not limited to one.
    assert_eq!(
        app.post("/api/v1/patients", Some(&clinician), &profile("Tomás", "Ruiz"))
            .await
            .status,
        201
    );
    let (_, p) = app.patient_with_profile("ana@example.org", "Ana", "López").await;
    let _ = p;
    assert_eq!(
        app.get(&format!("/api/v1/patients/{id}"), Some(&clinician))
            .await
            .status,
        200
    );
}

async fn profiles_are_validated_field_by_field(backend: Backend) {
    let app = spawn(backend).await;
    let (_, token) = app.patient_account("ana@example.org").await;
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Duration::days(1)).to_string();
    let mut body = profile("", "López");
    body["date_of_birth"] = json!(tomorrow);
    body["phone"] = json!("call me");
    body["address"]["country"] = json!("usa");
    body["emergency_contact"]["name"] = json!("Luis\u{0}");
    let res = app.post("/api/v1/patients", Some(&token), &body).await;
    let problem = res.problem(422, "/problems/validation");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec![
            "address.country",
            "date_of_birth",
            "emergency_contact.name",
            "given_name",
            "given_name",
            "phone"
        ],
        "{problem}"
    );

    let mut body = profile("Ana", "López");
    body["sex_at_birth"] = json!("other");
    let res = app.post("/api/v1/patients", Some(&token), &body).await;
    assert_eq!(
        res.problem(422, "/problems/validation")["errors"][0]["field"],
        "sex_at_birth"
    );

    let mut body = profile("Ana", "López");
    body["address"]["planet"] = json!("Earth");
    let res = app.post("/api/v1/patients", Some(&token), &body).await;
    let problem = res.problem(422, "/problems/validation");
    assert_eq!(problem["errors"][0]["field"], "address.planet");
    assert_eq!(problem["errors"][0]["code"], "unknown_field");

    let res = app
        .post("/api/v1/patients", Some(&token), &json!({"given_name": "Ana"}))
        .await;
    assert_eq!(
        res.problem(422, "/problems/validation")["errors"][0]["code"],
        "required"
    );
    // Nothing was stored by any of these.
    assert!(
        app.get("/api/v1/auth/me", Some(&token))
            .await
            .json()
            .get("patient_id")
            .is_none()
    );
}

async fn updates_use_versions(backend: Backend) {
    let app = spawn(backend).await;
    let (id, token) = app.patient_with_profile("ana@example.org", "Ana", "López").await;
    let path = format!("/api/v1/patients/{id}");
    let res = app
        .patch(
            &path,
            Some(&token),
            &json!({"phone": "+1 555 010 0100", "gender_identity": null}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("etag"), Some("\"2\""));
    let body = res.json();
    assert_eq!(body["phone"], "+1 555 010 0100");
    assert!(body["gender_identity"].is_null());
    assert_eq!(body["given_name"], "Ana");
    assert_eq!(body["version"], 2);

    let stale = app
        .patch(&path, Some(&token), &json!({"phone": "+1 555 010 0111"}), Some("\"1\""))
        .await;
    stale.problem(412, "/problems/stale-version");
    assert_eq!(app.get(&path, Some(&token)).await.json()["phone"], "+1 555 010 0100");

    // The merged profile must stay valid; clearing a required field is not allowed.
    let res = app
        .patch(&path, Some(&token), &json!({"family_name": "   "}), None)
        .await;
    assert_eq!(
        res.problem(422, "/problems/validation")["errors"][0]["field"],
        "family_name"
    );
    let res = app.patch(&path, Some(&token), &json!({"given_name": null}), None).await;
    res.problem(422, "/problems/validation");

    // Without If-Match the change applies to the current version.
    let res = app
        .patch(&path, Some(&token), &json!({"family_name": "López Díaz"}), None)
        .await;
    assert_eq!(res.json()["version"], 3);
}

async fn staff_search_by_name(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    for (given, family) in [
        ("José", "García"),
        ("Jose", "Garcia-Pérez"),
        ("Ana", "López"),
        ("Josefina", "Ruiz"),
        ("Ben", "Okafor"),
    ] {
        assert_eq!(
            app.post("/api/v1/patients", Some(&clinician), &profile(given, family))
                .await
                .status,
            201
        );
    }
    let names = |q: &str| {
        let app = &app;
        let clinician = clinician.clone();
        let q = q.to_owned();
        async move {
            let q: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
            let res = app.get(&format!("/api/v1/patients?q={q}"), Some(&clinician)).await;
            assert_eq!(res.status, 200);
            res.json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    format!(
                        "{} {}",
                        p["given_name"].as_str().unwrap(),
                        p["family_name"].as_str().unwrap()
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    // Newest first: names are sealed at rest, so the database cannot sort by them.
    assert_eq!(
        names("jose").await,
        vec!["Josefina Ruiz", "Jose Garcia-Pérez", "José García"]
    );
    assert_eq!(names("JOSÉ garc").await, vec!["Jose Garcia-Pérez", "José García"]);
    assert_eq!(names("perez").await, vec!["Jose Garcia-Pérez"]);
    assert_eq!(names("lopez").await, vec!["Ana López"]);
    assert!(names("zzz").await.is_empty());
    // SQL-looking input is just text.
    assert!(names("' OR 1=1--").await.is_empty());
    // A query of only punctuation names no word: it matches nobody (not everybody).
    for q in ["%", "_", "-", "\\", " - ", "%_"] {
        assert!(names(q).await.is_empty(), "{q:?} matched someone");
    }

    // Paging visits every profile exactly once, in order.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/patients?limit=2&cursor={c}"),
            None => "/api/v1/patients?limit=2".to_owned(),
        };
        let page = app.get(&path, Some(&clinician)).await.json();
        for p in page["items"].as_array().unwrap() {
            seen.push(p["family_name"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, vec!["Okafor", "Ruiz", "López", "Garcia-Pérez", "García"]);

    // A cursor is bound to its query.
    let page = app
        .get("/api/v1/patients?limit=1&q=jose", Some(&clinician))
        .await
        .json();
    let c = page["next_cursor"].as_str().unwrap();
    app.get(&format!("/api/v1/patients?limit=1&q=ana&cursor={c}"), Some(&clinician))
        .await
        .problem(400, "/problems/bad-request");
}

async fn every_access_is_audited_and_patients_see_who(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    let (clinician_id, clinician) = app.staff(Role::Clinician, "reyes@clinic.org");
    let (patient_id, patient) = app.patient_with_profile("ana@example.org", "Ana", "López").await;
    let (_, intruder) = app.patient_with_profile("ben@example.org", "Ben", "Okafor").await;
    let path = format!("/api/v1/patients/{patient_id}");

    app.get(&path, Some(&patient)).await;
    app.get(&path, Some(&clinician)).await;
    app.patch(&path, Some(&clinician), &json!({"phone": "+1 555 010 0123"}), None)
        .await;
    app.get("/api/v1/patients?q=ana", Some(&clinician)).await;
    app.get(&path, Some(&intruder)).await;

    let trail = app
        .get(
            &format!("/api/v1/audit?resource_id={patient_id}&limit=100"),
            Some(&admin),
        )
        .await;
    assert_eq!(trail.status, 200);
    let events = trail.json()["items"].as_array().unwrap().clone();
    let summary: Vec<(String, String, String)> = events
        .iter()
        .rev()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor_role"].as_str().unwrap().to_owned(),
                e["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expect = |a: &str, r: &str, o: &str| (a.to_owned(), r.to_owned(), o.to_owned());
    assert_eq!(
        summary,
        vec![
            expect("patient.create", "patient", "success"),
            expect("patient.read", "patient", "success"),
            expect("patient.read", "clinician", "success"),
            expect("patient.update", "clinician", "success"),
            expect("patient.list", "clinician", "success"),
            expect("patient.read", "patient", "denied"),
        ]
    );
    let read = &events[3];
    assert_eq!(read["actor_id"], clinician_id.to_string());
    assert!(read["request_id"].is_string());
    assert_eq!(read["patient_id"], patient_id.to_string());

    let only_updates = app
        .get(
            &format!("/api/v1/audit?resource_id={patient_id}&action=patient.update"),
            Some(&admin),
        )
        .await;
    assert_eq!(only_updates.json()["items"].as_array().unwrap().len(), 1);
    let by_actor = app
        .get(
            &format!("/api/v1/audit?actor_id={clinician_id}&limit=100"),
            Some(&admin),
        )
        .await
        .json();
    assert!(
        by_actor["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor_id"] == clinician_id.to_string())
    );
    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ");
    let none = app
        .get(&format!("/api/v1/audit?from={future}"), Some(&admin))
        .await
        .json();
    assert!(none["items"].as_array().unwrap().is_empty());

    // The patient's own view: staff accesses only, newest first, with name and role.
    let log = app.get("/api/v1/me/access-log", Some(&patient)).await;
    assert_eq!(log.status, 200);
    let entries: Vec<(String, String, String)> = log.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().into(),
                e["by_role"].as_str().unwrap().into(),
                e["by_name"].as_str().unwrap().into(),
            )
        })
        .collect();
    let who = "Dr. reyes@clinic.org".to_owned();
    assert_eq!(
        entries,
        vec![
            ("patient.list".into(), "clinician".into(), who.clone()),
            ("patient.update".into(), "clinician".into(), who.clone()),
            ("patient.read".into(), "clinician".into(), who),
        ]
    );
    app.get("/api/v1/me/access-log", Some(&clinician))
        .await
        .problem(403, "/problems/forbidden");

    // Audit events cannot be changed or removed through the API.
    let res = app
        .call(actix_web::http::Method::DELETE, "/api/v1/audit", Some(&admin), None)
        .await;
    res.problem(405, "/problems/method-not-allowed");
    // Failed sign-ins are in the trail too.
    app.post(
        "/api/v1/auth/token",
        None,
        &json!({"email": "ana@example.org", "password": "wrong password!"}),
    )
    .await;
    let failed = app
        .get("/api/v1/audit?action=auth.login_failed", Some(&admin))
        .await
        .json();
    assert_eq!(failed["items"][0]["outcome"], "failure");
    assert!(failed["items"][0]["actor_id"].is_null());
}

async fn audit_trail_pages(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    let (id, token) = app.patient_with_profile("ana@example.org", "Ana", "López").await;
    for _ in 0..7 {
        app.get(&format!("/api/v1/patients/{id}"), Some(&token)).await;
    }
    let mut ids = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(
                &format!("/api/v1/audit?action=patient.read&limit=3{cursor}"),
                Some(&admin),
            )
            .await
            .json();
        ids.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(ids.len(), 7);
    let mut sorted = ids.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids, sorted, "newest first, no repeats");
    sorted.dedup();
    assert_eq!(sorted.len(), 7);
}

/// Changes without `If-Match` apply to the current version; at once, they queue and all apply.
async fn concurrent_updates_without_if_match_all_apply(backend: Backend) {
    let app = spawn(backend).await;
    let (_, token) = app.patient_account("ana@example.org").await;
    let res = app
        .post("/api/v1/patients", Some(&token), &profile("Ana", "López"))
        .await;
    let path = format!("/api/v1/patients/{}", res.json()["id"].as_str().unwrap());
    let bodies: Vec<_> = (0..12)
        .map(|i| json!({"phone": format!("+1 555 010 01{i:02}")}))
        .collect();
    let results = futures_util::future::join_all(bodies.iter().map(|b| app.patch(&path, Some(&token), b, None))).await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status.as_u16()).collect();
    assert!(statuses.iter().all(|s| *s == 200), "statuses: {statuses:?}");
    let stored = app.get(&path, Some(&token)).await;
    assert_eq!(stored.header("etag"), Some("\"13\""));
}

on_both_backends!(
    concurrent_updates_without_if_match_all_apply,
    patients_own_exactly_one_profile,
    clinicians_create_profiles_for_phone_intakes,
    profiles_are_validated_field_by_field,
    updates_use_versions,
    staff_search_by_name,
    every_access_is_audited_and_patients_see_who,
    audit_trail_pages,
);
