//! Sign-in sessions: rotating refresh tokens, reuse detection, logout, the session list,
//! "sign out everywhere" and password changes (SECURITY.md, issue 12).

use intake_api::auth::Role;
use intake_api::db::Backend;
use serde_json::{Value, json};

use crate::helpers::{PATIENT_PASSWORD, STAFF_PASSWORD, spawn};
use crate::on_both_backends;

fn access(tokens: &Value) -> String {
    tokens["access_token"].as_str().unwrap().to_owned()
}

async fn refresh_tokens_rotate_and_a_reused_one_ends_the_session(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    let registered = app.register("ana@example.org").await;
    assert_eq!(
        registered["expires_in"], 900,
        "access tokens live 15 minutes by default"
    );
    assert_eq!(registered["refresh_token"].as_str().unwrap().len(), 43);

    let first = app.sign_in("ana@example.org", PATIENT_PASSWORD).await;
    assert_eq!(first["expires_in"], 900);
    assert_ne!(first["refresh_token"], registered["refresh_token"]);
    let renewed = app.refresh(&first).await;
    assert_eq!(renewed.status, 200);
    let second = renewed.json();
    assert_eq!(second["token_type"], "Bearer");
    assert_ne!(second["refresh_token"], first["refresh_token"], "rotated");
    assert_eq!(app.get("/api/v1/auth/me", Some(&access(&second))).await.status, 200);
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&access(&first))).await.status,
        200,
        "the session is still open"
    );

    // The first refresh token again: someone holds a copy, so the whole session ends.
    app.refresh(&first).await.problem(401, "/problems/unauthenticated");
    for token in [access(&first), access(&second)] {
        app.get("/api/v1/auth/me", Some(&token))
            .await
            .problem(401, "/problems/unauthenticated");
    }
    app.refresh(&second).await.problem(401, "/problems/unauthenticated");
    // The registration's session is another one and goes on.
    assert_eq!(app.get("/api/v1/auth/me", Some(&access(&registered))).await.status, 200);
    assert_eq!(app.refresh(&registered).await.status, 200);

    // Unknown refresh tokens get the same answer; an empty one is a validation error.
    app.refresh(&json!({"refresh_token": "not-a-token"}))
        .await
        .problem(401, "/problems/unauthenticated");
    let empty = app
        .post("/api/v1/auth/refresh", None, &json!({"refresh_token": ""}))
        .await
        .problem(422, "/problems/validation");
    assert_eq!(empty["errors"][0]["field"], "refresh_token");

    assert_eq!(
        app.audit_actions(&admin, "action=auth.refresh_reused").await,
        vec![("auth.refresh_reused".to_owned(), "denied".to_owned())]
    );
}

async fn logout_ends_only_this_session(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    app.staff(Role::Clinician, "dr@clinic.org");
    let laptop = app.sign_in("dr@clinic.org", STAFF_PASSWORD).await;
    let phone = app.sign_in("dr@clinic.org", STAFF_PASSWORD).await;

    let sessions = app.get("/api/v1/auth/sessions", Some(&access(&laptop))).await;
    assert_eq!(sessions.status, 200);
    let list = sessions.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1, "{list:?}");
    let laptop_session = list.iter().find(|s| s["current"] == true).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let res = app
        .post("/api/v1/auth/logout", Some(&access(&laptop)), &json!({}))
        .await;
    assert_eq!(res.status, 204);
    app.get("/api/v1/auth/me", Some(&access(&laptop)))
        .await
        .problem(401, "/problems/unauthenticated");
    app.refresh(&laptop).await.problem(401, "/problems/unauthenticated");
    assert_eq!(app.get("/api/v1/auth/me", Some(&access(&phone))).await.status, 200);
    let left = app.get("/api/v1/auth/sessions", Some(&access(&phone))).await.json();
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["current"], true);
    assert_ne!(left[0]["id"], laptop_session);

    assert_eq!(
        app.audit_actions(&admin, &format!("resource_id={}", &laptop_session))
            .await,
        vec![
            ("auth.logout".to_owned(), "success".to_owned()),
            ("auth.refresh_revoked".to_owned(), "denied".to_owned())
        ]
    );
}

