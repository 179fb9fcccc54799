//! The error contract for bad input the handlers never see: every one is problem+json.

use actix_web::http::header;
use actix_web::test as at;
use intake_api::auth::Role;
use intake_api::db::Backend;

use crate::helpers::spawn;
use crate::on_both_backends;

async fn malformed_bodies(backend: Backend) {
    let app = spawn(backend).await;
    let post = |body: Vec<u8>, ct: &'static str| {
        at::TestRequest::post()
            .uri("/api/v1/auth/token")
            .insert_header((header::CONTENT_TYPE, ct))
            .set_payload(body)
    };
    let res = app.send(post(b"{\"email\": ".to_vec(), "application/json")).await;
    res.problem(400, "/problems/bad-request");

    let big = vec![b' '; 2 * 1024 * 1024];
    app.send(post(big, "application/json"))
        .await
        .problem(413, "/problems/payload-too-large");

    let res = app
        .send(post(
            b"email=a&password=b".to_vec(),
            "application/x-www-form-urlencoded",
        ))
        .await;
    res.problem(415, "/problems/unsupported-media-type");
    app.send(at::TestRequest::post().uri("/api/v1/auth/token").set_payload("{}"))
        .await
        .problem(415, "/problems/unsupported-media-type");

    let res = app
        .send(post(
            br#"{"email": "a@b.org", "password": "x", "remember_me": true, "extra": 1}"#.to_vec(),
            "application/json",
        ))
        .await;
    let body = res.problem(422, "/problems/validation");
    let fields: Vec<_> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].clone(), e["code"].clone()))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("extra".into(), "unknown_field".into()),
            ("remember_me".into(), "unknown_field".into())
        ]
    );

    let res = app
        .send(post(br#"{"email": 42, "password": "x"}"#.to_vec(), "application/json"))
        .await;
    let body = res.problem(422, "/problems/validation");
    assert_eq!(body["errors"][0]["field"], "email");
    assert_eq!(body["errors"][0]["code"], "invalid_type");

    let res = app
        .send(post(br#"{"email": "a@b.org"}"#.to_vec(), "application/json"))
        .await;
    let body = res.problem(422, "/problems/validation");
    assert_eq!(body["errors"][0]["field"], "password");
    assert_eq!(body["errors"][0]["code"], "required");

    // Nesting past serde_json's depth limit is malformed input, not a crash.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    app.send(post(deep.into_bytes(), "application/json"))
        .await
        .problem(400, "/problems/bad-request");
}

async fn bad_paths_and_queries(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    app.get("/api/v1/patients/not-a-uuid", Some(&admin))
        .await
        .problem(400, "/problems/bad-request");
    let res = app.get("/api/v1/users?limit=1000", Some(&admin)).await;
    assert_eq!(res.problem(422, "/problems/validation")["errors"][0]["field"], "limit");
    let res = app.get("/api/v1/users?limit=abc", Some(&admin)).await;
    assert_eq!(res.problem(422, "/problems/validation")["errors"][0]["field"], "limit");
    let res = app.get("/api/v1/users?colour=blue", Some(&admin)).await;
    let body = res.problem(422, "/problems/validation");
    assert_eq!(body["errors"][0]["field"], "colour");
    assert_eq!(body["errors"][0]["code"], "unknown_parameter");
    let res = app.get("/api/v1/users?role=superuser", Some(&admin)).await;
    assert_eq!(res.problem(422, "/problems/validation")["errors"][0]["field"], "role");
    app.get("/api/v1/users?cursor=forged.cursor", Some(&admin))
        .await
        .problem(400, "/problems/bad-request");
}

/// Wrong types are described in JSON terms, never by Rust type names (issue 12, point 9).
async fn type_errors_speak_json(backend: Backend) {
    let app = spawn(backend).await;
    let (_, token) = app.patient_with_profile("ana@example.org", "Ana", "López").await;
    let res = app
        .post(
            "/api/v1/intakes",
            Some(&token),
            &serde_json::json!({"sections": {"demographics": "x", "pain": {"conditions": {"a": 1}}}}),
        )
        .await;
    let body = res.problem(422, "/problems/validation");
    let errors: Vec<(String, String)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            ("sections.demographics".into(), "expected an object, got \"x\"".into()),
            (
                "sections.pain.conditions".into(),
                "expected a list, got an object".into()
            ),
        ]
    );
    let res = app
        .post(
            "/api/v1/intakes",
            Some(&token),
            &serde_json::json!({"sections": {"demographics": {"height_cm": "tall", "weight_kg": [1]}}}),
        )
        .await;
    for e in res.problem(422, "/problems/validation")["errors"].as_array().unwrap() {
        let m = e["message"].as_str().unwrap();
        for rust in ["struct", "u8", "u16", "f32", "f64", "Option", "sequence"] {
            assert!(!m.contains(rust), "{m}");
        }
    }
}

on_both_backends!(malformed_bodies, bad_paths_and_queries, type_errors_speak_json);
