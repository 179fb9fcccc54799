//! A corpus of hostile input against every documented operation: malformed and truncated JSON,
//! 10 MB bodies, deep nesting, wrong types, huge strings, NUL bytes and odd Unicode, SQL-like
//! text in every parameter. Every answer is a clear 4xx problem (or a success for input that is
//! merely unusual), never a 5xx, and nothing is stored by a refused request.

use actix_web::http::{Method, header};
use actix_web::test as at;
use intake_api::auth::Role;
use intake_api::db::Backend;
use serde_json::{Value, json};

use crate::helpers::{profile, spawn, with_token};
use crate::on_both_backends;

const SQLISH: [&str; 6] = [
    "' OR '1'='1",
    "1; DROP TABLE patients; --",
    "\") UNION SELECT password_hash FROM users --",
    "%00",
    "../../etc/passwd",
    "${jndi:ldap://x}",
];

fn operations() -> Vec<(String, String, bool)> {
    let doc: Value = serde_json::from_str(&intake_api::app::openapi().to_json().unwrap()).unwrap();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.to_uppercase(), path.clone(), op.get("requestBody").is_some()));
        }
    }
    out
}

fn concrete(path: &str, param: &str) -> String {
    path.split('/')
        .map(|s| {
            if s.starts_with('{') {
                param.to_owned()
            } else {
                s.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn hostile_bodies_never_cause_5xx(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    let deep = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(3_000), "}".repeat(3_000));
    let huge = vec![b'{'; 10 * 1024 * 1024];
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("malformed", b"{\"sections\": ".to_vec()),
        ("truncated", br#"{"email": "a@b.org", "passw"#.to_vec()),
        ("null", b"null".to_vec()),
        ("array", b"[1,2,3]".to_vec()),
        ("string", b"\"hello\"".to_vec()),
        ("number", b"12345678901234567890123456789".to_vec()),
        ("deep array", deep.into_bytes()),
        ("deep object", deep_object.into_bytes()),
        ("10 MB", huge),
        ("bad utf-8", vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}']),
        ("lone surrogate", br#"{"email": "\ud800"}"#.to_vec()),
        (
            "wrong types",
            br#"{"email": 5, "password": [], "sections": "x", "patient_id": 7, "action": {}, "answers": 1}"#.to_vec(),
        ),
    ];
    for (method, path, has_body) in operations() {
        if !has_body {
            continue;
        }
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let path = concrete(&path, &uuid::Uuid::now_v7().to_string());
        for (name, body) in &bodies {
            let req = with_token(at::TestRequest::default().method(m.clone()).uri(&path), Some(&admin))
                .insert_header((header::CONTENT_TYPE, "application/json"))
                .insert_header(("If-Match", "\"1\""))
                .set_payload(body.clone());
            let res = app.send(req).await;
            assert!(
                res.status.is_client_error(),
                "{method} {path} with {name}: {} {}",
                res.status,
                String::from_utf8_lossy(&res.body)
            );
            assert_eq!(
                res.content_type(),
                "application/problem+json",
                "{method} {path} with {name}"
            );
        }
    }
}

async fn hostile_parameters_never_cause_5xx(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    let (_, patient) = app.patient_with_profile("ana@example.org", "Ana", "López").await;
    let params = [
        "q",
        "status",
        "flag",
        "action",
        "resource_id",
        "actor_id",
        "cursor",
        "assigned_to",
        "lang",
        "role",
        "sort",
        "limit",
        "from",
    ];
    for (method, path, _) in operations() {
        if method != "GET" {
            continue;
        }
        for junk in SQLISH
            .iter()
            .chain(["a\u{0}b", "\u{202e}evil", "💥🔥", &"x".repeat(5_000)].iter())
        {
            let enc: String = form_urlencoded::byte_serialize(junk.as_bytes()).collect();
            let p = concrete(&path, &enc);
            for param in params {
                for token in [&admin, &patient] {
                    let res = app.get(&format!("{p}?{param}={enc}"), Some(token)).await;
                    assert!(
                        res.status.as_u16() < 500,
                        "GET {p}?{param}={junk:?}: {} {}",
                        res.status,
                        String::from_utf8_lossy(&res.body)
                    );
                    if !res.status.is_success() && !res.status.is_redirection() {
                        assert_eq!(res.content_type(), "application/problem+json", "GET {p}?{param}");
                    }
                }
            }
        }
    }
    // Searching with SQL-looking text finds nothing and breaks nothing.
    let res = app
        .get("/api/v1/patients?q=%27%20OR%20%271%27%3D%271", Some(&admin))
        .await;
    assert_eq!(res.status, 200);
    assert!(res.json()["items"].as_array().unwrap().is_empty());
}

async fn odd_text_in_records(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let before = app.get("/api/v1/patients?limit=100", Some(&clinician)).await.json()["items"]
        .as_array()
        .unwrap()
        .len();
    // Refused: control characters and oversized strings; nothing is stored.
    for (field, value) in [
        ("given_name", json!("Ana\u{0}")),
        ("given_name", json!("Ana\nLópez")),
        ("family_name", json!("x".repeat(100_000))),
        ("family_name", json!("")),
        ("given_name", json!(42)),
        ("date_of_birth", json!("1984-02-30")),
        ("date_of_birth", json!("3000-01-01")),
        ("email", json!("not an email")),
    ] {
        let mut body = profile("Ana", "López");
        body[field] = value.clone();
        let res = app.post("/api/v1/patients", Some(&clinician), &body).await;
        let problem = res.problem(422, "/problems/validation");
        assert_eq!(problem["errors"][0]["field"], field, "{field} = {value}");
    }
    let after = app.get("/api/v1/patients?limit=100", Some(&clinician)).await.json()["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after, "a refused request stored something");
    // Accepted: real names in many scripts, stored and returned exactly, found by search.
    for (given, family, query) in [
        ("Zoë", "Ñúñez-O'Connor", "nunez"),
        ("Ли", "Чжан", "чжан"),
        ("محمد", "الفارس", "محمد"),
        ("Ana", "Bobby'); DROP TABLE patients;--", "bobby"),
    ] {
        let res = app
            .post("/api/v1/patients", Some(&clinician), &profile(given, family))
            .await;
        assert_eq!(
            res.status,
            201,
            "{given} {family}: {}",
            String::from_utf8_lossy(&res.body)
        );
        assert_eq!(res.json()["family_name"], family);
        let q: String = form_urlencoded::byte_serialize(query.as_bytes()).collect();
        let found = app
            .get(&format!("/api/v1/patients?q={q}"), Some(&clinician))
            .await
            .json();
        assert_eq!(found["items"][0]["family_name"], family, "search {query}");
    }
    // The tables are all still there.
    assert_eq!(
        app.get("/api/v1/patients?limit=100", Some(&clinician)).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        before + 4
    );
}

on_both_backends!(
    hostile_bodies_never_cause_5xx,
    hostile_parameters_never_cause_5xx,
    odd_text_in_records
);