async fn sessions_are_listed_and_ended_one_by_one(backend: Backend) {
    let app = spawn(backend).await;
    app.staff(Role::Clinician, "dr@clinic.org");
    app.staff(Role::Clinician, "other@clinic.org");
    let mine = app.sign_in("dr@clinic.org", STAFF_PASSWORD).await;
    let lost = app.sign_in("dr@clinic.org", STAFF_PASSWORD).await;
    let someone_else = app.sign_in("other@clinic.org", STAFF_PASSWORD).await;

    let own = app.get("/api/v1/auth/sessions", Some(&access(&mine))).await.json();
    let lost_id = own.as_array().unwrap().iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for field in ["created_at", "last_used_at", "expires_at"] {
        assert!(own[0][field].is_string(), "{field}");
    }
    let others = app
        .get("/api/v1/auth/sessions", Some(&access(&someone_else)))
        .await
        .json();
    let others_id = others[0]["id"].as_str().unwrap().to_owned();

    // Another user's session is not found (and not ended).
    app.call(
        actix_web::http::Method::DELETE,
        &format!("/api/v1/auth/sessions/{others_id}"),
        Some(&access(&mine)),
        None,
    )
    .await
    .problem(404, "/problems/not-found");
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&access(&someone_else))).await.status,
        200
    );

    let end = app
        .call(
            actix_web::http::Method::DELETE,
            &format!("/api/v1/auth/sessions/{lost_id}"),
            Some(&access(&mine)),
            None,
        )
        .await;
    assert_eq!(end.status, 204);
    app.get("/api/v1/auth/me", Some(&access(&lost)))
        .await
        .problem(401, "/problems/unauthenticated");
    app.refresh(&lost).await.problem(401, "/problems/unauthenticated");
    assert_eq!(app.get("/api/v1/auth/me", Some(&access(&mine))).await.status, 200);
    // Ended already.
    app.call(
        actix_web::http::Method::DELETE,
        &format!("/api/v1/auth/sessions/{lost_id}"),
        Some(&access(&mine)),
        None,
    )
    .await
    .problem(404, "/problems/not-found");
    app.call(
        actix_web::http::Method::DELETE,
        "/api/v1/auth/sessions/not-a-uuid",
        Some(&access(&mine)),
        None,
    )
    .await
    .problem(400, "/problems/bad-request");
}

async fn admins_sign_a_user_out_everywhere(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    let (dr_id, outside_session) = app.staff(Role::Clinician, "dr@clinic.org");
    let (_, colleague) = app.staff(Role::Clinician, "colleague@clinic.org");
    let a = app.sign_in("dr@clinic.org", STAFF_PASSWORD).await;
    let b = app.sign_in("dr@clinic.org", STAFF_PASSWORD).await;
    let path = format!("/api/v1/users/{dr_id}/sessions");

    for token in [&colleague, &access(&a)] {
        app.call(actix_web::http::Method::DELETE, &path, Some(token), None)
            .await
            .problem(403, "/problems/forbidden");
    }
    app.call(
        actix_web::http::Method::DELETE,
        &format!("/api/v1/users/{}/sessions", uuid::Uuid::now_v7()),
        Some(&admin),
        None,
    )
    .await
    .problem(404, "/problems/not-found");

    let res = app
        .call(actix_web::http::Method::DELETE, &path, Some(&admin), None)
        .await;
    assert_eq!(res.status, 204);
    for token in [outside_session, access(&a), access(&b)] {
        app.get("/api/v1/auth/me", Some(&token))
            .await
            .problem(401, "/problems/unauthenticated");
    }
    for tokens in [&a, &b] {
        app.refresh(tokens).await.problem(401, "/problems/unauthenticated");
    }
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&colleague)).await.status,
        200,
        "only that user"
    );
    let again = app.sign_in("dr@clinic.org", STAFF_PASSWORD).await;
    assert_eq!(app.get("/api/v1/auth/me", Some(&access(&again))).await.status, 200);
    assert_eq!(
        app.audit_actions(&admin, &format!("resource_id={}", &dr_id.to_string()))
            .await,
        [
            "user.create",
            "auth.login",
            "auth.login",
            "user.sessions_revoke",
            "auth.login"
        ]
        .map(|action| (action.to_owned(), "success".to_owned()))
    );
}

async fn password_changes(backend: Backend) {
    let app = spawn(backend).await;
    let registered = app.register("ana@example.org").await;
    let here = app.sign_in("ana@example.org", PATIENT_PASSWORD).await;
    let change = |body: Value| {
        let (app, token) = (&app, access(&here));
        async move { app.post("/api/v1/auth/password", Some(&token), &body).await }
    };
    let new_password = "a brand new passphrase for ana";

    let missing = change(json!({"new_password": new_password}))
        .await
        .problem(422, "/problems/validation");
    assert_eq!(missing["errors"][0]["field"], "current_password");
    assert_eq!(missing["errors"][0]["code"], "required");
    let weak = change(json!({"current_password": PATIENT_PASSWORD, "new_password": "password1234"}))
        .await
        .problem(422, "/problems/validation");
    assert_eq!(weak["errors"][0]["field"], "new_password");
    assert_eq!(weak["errors"][0]["code"], "common_password");
    let wrong = change(json!({"current_password": "not my password", "new_password": new_password}))
        .await
        .problem(422, "/problems/validation");
    assert_eq!(wrong["errors"][0]["field"], "current_password");
    assert_eq!(wrong["errors"][0]["code"], "mismatch");
    // Nothing changed so far.
    assert_eq!(app.get("/api/v1/auth/me", Some(&access(&registered))).await.status, 200);

    let res = change(json!({"current_password": PATIENT_PASSWORD, "new_password": new_password})).await;
    assert_eq!(res.status, 204, "{}", String::from_utf8_lossy(&res.body));
    // Every token issued before is refused; the other session is over; this one renews.
    for token in [access(&registered), access(&here)] {
        app.get("/api/v1/auth/me", Some(&token))
            .await
            .problem(401, "/problems/unauthenticated");
    }
    app.refresh(&registered).await.problem(401, "/problems/unauthenticated");
    let renewed = app.refresh(&here).await;
    assert_eq!(renewed.status, 200);
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&access(&renewed.json()))).await.status,
        200
    );
    app.post(
        "/api/v1/auth/token",
        None,
        &json!({"email": "ana@example.org", "password": PATIENT_PASSWORD}),
    )
    .await
    .problem(401, "/problems/invalid-credentials");
    app.sign_in("ana@example.org", new_password).await;
}

