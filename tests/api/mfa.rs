//! Staff second factor end to end (SECURITY.md, issue 12): codes are computed by pyotp, an
//! independent RFC 6238 implementation, from the `otpauth://` URI the service hands out.

use actix_web::http::Method;
use intake_api::auth::Role;
use intake_api::db::Backend;
use serde_json::{Value, json};

use crate::helpers::{STAFF_PASSWORD, pyotp_code, spawn_with};
use crate::on_both_backends;

/// A six-digit code that is none of the codes valid around now.
fn wrong_code(uri: &str) -> String {
    let valid: Vec<String> = [-60, -30, 0, 30, 60].iter().map(|o| pyotp_code(uri, *o)).collect();
    (0..).map(|n| format!("{n:06}")).find(|c| !valid.contains(c)).unwrap()
}

fn access(tokens: &Value) -> String {
    tokens["access_token"].as_str().unwrap().to_owned()
}

async fn staff_sign_in_with_totp_end_to_end(backend: Backend) {
    let app = spawn_with(backend, &[("REQUIRE_STAFF_MFA", "true"), ("MFA_ISSUER", "Pain Clinic")]).await;
    let (dr_id, _) = app.staff(Role::Clinician, "dr@clinic.org");
    let first = app.sign_in("dr@clinic.org", STAFF_PASSWORD).await;
    let token = access(&first);

    // Without a second factor: only enrolment, `me` and logout.
    app.get("/api/v1/patients", Some(&token))
        .await
        .problem(403, "/problems/mfa-enrollment-required");
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).await.status, 200);

    let started = app.post("/api/v1/auth/mfa/totp", Some(&token), &json!({})).await;
    assert_eq!(started.status, 201, "{}", String::from_utf8_lossy(&started.body));
    let enrolment = started.json();
    let uri = enrolment["otpauth_uri"].as_str().unwrap().to_owned();
    let secret = enrolment["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    assert!(
        uri.starts_with("otpauth://totp/Pain%20Clinic:dr%40clinic.org?"),
        "{uri}"
    );
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(enrolment["qr_svg"].as_str().unwrap().contains("<svg"));
    // Not in force before it is confirmed.
    app.get("/api/v1/patients", Some(&token))
        .await
        .problem(403, "/problems/mfa-enrollment-required");

    let wrong = app
        .post(
            "/api/v1/auth/mfa/totp/confirm",
            Some(&token),
            &json!({"code": wrong_code(&uri)}),
        )
        .await
        .problem(422, "/problems/validation");
    assert_eq!(wrong["errors"][0]["field"], "code");
    assert_eq!(wrong["errors"][0]["code"], "mismatch");
    let confirmed = app
        .post(
            "/api/v1/auth/mfa/totp/confirm",
            Some(&token),
            &json!({"code": pyotp_code(&uri, 0)}),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", String::from_utf8_lossy(&confirmed.body));
    let recovery: Vec<String> = confirmed.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);
    assert_eq!(recovery.iter().collect::<std::collections::HashSet<_>>().len(), 10);
    assert_eq!(app.get("/api/v1/patients", Some(&token)).await.status, 200);
    app.post("/api/v1/auth/mfa/totp", Some(&token), &json!({}))
        .await
        .problem(409, "/problems/conflict");

    // Sign-in now asks for the second factor; the challenge is no access token.
    let challenge = app.sign_in("dr@clinic.org", STAFF_PASSWORD).await;
    assert_eq!(challenge["mfa_required"], true);
    assert_eq!(challenge["expires_in"], 300);
    assert!(challenge.get("access_token").is_none(), "{challenge}");
    let mfa_token = challenge["mfa_token"].as_str().unwrap().to_owned();
    app.get("/api/v1/auth/me", Some(&mfa_token))
        .await
        .problem(401, "/problems/unauthenticated");
    let both = app
        .post(
            "/api/v1/auth/mfa/verify",
            None,
            &json!({"mfa_token": mfa_token, "code": "123456", "recovery_code": recovery[0]}),
        )
        .await
        .problem(422, "/problems/validation");
    assert_eq!(both["errors"][0]["field"], "recovery_code");
    let neither = app
        .post("/api/v1/auth/mfa/verify", None, &json!({"mfa_token": mfa_token}))
        .await
        .problem(422, "/problems/validation");
    assert_eq!(neither["errors"][0]["field"], "code");

    // The code of the next time step (the confirmation used this one's).
    let next = pyotp_code(&uri, 30);
    let verified = app
        .post(
            "/api/v1/auth/mfa/verify",
            None,
            &json!({"mfa_token": mfa_token, "code": next}),
        )
        .await;
    assert_eq!(verified.status, 200, "{}", String::from_utf8_lossy(&verified.body));
    let tokens = verified.json();
    assert_eq!(app.get("/api/v1/patients", Some(&access(&tokens))).await.status, 200);
    assert_eq!(app.refresh(&tokens).await.status, 200);

    // The same code again, with a fresh challenge: replayed, refused.
    let again = app.sign_in("dr@clinic.org", STAFF_PASSWORD).await;
    let replay = json!({"mfa_token": again["mfa_token"], "code": next});
    app.post("/api/v1/auth/mfa/verify", None, &replay)
        .await
        .problem(401, "/problems/invalid-mfa-code");
    // An older code is no better.
    let older = json!({"mfa_token": again["mfa_token"], "code": pyotp_code(&uri, 0)});
    app.post("/api/v1/auth/mfa/verify", None, &older)
        .await
        .problem(401, "/problems/invalid-mfa-code");

    // A recovery code, typed however, works once.
    let typed = recovery[0].to_uppercase().replace('-', " ");
    let by_recovery = app
        .post(
            "/api/v1/auth/mfa/verify",
            None,
            &json!({"mfa_token": again["mfa_token"], "recovery_code": typed}),
        )
        .await;
    assert_eq!(
        by_recovery.status,
        200,
        "{}",
        String::from_utf8_lossy(&by_recovery.body)
    );
    let third = app.sign_in("dr@clinic.org", STAFF_PASSWORD).await;
    app.post(
        "/api/v1/auth/mfa/verify",
        None,
        &json!({"mfa_token": third["mfa_token"], "recovery_code": recovery[0]}),
    )
    .await
    .problem(401, "/problems/invalid-mfa-code");
    let garbage = json!({"mfa_token": "not.a.token", "code": "123456"});
    app.post("/api/v1/auth/mfa/verify", None, &garbage)
        .await
        .problem(401, "/problems/unauthenticated");

    // The account's trail (read from the table: no administrator here has a second factor).
    let mut conn = app.state.pool.get().unwrap();
    let filter = intake_api::audit::repo::AuditFilter {
        resource_id: Some(dr_id.to_string()),
        ..Default::default()
    };
    let actions: Vec<(String, String)> = intake_api::audit::repo::list(&mut conn, &filter, None, 100)
        .unwrap()
        .into_iter()
        .map(|r| (r.action, r.outcome))
        .collect();
    for expected in [
        ("mfa.enrolment_start", "success"),
        ("mfa.enrol", "failure"),
        ("mfa.enrol", "success"),
        ("auth.mfa_challenge", "success"),
        ("auth.mfa_failed", "failure"),
        ("auth.recovery_code_used", "success"),
    ] {
        assert!(
            actions.iter().any(|(a, o)| (a.as_str(), o.as_str()) == expected),
            "{expected:?} in {actions:?}"
        );
    }
}

