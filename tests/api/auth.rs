//! Accounts, sign-in, tokens and roles.

use actix_web::test as at;
use intake_api::auth::Role;
use intake_api::db::Backend;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::helpers::{PATIENT_PASSWORD, STAFF_PASSWORD, TEST_SECRET, spawn, spawn_with};
use crate::on_both_backends;

async fn registration(backend: Backend) {
    let app = spawn(backend).await;
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            &json!({"email": " Ana.Lopez@Example.org ", "password": PATIENT_PASSWORD, "display_name": "Ana López"}),
        )
        .await;
    assert_eq!(res.status, 201);
    let body = res.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["user"]["email"], "ana.lopez@example.org");
    assert_eq!(body["user"]["role"], "patient");
    let token = body["access_token"].as_str().unwrap();

    let me = app.get("/api/v1/auth/me", Some(token)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["display_name"], "Ana López");
    assert_eq!(me.json()["role"], "patient");
    assert!(me.json().get("patient_id").is_none());

    // The same email in another case is the same account.
    let dup = app
        .post(
            "/api/v1/auth/register",
            None,
            &json!({"email": "ANA.LOPEZ@example.org", "password": PATIENT_PASSWORD}),
        )
        .await;
    dup.problem(409, "/problems/conflict");

    let weak = app
        .post(
            "/api/v1/auth/register",
            None,
            &json!({"email": "b@example.org", "password": "password1234"}),
        )
        .await;
    let body = weak.problem(422, "/problems/validation");
    assert_eq!(body["errors"][0]["field"], "password");
    assert_eq!(body["errors"][0]["code"], "common_password");

    let bad = app
        .post(
            "/api/v1/auth/register",
            None,
            &json!({"email": "not-an-email", "password": "short"}),
        )
        .await;
    let fields: Vec<_> = bad.problem(422, "/problems/validation")["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, vec!["email"], "email checked first; password policy after");
}

async fn signup_can_be_turned_off(backend: Backend) {
    let app = spawn_with(backend, &[("ALLOW_PATIENT_SIGNUP", "false")]).await;
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            &json!({"email": "a@example.org", "password": PATIENT_PASSWORD}),
        )
        .await;
    res.problem(403, "/problems/forbidden");
}

async fn sign_in_and_the_same_401_for_every_failure(backend: Backend) {
    let app = spawn(backend).await;
    app.patient_account("ana@example.org").await;
    let ok = app
        .post(
            "/api/v1/auth/token",
            None,
            &json!({"email": "ANA@example.org", "password": PATIENT_PASSWORD}),
        )
        .await;
    assert_eq!(ok.status, 200);
    let token = ok.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).await.status, 200);

    let wrong = app
        .post(
            "/api/v1/auth/token",
            None,
            &json!({"email": "ana@example.org", "password": "not the password"}),
        )
        .await;
    let unknown = app
        .post(
            "/api/v1/auth/token",
            None,
            &json!({"email": "nobody@example.org", "password": "not the password"}),
        )
        .await;
    let (a, b) = (
        wrong.problem(401, "/problems/invalid-credentials"),
        unknown.problem(401, "/problems/invalid-credentials"),
    );
    assert_eq!(
        (a["title"].clone(), a["detail"].clone()),
        (b["title"].clone(), b["detail"].clone())
    );
}

async fn repeated_failures_lock_the_account(backend: Backend) {
    let app = spawn(backend).await;
    app.patient_account("ana@example.org").await;
    let attempt = async |pw: &str| {
        app.post(
            "/api/v1/auth/token",
            None,
            &json!({"email": "ana@example.org", "password": pw}),
        )
        .await
    };
    for _ in 0..4 {
        assert_eq!(attempt("wrong password!").await.status, 401);
    }
    // A success resets the account's counter.
    assert_eq!(attempt(PATIENT_PASSWORD).await.status, 200);
    for _ in 0..5 {
        assert_eq!(attempt("wrong password!").await.status, 401);
    }
    let locked = attempt("wrong password!").await;
    locked.problem(429, "/problems/too-many-requests");
    let retry: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // Even the right password waits: the lock is checked before the password.
    assert_eq!(attempt(PATIENT_PASSWORD).await.status, 429);
}