async fn wrong_current_passwords_lock_like_sign_ins(backend: Backend) {
    let app = spawn(backend).await;
    let (_, token) = app.staff(Role::Clinician, "dr@clinic.org");
    let body = json!({"current_password": "a guessed password", "new_password": "a new long passphrase"});
    for _ in 0..5 {
        let res = app.post("/api/v1/auth/password", Some(&token), &body).await;
        res.problem(422, "/problems/validation");
    }
    let locked = app.post("/api/v1/auth/password", Some(&token), &body).await;
    locked.problem(429, "/problems/too-many-requests");
    assert!(locked.header("retry-after").is_some());
    // The account's sign-in is locked too: the same counter.
    app.post(
        "/api/v1/auth/token",
        None,
        &json!({"email": "dr@clinic.org", "password": STAFF_PASSWORD}),
    )
    .await
    .problem(429, "/problems/too-many-requests");
}

/// A disable ends the user's sessions too: re-enabling revives neither the old access tokens
/// nor the old refresh tokens.
async fn disabling_ends_sessions(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    let (dr_id, _) = app.staff(Role::Clinician, "dr@clinic.org");
    let before = app.sign_in("dr@clinic.org", STAFF_PASSWORD).await;
    for disabled in [true, false] {
        let res = app
            .patch(
                &format!("/api/v1/users/{dr_id}"),
                Some(&admin),
                &json!({"disabled": disabled}),
                None,
            )
            .await;
        assert_eq!(res.status, 200);
    }
    app.refresh(&before).await.problem(401, "/problems/unauthenticated");
    app.get("/api/v1/auth/me", Some(&access(&before)))
        .await
        .problem(401, "/problems/unauthenticated");
    let again = app.sign_in("dr@clinic.org", STAFF_PASSWORD).await;
    assert_eq!(app.refresh(&again).await.status, 200);
}

/// Sessions end on their own: 24 hours without a refresh (idle), 14 days after sign-in
/// (absolute). The clock is moved by rewriting the session rows.
async fn idle_and_expired_sessions_end(backend: Backend) {
    use diesel::prelude::*;
    use intake_api::schema::sessions;

    let app = spawn(backend).await;
    app.staff(Role::Clinician, "dr@clinic.org");
    let idle = app.sign_in("dr@clinic.org", STAFF_PASSWORD).await;
    let expired = app.sign_in("dr@clinic.org", STAFF_PASSWORD).await;
    let current = app.sign_in("dr@clinic.org", STAFF_PASSWORD).await;
    let list = app.get("/api/v1/auth/sessions", Some(&access(&current))).await.json();
    let ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 3);
    // Newest first: current, expired, idle.
    let (expired_id, idle_id) = (ids[1].clone(), ids[2].clone());
    let now = chrono::Utc::now().naive_utc();
    let mut conn = app.state.pool.get().unwrap();
    diesel::update(sessions::table.filter(sessions::id.eq(&idle_id)))
        .set(sessions::last_used_at.eq(now - chrono::Duration::hours(25)))
        .execute(&mut *conn)
        .unwrap();
    diesel::update(sessions::table.filter(sessions::id.eq(&expired_id)))
        .set(sessions::expires_at.eq(now - chrono::Duration::seconds(1)))
        .execute(&mut *conn)
        .unwrap();
    app.refresh(&idle).await.problem(401, "/problems/unauthenticated");
    app.refresh(&expired).await.problem(401, "/problems/unauthenticated");
    // An expired session's access tokens end with it; an idle one's live out their 15 minutes.
    app.get("/api/v1/auth/me", Some(&access(&expired)))
        .await
        .problem(401, "/problems/unauthenticated");
    let left = app.get("/api/v1/auth/sessions", Some(&access(&current))).await.json();
    assert_eq!(left.as_array().unwrap().len(), 1, "{left}");
    assert_eq!(left[0]["current"], true);
}

on_both_backends!(
    disabling_ends_sessions,
    idle_and_expired_sessions_end,
    refresh_tokens_rotate_and_a_reused_one_ends_the_session,
    logout_ends_only_this_session,
    sessions_are_listed_and_ended_one_by_one,
    admins_sign_a_user_out_everywhere,
    password_changes,
    wrong_current_passwords_lock_like_sign_ins,
);