async fn wrong_codes_lock_like_passwords(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    app.staff(Role::Clinician, "dr@clinic.org");
    let (_, uri) = app.enrol_totp("dr@clinic.org").await;
    let wrong = wrong_code(&uri);
    let guess = async |challenge: &Value| {
        app.post(
            "/api/v1/auth/mfa/verify",
            None,
            &json!({"mfa_token": challenge["mfa_token"], "code": wrong}),
        )
        .await
    };
    // A burst of concurrent guesses: each is counted before its code is checked.
    let challenge = app.sign_in("dr@clinic.org", STAFF_PASSWORD).await;
    let burst = (0..10).map(|_| guess(&challenge));
    let statuses: Vec<u16> = futures_util::future::join_all(burst)
        .await
        .iter()
        .map(|r| r.status.as_u16())
        .collect();
    assert!(statuses.iter().filter(|s| **s == 401).count() <= 5, "{statuses:?}");
    assert!(statuses.iter().all(|s| [401, 429].contains(s)), "{statuses:?}");
    // Start the sequential count afresh (as the window passing would).
    let mut conn = app.state.pool.get().unwrap();
    intake_api::auth::repo::clear_failures(&mut conn, &intake_api::auth::lockout::account_key("dr@clinic.org"))
        .unwrap();
    drop(conn);

    let challenge = app.sign_in("dr@clinic.org", STAFF_PASSWORD).await;
    for _ in 0..4 {
        guess(&challenge).await.problem(401, "/problems/invalid-mfa-code");
    }
    // The right password again gives no fresh guesses: the count goes on.
    let challenge = app.sign_in("dr@clinic.org", STAFF_PASSWORD).await;
    guess(&challenge).await.problem(401, "/problems/invalid-mfa-code");
    let locked = guess(&challenge).await;
    locked.problem(429, "/problems/too-many-requests");
    assert!(locked.header("retry-after").is_some());
    // Even the right code waits.
    let right = json!({"mfa_token": challenge["mfa_token"], "code": pyotp_code(&uri, 30)});
    app.post("/api/v1/auth/mfa/verify", None, &right)
        .await
        .problem(429, "/problems/too-many-requests");
}