/// A burst of concurrent guesses gets no more than the limit: each attempt is counted before
/// its password is checked, not after.
async fn a_burst_of_guesses_gets_no_more_than_the_limit(backend: Backend) {
    let app = spawn(backend).await;
    app.patient_account("ana@example.org").await;
    let bodies: Vec<_> = (0..12)
        .map(|i| json!({"email": "ana@example.org", "password": format!("guess number {i}")}))
        .collect();
    let guesses = bodies.iter().map(|body| app.post("/api/v1/auth/token", None, body));
    let statuses: Vec<u16> = futures_util::future::join_all(guesses)
        .await
        .iter()
        .map(|r| r.status.as_u16())
        .collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(checked <= 5, "{statuses:?}");
    assert!(statuses.iter().all(|s| [401, 429].contains(s)), "{statuses:?}");
}

async fn repeated_failures_from_one_address_are_limited(backend: Backend) {
    let app = spawn(backend).await;
    let from = |email: String| {
        at::TestRequest::post()
            .uri("/api/v1/auth/token")
            .peer_addr("198.51.100.7:4000".parse().unwrap())
            .set_json(json!({"email": email, "password": "guessing passwords"}))
    };
    for i in 0..50 {
        assert_eq!(
            app.send(from(format!("user{i}@example.org"))).await.status,
            401,
            "attempt {i}"
        );
    }
    app.send(from("someone-else@example.org".into()))
        .await
        .problem(429, "/problems/too-many-requests");
    // Another address is not affected.
    let other = at::TestRequest::post()
        .uri("/api/v1/auth/token")
        .peer_addr("198.51.100.8:4000".parse().unwrap())
        .set_json(json!({"email": "x@example.org", "password": "guessing passwords"}));
    assert_eq!(app.send(other).await.status, 401);
}

async fn invalid_tokens_are_refused(backend: Backend) {
    let app = spawn(backend).await;
    let (user, _) = app.patient_account("ana@example.org").await;
    let now = chrono::Utc::now().timestamp();
    let claims = |iss: &str, aud: &str, exp: i64| json!({"sub": user.to_string(), "role": "patient", "iat": now - 10, "exp": exp, "iss": iss, "aud": aud, "jti": "x"});
    let typed = |typ: Option<&str>, c: serde_json::Value, secret: &[u8]| {
        let mut header = Header::new(Algorithm::HS256);
        header.typ = typ.map(str::to_owned);
        jsonwebtoken::encode(&header, &c, &EncodingKey::from_secret(secret)).unwrap()
    };
    let sign = |c: serde_json::Value, secret: &[u8]| typed(Some("at+jwt"), c, secret);
    let good = sign(claims("intake-api", "intake-api", now + 600), TEST_SECRET.as_bytes());
    assert_eq!(app.get("/api/v1/auth/me", Some(&good)).await.status, 200);
    for bad in [
        // Right key and claims, but not typed as an access token (RFC 9068 `typ`).
        typed(
            Some("JWT"),
            claims("intake-api", "intake-api", now + 600),
            TEST_SECRET.as_bytes(),
        ),
        typed(
            None,
            claims("intake-api", "intake-api", now + 600),
            TEST_SECRET.as_bytes(),
        ),
        typed(
            Some("mfa+jwt"),
            claims("intake-api", "intake-api", now + 600),
            TEST_SECRET.as_bytes(),
        ),
        sign(claims("intake-api", "intake-api", now - 120), TEST_SECRET.as_bytes()),
        sign(claims("someone-else", "intake-api", now + 600), TEST_SECRET.as_bytes()),
        sign(claims("intake-api", "another-api", now + 600), TEST_SECRET.as_bytes()),
        sign(
            claims("intake-api", "intake-api", now + 600),
            b"a-different-secret-a-different-secret!!",
        ),
        "garbage".to_owned(),
    ] {
        let res = app.get("/api/v1/auth/me", Some(&bad)).await;
        res.problem(401, "/problems/unauthenticated");
        assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    }
    // A token for a user that does not exist.
    let ghost = app.token(uuid::Uuid::now_v7(), Role::Admin);
    app.get("/api/v1/auth/me", Some(&ghost))
        .await
        .problem(401, "/problems/unauthenticated");
    app.get("/api/v1/auth/me", None)
        .await
        .problem(401, "/problems/unauthenticated");
}

