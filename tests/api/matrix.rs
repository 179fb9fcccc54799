//! Every protected route, taken from the OpenAPI document (so a new route cannot be missed):
//! no token, a garbage token, a token whose `nbf` is in the future, an MFA-pending token → 401
//! problem before the body is looked at; a token issued before its user was disabled and enabled
//! again (before `tokens_valid_after`), a disabled user's token and the access token of a session
//! ended by a reused refresh token → 401 on every request that would reach data; the wrong role
//! → 403.

use intake_api::auth::Role;
use intake_api::db::Backend;
use serde_json::{Value, json};

use crate::helpers::spawn;
use crate::on_both_backends;

fn protected_operations() -> Vec<(String, String)> {
    let doc: Value = serde_json::from_str(&intake_api::app::openapi().to_json().unwrap()).unwrap();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op.get("security").is_some() {
                let concrete = path
                    .split('/')
                    .map(|s| {
                        if s.starts_with('{') {
                            uuid::Uuid::now_v7().to_string()
                        } else {
                            s.to_owned()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((method.to_uppercase(), concrete));
            }
        }
    }
    assert!(out.len() >= 8, "{out:?}");
    out
}

async fn every_protected_route_needs_a_valid_token(backend: Backend) {
    let app = spawn(backend).await;
    let (admin_id, admin) = app.staff(Role::Admin, "admin@clinic.org");
    let (second_admin_id, second_admin) = app.staff(Role::Admin, "second@clinic.org");
    app.patch(
        &format!("/api/v1/users/{admin_id}"),
        Some(&second_admin),
        &json!({"disabled": true}),
        None,
    )
    .await;
    // Issued before its user was disabled and enabled again: not revived.
    let (revived_id, revived) = app.staff(Role::Admin, "third@clinic.org");
    for disabled in [true, false] {
        let path = format!("/api/v1/users/{revived_id}");
        let res = app
            .patch(&path, Some(&second_admin), &json!({"disabled": disabled}), None)
            .await;
        assert_eq!(res.status, 200);
    }
    // Signed with the right key, but not valid for ten minutes yet (`nbf`).
    let now = chrono::Utc::now().timestamp();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.typ = Some("at+jwt".into());
    let not_yet = jsonwebtoken::encode(
        &header,
        &json!({"sub": second_admin_id.to_string(), "role": "admin", "iat": now, "nbf": now + 600,
                "exp": now + 1200, "iss": "intake-api", "aud": "intake-api", "jti": "not-yet"}),
        &jsonwebtoken::EncodingKey::from_secret(crate::helpers::TEST_SECRET.as_bytes()),
    )
    .unwrap();
    // Half-way through a sign-in: the password was right, the second factor not given yet.
    let pending = app
        .state
        .tokens
        .issue_mfa_pending(second_admin_id.into(), Role::Admin, 0)
        .unwrap()
        .access_token;
    // The access token of a session whose refresh token was then presented twice.
    app.staff(Role::Admin, "fourth@clinic.org");
    let signin = app
        .post(
            "/api/v1/auth/token",
            None,
            &json!({"email": "fourth@clinic.org", "password": crate::helpers::STAFF_PASSWORD}),
        )
        .await
        .json();
    let stolen = signin["access_token"].as_str().unwrap().to_owned();
    let refresh = json!({"refresh_token": signin["refresh_token"]});
    assert_eq!(app.post("/api/v1/auth/refresh", None, &refresh).await.status, 200);
    app.post("/api/v1/auth/refresh", None, &refresh)
        .await
        .problem(401, "/problems/unauthenticated");
    for (method, path) in protected_operations() {
        let m = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
        for token in [None, Some("garbage"), Some(not_yet.as_str()), Some(pending.as_str())] {
            // A body that would be invalid: the token is checked first.
            let res = app
                .call(m.clone(), &path, token, Some(&json!({"unexpected": true})))
                .await;
            res.problem(401, "/problems/unauthenticated");
        }
        // The disabled user's token, one issued before a disable that was undone, and one of a
        // session ended for a reused refresh token: refused on a well-formed request (the
        // account and session are checked with the work itself, before any data is touched).
        let body = valid_body_for(&method, &path);
        for token in [&admin, &revived, &stolen] {
            let mut req = crate::helpers::with_token(
                actix_web::test::TestRequest::default().method(m.clone()).uri(&path),
                Some(token.as_str()),
            )
            .insert_header(("If-Match", "\"1\""));
            if let Some(b) = &body {
                req = req.set_json(b);
            }
            app.send(req).await.problem(401, "/problems/unauthenticated");
        }
    }
}

/// A body that passes validation for each route that takes one.
fn valid_body_for(method: &str, path: &str) -> Option<Value> {
    let template: Vec<&str> = path
        .split('/')
        .map(|s| if uuid::Uuid::parse_str(s).is_ok() { "{id}" } else { s })
        .collect();
    let body = match (method, template.join("/").as_str()) {
        ("POST", "/api/v1/users") => {
            json!({"email": "x@clinic.org", "password": "long enough passphrase", "role": "clinician", "display_name": "X"})
        }
        ("PATCH", "/api/v1/users/{id}") => json!({"display_name": "X"}),
        ("POST", "/api/v1/patients") => crate::helpers::profile("Ana", "López"),
        ("PATCH", "/api/v1/patients/{id}") => json!({"phone": "+1 555 010 0100"}),
        ("POST", "/api/v1/instruments/{id}/score") => json!({"answers": {}}),
        ("POST", "/api/v1/intakes") => json!({}),
        ("PATCH", "/api/v1/intakes/{id}") => json!({"sections": {}}),
        ("PUT", "/api/v1/intakes/{id}/screenings/{id}") => json!({"resourceType": "QuestionnaireResponse"}),
        ("POST", "/api/v1/intakes/{id}/submit" | "/api/v1/auth/logout") => return None,
        ("POST", "/api/v1/auth/password") => {
            json!({"current_password": "long enough passphrase", "new_password": "another long passphrase"})
        }
        ("POST", "/api/v1/intakes/{id}/reviews") => json!({"action": "start_review"}),
        ("PUT", "/api/v1/intakes/{id}/exam") => {
            json!({"crps_budapest": {"signs": {"sensory": true, "vasomotor": true, "sudomotor_edema": true, "motor_trophic": true}, "other_diagnosis_explains": false}})
        }
        ("POST", "/api/v1/auth/mfa/totp/confirm") | ("DELETE", "/api/v1/auth/mfa/totp") => json!({"code": "123456"}),
        ("POST", "/api/v1/auth/mfa/totp") => return None,
        ("POST", "/api/v1/courses") => {
            json!({"intake_id": uuid::Uuid::nil(), "indications": ["crps"], "planned_sessions": 4,
            "protocol": {"drug": "ketamine", "route": "iv", "dose_mg_per_kg": 0.5}})
        }
        ("POST", "/api/v1/courses/{id}/end") => json!({"reason": "completed"}),
        ("POST", "/api/v1/courses/{id}/sessions") => json!({"scheduled_at": "2026-12-08T09:00:00Z"}),
        ("PATCH", "/api/v1/sessions/{id}") => json!({"sedation_moaas": 4}),
        ("POST", "/api/v1/sessions/{id}/complete") => return None,
        ("POST", "/api/v1/sessions/{id}/cancel") => json!({"reason": "unwell"}),
        ("POST", "/api/v1/checkins/{id}/submit") => json!({"screenings": {}}),
        ("POST", "/api/v1/invitations") => {
            json!({"patient_id": uuid::Uuid::nil(), "purpose": "intake", "channel": "none"})
        }
        ("POST", "/api/v1/outbox/{id}/retry") => return None,
        ("POST", "/api/v1/webhooks") => json!({"url": "https://93.184.216.34/hook", "events": ["ping"]}),
        ("PATCH", "/api/v1/webhooks/{id}") => json!({"disabled": true}),
        ("POST", "/api/v1/webhooks/{id}/rotate-secret" | "/api/v1/webhooks/{id}/test") => return None,
        ("GET" | "DELETE", _) => return None,
        other => panic!("add a valid body for {other:?} to the matrix"),
    };
    Some(body)
}

async fn admin_routes_refuse_other_roles(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let (_, patient) = app.patient_account("p@example.org").await;
    for token in [&clinician, &patient] {
        for path in [
            "/api/v1/users",
            "/api/v1/audit",
            "/api/v1/audit/verify",
            "/api/v1/outbox",
            "/api/v1/webhooks",
        ] {
            app.get(path, Some(token)).await.problem(403, "/problems/forbidden");
        }
    }
    app.get("/api/v1/patients", Some(&patient))
        .await
        .problem(403, "/problems/forbidden");
}

/// With `REQUIRE_STAFF_MFA`, staff without a second factor get 403
/// `/problems/mfa-enrollment-required` on every protected route but enrolment, `me` and logout
/// (the list the OpenAPI document is built from); patients are not asked for one.
async fn staff_without_a_second_factor_reach_only_enrolment(backend: Backend) {
    let app = crate::helpers::spawn_with(backend, &[("REQUIRE_STAFF_MFA", "true")]).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    let (_, patient) = app.patient_account("p@example.org").await;
    let exempt = [
        "GET /api/v1/auth/me",
        "POST /api/v1/auth/logout",
        "POST /api/v1/auth/mfa/totp",
        "POST /api/v1/auth/mfa/totp/confirm",
    ];
    let mut refused = 0;
    for (method, path) in protected_operations() {
        let m = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = crate::helpers::with_token(
            actix_web::test::TestRequest::default().method(m).uri(&path),
            Some(admin.as_str()),
        )
        .insert_header(("If-Match", "\"1\""));
        if let Some(b) = valid_body_for(&method, &path) {
            req = req.set_json(b);
        }
        let res = app.send(req).await;
        if exempt.contains(&format!("{method} {path}").as_str()) {
            assert_ne!(res.status, 403, "{method} {path}");
        } else {
            res.problem(403, "/problems/mfa-enrollment-required");
            refused += 1;
        }
    }
    assert!(refused >= 20, "{refused}");
    assert_eq!(app.get("/api/v1/auth/sessions", Some(&patient)).await.status, 200);
    assert_eq!(
        intake_api::http::openapi::MFA_EXEMPT.len(),
        exempt.len(),
        "the documented exemptions are the tested ones"
    );
}

on_both_backends!(
    every_protected_route_needs_a_valid_token,
    admin_routes_refuse_other_roles,
    staff_without_a_second_factor_reach_only_enrolment,
);