async fn turning_off_and_admin_reset(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    let (dr_id, colleague) = app.staff(Role::Clinician, "dr@clinic.org");
    // Off by the user, with a current code (the next step's: this one's confirmed it).
    let (token, uri) = app.enrol_totp("dr@clinic.org").await;
    let off = |code: String| {
        let (app, token) = (&app, token.clone());
        async move {
            app.call(
                Method::DELETE,
                "/api/v1/auth/mfa/totp",
                Some(&token),
                Some(&json!({"code": code})),
            )
            .await
        }
    };
    off(wrong_code(&uri)).await.problem(422, "/problems/validation");
    assert_eq!(off(pyotp_code(&uri, 30)).await.status, 204);
    off(pyotp_code(&uri, 30)).await.problem(409, "/problems/conflict");
    let plain = app.sign_in("dr@clinic.org", STAFF_PASSWORD).await;
    assert!(plain["access_token"].is_string(), "no second step once it is off");

    // Reset by an administrator (a lost phone); nobody else may.
    let (before_reset, _) = app.enrol_totp("dr@clinic.org").await;
    assert_eq!(app.sign_in("dr@clinic.org", STAFF_PASSWORD).await["mfa_required"], true);
    let path = format!("/api/v1/users/{dr_id}/mfa");
    app.call(Method::DELETE, &path, Some(&colleague), None)
        .await
        .problem(403, "/problems/forbidden");
    let reset = app.call(Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(reset.status, 204);
    // Whoever holds the lost phone loses the session too.
    app.get("/api/v1/auth/me", Some(&before_reset))
        .await
        .problem(401, "/problems/unauthenticated");
    assert!(app.sign_in("dr@clinic.org", STAFF_PASSWORD).await["access_token"].is_string());
    assert_eq!(
        app.audit_actions(&admin, "action=user.mfa_reset").await,
        vec![("user.mfa_reset".to_owned(), "success".to_owned())]
    );
}

on_both_backends!(
    staff_sign_in_with_totp_end_to_end,
    wrong_codes_lock_like_passwords,
    turning_off_and_admin_reset,
);