async fn admins_manage_users(backend: Backend) {
    let app = spawn(backend).await;
    let (admin_id, admin) = app.staff(Role::Admin, "admin@clinic.org");
    let created = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"email": "Dr.Reyes@clinic.org", "password": STAFF_PASSWORD, "role": "clinician", "display_name": "Dr. Marta Reyes"}),
        )
        .await;
    assert_eq!(created.status, 201);
    let user = created.json();
    assert_eq!(user["email"], "dr.reyes@clinic.org");
    assert_eq!(user["role"], "clinician");
    assert_eq!(
        created.header("location").unwrap(),
        format!("/api/v1/users/{}", user["id"].as_str().unwrap())
    );
    let clinician_id = user["id"].as_str().unwrap().to_owned();

    let signin = app
        .post(
            "/api/v1/auth/token",
            None,
            &json!({"email": "dr.reyes@clinic.org", "password": STAFF_PASSWORD}),
        )
        .await;
    let clinician = signin.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&clinician)).await.json()["role"],
        "clinician"
    );

    // Patients are not created here.
    let res = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"email": "p@x.org", "password": STAFF_PASSWORD, "role": "patient", "display_name": "P"}),
        )
        .await;
    assert_eq!(res.problem(422, "/problems/validation")["errors"][0]["field"], "role");

    let list = app.get("/api/v1/users?limit=1", Some(&admin)).await;
    assert_eq!(list.status, 200);
    let page = list.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["email"], "admin@clinic.org");
    let next = page["next_cursor"].as_str().unwrap();
    let page2 = app
        .get(&format!("/api/v1/users?limit=1&cursor={next}"), Some(&admin))
        .await
        .json();
    assert_eq!(page2["items"][0]["email"], "dr.reyes@clinic.org");
    assert!(page2["next_cursor"].is_null());
    let clinicians = app.get("/api/v1/users?role=clinician", Some(&admin)).await.json();
    assert_eq!(clinicians["items"].as_array().unwrap().len(), 1);

    // Disabling takes effect on the very next request, and sign-in is refused.
    let res = app
        .patch(
            &format!("/api/v1/users/{clinician_id}"),
            Some(&admin),
            &json!({"disabled": true}),
            None,
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["disabled"], true);
    app.get("/api/v1/auth/me", Some(&clinician))
        .await
        .problem(401, "/problems/unauthenticated");
    let signin = app
        .post(
            "/api/v1/auth/token",
            None,
            &json!({"email": "dr.reyes@clinic.org", "password": STAFF_PASSWORD}),
        )
        .await;
    signin.problem(401, "/problems/invalid-credentials");

    // The last admin can neither lock themself out nor be demoted.
    let res = app
        .patch(
            &format!("/api/v1/users/{admin_id}"),
            Some(&admin),
            &json!({"disabled": true}),
            None,
        )
        .await;
    res.problem(409, "/problems/conflict");
    let res = app
        .patch(
            &format!("/api/v1/users/{admin_id}"),
            Some(&admin),
            &json!({"role": "clinician"}),
            None,
        )
        .await;
    res.problem(409, "/problems/conflict");

    let res = app
        .patch(
            &format!("/api/v1/users/{}", uuid::Uuid::now_v7()),
            Some(&admin),
            &json!({"display_name": "x"}),
            None,
        )
        .await;
    res.problem(404, "/problems/not-found");
}

async fn role_changes_apply_at_once(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    let (second_id, second) = app.staff(Role::Admin, "second@clinic.org");
    assert_eq!(app.get("/api/v1/users", Some(&second)).await.status, 200);
    let res = app
        .patch(
            &format!("/api/v1/users/{second_id}"),
            Some(&admin),
            &json!({"role": "clinician"}),
            None,
        )
        .await;
    assert_eq!(res.json()["role"], "clinician");
    // Tokens issued before the role change are refused (they would carry the old role) ...
    app.get("/api/v1/users", Some(&second))
        .await
        .problem(401, "/problems/unauthenticated");
    // ... and signed in again, the account is what the database says: a clinician.
    let signin = app
        .post(
            "/api/v1/auth/token",
            None,
            &json!({"email": "second@clinic.org", "password": STAFF_PASSWORD}),
        )
        .await;
    let fresh = signin.json()["access_token"].as_str().unwrap().to_owned();
    app.get("/api/v1/users", Some(&fresh))
        .await
        .problem(403, "/problems/forbidden");
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&fresh)).await.json()["role"],
        "clinician"
    );
}

/// Lookalike addresses never make a second account: fullwidth and decomposed forms fold into the
/// existing one (409), invisible characters and mixed alphabets are refused (422) (issue 12,
/// point 6).
async fn lookalike_emails_make_no_second_account(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    for email in ["ana@example.org", "ana@b\u{fc}cher.de"] {
        let res = app
            .post(
                "/api/v1/auth/register",
                None,
                &json!({"email": email, "password": PATIENT_PASSWORD}),
            )
            .await;
        assert_eq!(res.status, 201);
    }
    for (lookalike, statuses) in [
        (
            "ana@\u{ff45}\u{ff58}\u{ff41}\u{ff4d}\u{ff50}\u{ff4c}\u{ff45}.org",
            [409, 422],
        ), // fullwidth
        ("ANA@Example.ORG", [409, 409]),
        ("ana@bu\u{308}cher.de", [409, 409]),    // NFD of an accepted NFC address
        ("ana@xn--bcher-kva.de", [409, 409]),    // its punycode
        ("ana@ex\u{430}mple.org", [422, 422]),   // Cyrillic а
        ("ana@example.org\u{200b}", [422, 422]), // zero-width space
        ("a\u{200d}na@example.org", [422, 422]), // zero-width joiner
    ] {
        let res = app
            .post(
                "/api/v1/auth/register",
                None,
                &json!({"email": lookalike, "password": PATIENT_PASSWORD}),
            )
            .await;
        assert!(
            statuses.contains(&res.status.as_u16()),
            "{lookalike:?}: {} {}",
            res.status,
            String::from_utf8_lossy(&res.body)
        );
    }
    let patients = app.get("/api/v1/users?role=patient", Some(&admin)).await.json();
    assert_eq!(patients["items"].as_array().unwrap().len(), 2, "no second account");
    // The fullwidth form signs in to the one account.
    let res = app
        .post(
            "/api/v1/auth/token",
            None,
            &json!({"email": "ana@\u{ff45}\u{ff58}\u{ff41}\u{ff4d}\u{ff50}\u{ff4c}\u{ff45}.org", "password": PATIENT_PASSWORD}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
}

/// Re-enabling a user does not revive the tokens issued before the disable (issue 12, point 5).
async fn reenabling_does_not_revive_old_tokens(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    let (id, old) = app.staff(Role::Clinician, "dr@clinic.org");
    assert_eq!(app.get("/api/v1/auth/me", Some(&old)).await.status, 200);
    for disabled in [true, false] {
        let res = app
            .patch(
                &format!("/api/v1/users/{id}"),
                Some(&admin),
                &json!({"disabled": disabled}),
                None,
            )
            .await;
        assert_eq!(res.status, 200);
    }
    app.get("/api/v1/auth/me", Some(&old))
        .await
        .problem(401, "/problems/unauthenticated");
    let signin = app
        .post(
            "/api/v1/auth/token",
            None,
            &json!({"email": "dr@clinic.org", "password": STAFF_PASSWORD}),
        )
        .await;
    assert_eq!(signin.status, 200);
    let fresh = signin.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/auth/me", Some(&fresh)).await.status, 200);
    // A change of name only does not end anyone's session.
    let res = app
        .patch(
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            &json!({"display_name": "Dr. R"}),
            None,
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(app.get("/api/v1/auth/me", Some(&fresh)).await.status, 200);
}

async fn only_admins_reach_user_admin(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let (patient_id, patient) = app.patient_account("p@example.org").await;
    for token in [&clinician, &patient] {
        app.get("/api/v1/users", Some(token))
            .await
            .problem(403, "/problems/forbidden");
        let body = json!({"email": "x@clinic.org", "password": STAFF_PASSWORD, "role": "admin", "display_name": "X"});
        app.post("/api/v1/users", Some(token), &body)
            .await
            .problem(403, "/problems/forbidden");
        let res = app
            .patch(
                &format!("/api/v1/users/{patient_id}"),
                Some(token),
                &json!({"role": "admin"}),
                None,
            )
            .await;
        res.problem(403, "/problems/forbidden");
        app.get("/api/v1/audit", Some(token))
            .await
            .problem(403, "/problems/forbidden");
    }
}

on_both_backends!(
    a_burst_of_guesses_gets_no_more_than_the_limit,
    lookalike_emails_make_no_second_account,
    reenabling_does_not_revive_old_tokens,
    registration,
    signup_can_be_turned_off,
    sign_in_and_the_same_401_for_every_failure,
    repeated_failures_lock_the_account,
    repeated_failures_from_one_address_are_limited,
    invalid_tokens_are_refused,
    admins_manage_users,
    role_changes_apply_at_once,
    only_admins_reach_user_admin,
);

/// Tokens from the clinic's identity provider, for each supported algorithm, with a key pair
/// generated by `openssl` for the test.
mod external_identity_provider {
    use std::process::Command;

    use super::*;

    fn key_pair(kind: &str) -> (String, String) {
        let dir = std::env::temp_dir().join(format!("intake-idp-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let private = dir.join("private.pem");
        let public = dir.join("public.pem");
        let args: Vec<&str> = match kind {
            "rsa" => vec!["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            "ec" => vec!["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            _ => vec!["genpkey", "-algorithm", "ED25519"],
        };
        let ok = Command::new("openssl")
            .args(&args)
            .arg("-out")
            .arg(&private)
            .status()
            .unwrap();
        assert!(ok.success());
        let ok = Command::new("openssl")
            .args(["pkey", "-pubout", "-in"])
            .arg(&private)
            .arg("-out")
            .arg(&public)
            .status()
            .unwrap();
        assert!(ok.success());
        let out = (
            std::fs::read_to_string(&private).unwrap(),
            std::fs::read_to_string(&public).unwrap(),
        );
        std::fs::remove_dir_all(&dir).unwrap();
        out
    }

    async fn accepts(kind: &str, alg: Algorithm) {
        let (private, public) = key_pair(kind);
        let overrides = [
            ("JWT_EXTERNAL_PUBLIC_KEY", public.as_str()),
            ("JWT_EXTERNAL_ISSUER", "https://login.clinic.example"),
            ("JWT_EXTERNAL_AUDIENCE", "intake"),
            ("JWT_EXTERNAL_ROLE_CLAIM", "intake_role"),
        ];
        let app = spawn_with(Backend::Sqlite, &overrides).await;
        let key = match kind {
            "rsa" => EncodingKey::from_rsa_pem(private.as_bytes()),
            "ec" => EncodingKey::from_ec_pem(private.as_bytes()),
            _ => EncodingKey::from_ed_pem(private.as_bytes()),
        }
        .unwrap();
        let now = chrono::Utc::now().timestamp();
        let token = |iss: &str, role: &str| {
            let claims = json!({"sub": "idp-user-42", "iss": iss, "aud": "intake", "exp": now + 300, "iat": now,
                                "intake_role": role, "email": "Nurse.Kim@clinic.example", "name": "Nurse Kim"});
            jsonwebtoken::encode(&Header::new(alg), &claims, &key).unwrap()
        };
        let me = app
            .get(
                "/api/v1/auth/me",
                Some(&token("https://login.clinic.example", "clinician")),
            )
            .await;
        assert_eq!(me.status, 200, "{kind}: {}", String::from_utf8_lossy(&me.body));
        let body = me.json();
        assert_eq!(body["role"], "clinician");
        assert_eq!(body["email"], "nurse.kim@clinic.example");
        assert_eq!(body["display_name"], "Nurse Kim");
        // The same subject maps to the same local user.
        let again = app
            .get(
                "/api/v1/auth/me",
                Some(&token("https://login.clinic.example", "clinician")),
            )
            .await;
        assert_eq!(again.json()["id"], body["id"]);
        // Clinician rights follow from the role claim.
        assert_eq!(
            app.get(
                "/api/v1/patients",
                Some(&token("https://login.clinic.example", "clinician"))
            )
            .await
            .status,
            200
        );

        app.get("/api/v1/auth/me", Some(&token("https://evil.example", "admin")))
            .await
            .problem(401, "/problems/unauthenticated");
        app.get("/api/v1/auth/me", Some(&token("https://login.clinic.example", "root")))
            .await
            .problem(401, "/problems/unauthenticated");
        // Signed by another key of the same type.
        let (other_private, _) = key_pair(kind);
        let other = match kind {
            "rsa" => EncodingKey::from_rsa_pem(other_private.as_bytes()),
            "ec" => EncodingKey::from_ec_pem(other_private.as_bytes()),
            _ => EncodingKey::from_ed_pem(other_private.as_bytes()),
        }
        .unwrap();
        let claims = json!({"sub": "idp-user-42", "iss": "https://login.clinic.example", "aud": "intake", "exp": now + 300, "intake_role": "admin"});
        let forged = jsonwebtoken::encode(&Header::new(alg), &claims, &other).unwrap();
        app.get("/api/v1/auth/me", Some(&forged))
            .await
            .problem(401, "/problems/unauthenticated");
        // The provider's key, but not valid yet (`nbf` ten minutes ahead).
        let claims = json!({"sub": "idp-user-42", "iss": "https://login.clinic.example", "aud": "intake", "exp": now + 1200,
                            "nbf": now + 600, "iat": now, "intake_role": "clinician"});
        let early = jsonwebtoken::encode(&Header::new(alg), &claims, &key).unwrap();
        app.get("/api/v1/auth/me", Some(&early))
            .await
            .problem(401, "/problems/unauthenticated");
        // Our own HS256 tokens keep working beside the provider's.
        let (_, local) = app.staff(Role::Admin, "admin@clinic.org");
        assert_eq!(app.get("/api/v1/auth/me", Some(&local)).await.status, 200);

        // After the first sign-in the role is the database's: an administrator's demotion holds
        // whatever the provider's tokens claim, and tokens issued before it are refused.
        let issued = |iat: i64| {
            let claims = json!({"sub": "idp-user-42", "iss": "https://login.clinic.example", "aud": "intake",
                                "exp": now + 600, "iat": iat, "intake_role": "clinician"});
            jsonwebtoken::encode(&Header::new(alg), &claims, &key).unwrap()
        };
        let earlier = issued(now - 60);
        assert_eq!(
            app.get("/api/v1/auth/me", Some(&earlier)).await.json()["role"],
            "clinician"
        );
        let res = app
            .patch(
                &format!("/api/v1/users/{}", body["id"].as_str().unwrap()),
                Some(&local),
                &json!({"role": "patient"}),
                None,
            )
            .await;
        assert_eq!(res.status, 200);
        app.get("/api/v1/auth/me", Some(&earlier))
            .await
            .problem(401, "/problems/unauthenticated");
        let later = issued(chrono::Utc::now().timestamp() + 1);
        let me = app.get("/api/v1/auth/me", Some(&later)).await;
        assert_eq!(me.status, 200, "{}", String::from_utf8_lossy(&me.body));
        assert_eq!(me.json()["role"], "patient", "the claim does not undo the demotion");
    }

    #[actix_web::test]
    async fn rs256() {
        accepts("rsa", Algorithm::RS256).await;
    }

    #[actix_web::test]
    async fn es256() {
        accepts("ec", Algorithm::ES256).await;
    }

    #[actix_web::test]
    async fn eddsa() {
        accepts("ed25519", Algorithm::EdDSA).await;
    }

    /// With `REQUIRE_STAFF_MFA`, the provider's staff are trusted to have done their second
    /// factor there; this service's own staff tokens without one are not.
    #[actix_web::test]
    async fn provider_staff_need_no_second_factor_here() {
        let (private, public) = key_pair("ec");
        let overrides = [
            ("JWT_EXTERNAL_PUBLIC_KEY", public.as_str()),
            ("JWT_EXTERNAL_ISSUER", "https://login.clinic.example"),
            ("JWT_EXTERNAL_AUDIENCE", "intake"),
            ("REQUIRE_STAFF_MFA", "true"),
        ];
        let app = spawn_with(Backend::Sqlite, &overrides).await;
        let now = chrono::Utc::now().timestamp();
        let claims = json!({"sub": "idp-user-7", "iss": "https://login.clinic.example", "aud": "intake", "exp": now + 300,
                            "iat": now, "role": "clinician", "amr": ["pwd", "otp"]});
        let key = EncodingKey::from_ec_pem(private.as_bytes()).unwrap();
        let provider = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, &key).unwrap();
        assert_eq!(app.get("/api/v1/patients", Some(&provider)).await.status, 200);
        // What the provider did is recorded on the account.
        let recorded = || {
            let mut conn = app.state.pool.get().unwrap();
            intake_api::auth::repo::find_by_external_subject(&mut conn, "https://login.clinic.example|idp-user-7")
                .unwrap()
                .unwrap()
        };
        let user = recorded();
        assert_eq!(user.external_amr.as_deref(), Some("pwd otp"));
        let listed = intake_api::auth::api::UserResponse::from(user);
        assert_eq!(
            serde_json::to_value(&listed).unwrap()["external_amr"],
            json!(["pwd", "otp"])
        );
        // A later sign-in at the provider with the password only: recorded as such.
        let claims = json!({"sub": "idp-user-7", "iss": "https://login.clinic.example", "aud": "intake", "exp": now + 300,
                            "iat": now, "role": "clinician", "amr": ["pwd"]});
        let password_only = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, &key).unwrap();
        assert_eq!(app.get("/api/v1/auth/me", Some(&password_only)).await.status, 200);
        assert_eq!(recorded().external_amr.as_deref(), Some("pwd"));
        // Nor do they get a local password that would go round the provider.
        let body = json!({"new_password": "a long local passphrase"});
        app.post("/api/v1/auth/password", Some(&provider), &body)
            .await
            .problem(409, "/problems/conflict");
        let (_, local) = app.staff(Role::Clinician, "dr@clinic.org");
        app.get("/api/v1/patients", Some(&local))
            .await
            .problem(403, "/problems/mfa-enrollment-required");
    }
}

/// `intake-api create-user` reads the password from stdin and the account can sign in.
#[actix_web::test]
async fn create_user_command_reads_the_password_from_stdin() {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let app = spawn(Backend::Sqlite).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_intake-api"))
        .args([
            "create-user",
            "--role",
            "admin",
            "--email",
            "Boss@Clinic.org",
            "--display-name",
            "Clinic Boss",
        ])
        .env("DATABASE_URL", app.db.url_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{STAFF_PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("created admin "));

    let res = app
        .post(
            "/api/v1/auth/token",
            None,
            &json!({"email": "boss@clinic.org", "password": STAFF_PASSWORD}),
        )
        .await;
    assert_eq!(res.status, 200);
    let token = res.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).await.json()["role"], "admin");

    // A weak password is refused with the reason.
    let mut child = Command::new(env!("CARGO_BIN_EXE_intake-api"))
        .args(["create-user", "--role", "clinician", "--email", "dr@clinic.org"])
        .env("DATABASE_URL", app.db.url_string())
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("password"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The bootstrap admin is created only when no enabled admin exists.
#[::core::prelude::v1::test]
fn bootstrap_admin_only_once() {
    let db = crate::helpers::TestDb::new(Backend::Sqlite);
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let first =
        intake_api::auth::service::create_staff(&mut conn, "a@clinic.org", STAFF_PASSWORD, Role::Admin, "A", true)
            .unwrap();
    assert!(first.is_some());
    let second =
        intake_api::auth::service::create_staff(&mut conn, "b@clinic.org", STAFF_PASSWORD, Role::Admin, "B", true)
            .unwrap();
    assert_eq!(second, None);
}
