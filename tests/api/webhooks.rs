//! Webhooks through the outbox to a real receiver (tests/outreach/sink.py) that verifies every
//! signature with the `standardwebhooks` package: an intake submit delivered once, retries then
//! dead, a rotated secret verifying beside the old one for the overlap, internal addresses refused.

use chrono::Duration;
use diesel::prelude::*;
use serde_json::{Value, json};

use intake_api::auth::Role;
use intake_api::clock;
use intake_api::db::Backend;
use intake_api::outreach::outbox::model::{Channel, OutboxStatus};
use intake_api::outreach::worker::Deliverer;
use intake_api::schema::outbox;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};

use crate::helpers::{TestApp, TestResponse, spawn_with, spawn_with_settings, test_settings};
use crate::on_both_backends;
use crate::sinks::Sink;

struct Receiver {
    sink: Sink,
    secrets: std::path::PathBuf,
}

impl Receiver {
    fn start(fail_first: usize) -> Receiver {
        let secrets = std::env::temp_dir().join(format!("webhook-secrets-{}", uuid::Uuid::new_v4()));
        Receiver {
            sink: Sink::webhook_receiver(&secrets, fail_first),
            secrets,
        }
    }

    fn trust(&self, secrets: &[&str]) {
        std::fs::write(&self.secrets, secrets.join("\n")).unwrap();
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.secrets);
    }
}

impl<S, B> TestApp<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    /// Registers `url` for `events` as `admin`: the whole answer, with its secret.
    async fn register_webhook(&self, admin: &str, url: &str, events: Value) -> Value {
        let res = self
            .post("/api/v1/webhooks", Some(admin), &json!({"url": url, "events": events}))
            .await;
        assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
        res.json()
    }

    /// Queues a `ping` to the endpoint.
    async fn ping(&self, admin: &str, id: &str) -> TestResponse {
        self.post(&format!("/api/v1/webhooks/{id}/test"), Some(admin), &json!({}))
            .await
    }
}

fn settings() -> Vec<(&'static str, String)> {
    vec![
        ("WEBHOOK_ALLOW_PRIVATE", "true".into()),
        ("OUTBOX_RETRY_BASE_SECONDS", "1".into()),
        ("OUTBOX_MAX_ATTEMPTS", "3".into()),
    ]
}

async fn a_submit_is_delivered_once_signed_and_without_patient_data(backend: Backend) {
    let receiver = Receiver::start(0);
    let settings = settings();
    let app = spawn_with_settings(backend, &settings).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.example.org");
    let res = app
        .post(
            "/api/v1/webhooks",
            Some(&admin),
            &json!({"url": receiver.sink.http_url(), "events": ["intake.submitted"], "description": "EHR inbox"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let hook = res.json();
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    receiver.trust(&[&secret]);
    let id = hook["id"].as_str().unwrap().to_owned();
    // The secret is shown once: not in the list or the endpoint afterwards, nor stored in clear.
    let listed = app.get("/api/v1/webhooks", Some(&admin)).await.json();
    assert_eq!(listed["items"][0]["id"], id);
    assert!(listed["items"][0].get("secret").is_none());
    assert!(
        app.get(&format!("/api/v1/webhooks/{id}"), Some(&admin))
            .await
            .json()
            .get("secret")
            .is_none()
    );
    let mut conn = app.state.pool.get().unwrap();
    let stored: String = intake_api::schema::webhook_endpoints::table
        .select(intake_api::schema::webhook_endpoints::secret)
        .first(&mut conn)
        .unwrap();
    assert!(!stored.contains(&secret[6..]));

    // A patient submits: exactly one message, written with the submit.
    let (token, intake_id, _) = app.fixture_draft("fibromyalgia", "ana@example.org").await;
    let res = app.submit(&intake_id, &token).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let messages: Vec<(String, Channel)> = outbox::table
        .select((outbox::id, outbox::channel))
        .load(&mut conn)
        .unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].1, Channel::Webhook);

    let deliverer = Deliverer::new(&app.state.settings).unwrap();
    let done = deliverer.deliver_due(&mut conn, clock::now(), &|| false).unwrap();
    assert_eq!(done.sent, 1, "{done:?}");
    let got = receiver.sink.wait_for(1).remove(0);
    assert_eq!(got["verified"], true, "standardwebhooks verified the signature");
    assert_eq!(got["webhook_id"], messages[0].0);
    assert_eq!(got["body"]["type"], "intake.submitted");
    assert_eq!(got["body"]["data"]["intake_id"], intake_id);
    assert_eq!(got["body"]["data"]["status"], "submitted");
    let body = got["body"].to_string();
    for private in ["Ana", "López", "1984", "fibromyalgia", "phq9", "Alameda", "signer"] {
        assert!(!body.contains(private), "{private:?} in the payload: {body}");
    }
    assert_eq!(
        deliverer.deliver_due(&mut conn, clock::now(), &|| false).unwrap().taken,
        0,
        "sent once"
    );

    // Subscribed to status changes too: a clinician starting the review is one more event.
    let res = app
        .patch(
            &format!("/api/v1/webhooks/{id}"),
            Some(&admin),
            &json!({"events": ["intake.submitted", "intake.status_changed"]}),
            None,
        )
        .await;
    assert_eq!(
        res.json()["events"],
        json!(["intake.status_changed", "intake.submitted"])
    );
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.example.org");
    let version = app
        .get(&format!("/api/v1/intakes/{intake_id}"), Some(&clinician))
        .await
        .json()["version"]
        .clone();
    let res = app
        .send(
            crate::helpers::with_token(
                actix_web::test::TestRequest::post().uri(&format!("/api/v1/intakes/{intake_id}/reviews")),
                Some(&clinician),
            )
            .insert_header(("If-Match", format!("\"{version}\"")))
            .set_json(json!({"action": "start_review"})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(
        deliverer.deliver_due(&mut conn, clock::now(), &|| false).unwrap().sent,
        1
    );
    let changed = receiver.sink.wait_for(2).remove(1);
    assert_eq!(changed["body"]["type"], "intake.status_changed");
    assert_eq!(changed["body"]["data"]["status"], "in_review");
    assert_eq!(changed["body"]["data"]["previous_status"], "submitted");

    // The delivery log, and a test ping.
    let log = app
        .get(&format!("/api/v1/webhooks/{id}/deliveries"), Some(&admin))
        .await
        .json();
    // Newest first.
    let events: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["intake.status_changed", "intake.submitted"]);
    assert_eq!(log["items"][1]["status_code"], 204);
    assert_eq!(log["items"][1]["message_id"], messages[0].0);
    let res = app.ping(&admin, &id).await;
    assert_eq!(res.status, 202);
    deliverer.deliver_due(&mut conn, clock::now(), &|| false).unwrap();
    let ping = receiver.sink.wait_for(3).remove(2);
    assert_eq!(
        (ping["body"]["type"].as_str(), ping["verified"].as_bool()),
        (Some("ping"), Some(true))
    );
    assert_eq!(ping["webhook_id"], res.json()["message_id"]);

    // Paused: nothing goes out; resumed: it does. Deleted: its messages are not sent.
    let res = app
        .patch(
            &format!("/api/v1/webhooks/{id}"),
            Some(&admin),
            &json!({"disabled": true}),
            None,
        )
        .await;
    assert_eq!(res.json()["disabled"], true);
    app.ping(&admin, &id).await;
    assert_eq!(
        deliverer
            .deliver_due(&mut conn, clock::now(), &|| false)
            .unwrap()
            .failed,
        1
    );
    let res = app
        .call(
            actix_web::http::Method::DELETE,
            &format!("/api/v1/webhooks/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(res.status, 204);
    let later = clock::now() + Duration::minutes(5);
    assert_eq!(deliverer.deliver_due(&mut conn, later, &|| false).unwrap().withdrawn, 1);
    assert_eq!(receiver.sink.received().len(), 3);
}

async fn a_failing_receiver_gets_growing_retries_then_dead(backend: Backend) {
    let receiver = Receiver::start(100);
    let settings = settings();
    let app = spawn_with_settings(backend, &settings).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.example.org");
    let hook = app
        .register_webhook(&admin, &receiver.sink.http_url(), json!(["ping"]))
        .await;
    let id = hook["id"].as_str().unwrap();
    app.ping(&admin, id).await;
    let mut conn = app.state.pool.get().unwrap();
    let deliverer = Deliverer::new(&app.state.settings).unwrap();
    let mut now = clock::now();
    let mut waits = Vec::new();
    for _ in 0..2 {
        assert_eq!(deliverer.deliver_due(&mut conn, now, &|| false).unwrap().failed, 1);
        let next: chrono::NaiveDateTime = outbox::table.select(outbox::next_attempt_at).first(&mut conn).unwrap();
        waits.push((next - now).num_milliseconds());
        now = next;
    }
    assert!(
        (500..=1000).contains(&waits[0]) && (1000..=2000).contains(&waits[1]),
        "{waits:?}"
    );
    assert_eq!(deliverer.deliver_due(&mut conn, now, &|| false).unwrap().dead, 1);
    let status: OutboxStatus = outbox::table.select(outbox::status).first(&mut conn).unwrap();
    assert_eq!(status, OutboxStatus::Dead);
    let log = app
        .get(&format!("/api/v1/webhooks/{id}/deliveries"), Some(&admin))
        .await
        .json();
    let codes: Vec<i64> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["status_code"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, vec![503, 503, 503]);
}

async fn a_rotated_secret_verifies_beside_the_old_one_for_a_day(backend: Backend) {
    let receiver = Receiver::start(0);
    let settings = settings();
    let app = spawn_with_settings(backend, &settings).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.example.org");
    let hook = app
        .register_webhook(&admin, &receiver.sink.http_url(), json!(["ping"]))
        .await;
    let id = hook["id"].as_str().unwrap();
    let old = hook["secret"].as_str().unwrap().to_owned();
    let res = app
        .post(
            &format!("/api/v1/webhooks/{id}/rotate-secret"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, 200);
    let new = res.json()["secret"].as_str().unwrap().to_owned();
    assert_ne!(old, new);
    assert!(res.json()["previous_secret_valid_until"].is_string());
    receiver.trust(&[&old, &new]);

    let mut conn = app.state.pool.get().unwrap();
    let deliverer = Deliverer::new(&app.state.settings).unwrap();
    app.ping(&admin, id).await;
    deliverer.deliver_due(&mut conn, clock::now(), &|| false).unwrap();
    // During the overlap both secrets verify; after it, only the new one.
    app.ping(&admin, id).await;
    deliverer
        .deliver_due(&mut conn, clock::now() + Duration::hours(25), &|| false)
        .unwrap();
    let got = receiver.sink.wait_for(2);
    assert_eq!(got[0]["verified_by"], json!([0, 1]));
    assert_eq!(got[1]["verified_by"], json!([1]));
}

async fn internal_addresses_need_the_flag(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.example.org");
    for url in [
        "http://127.0.0.1:9/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://169.254.169.254/x",
        "https://[::1]/x",
    ] {
        let res = app
            .post(
                "/api/v1/webhooks",
                Some(&admin),
                &json!({"url": url, "events": ["ping"]}),
            )
            .await;
        let body = res.problem(422, "/problems/validation");
        assert_eq!(body["errors"][0]["field"], "url", "{url}");
    }
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.example.org");
    app.get("/api/v1/webhooks", Some(&clinician))
        .await
        .problem(403, "/problems/forbidden");

    // An endpoint registered while internal addresses were allowed is checked again when it is
    // delivered to by a server that does not allow them (as a name that now resolves inside
    // would be): refused, nothing sent.
    let receiver = Receiver::start(0);
    let settings = settings();
    let allowed = spawn_with_settings(backend, &settings).await;
    let (_, admin) = allowed.staff(Role::Admin, "admin@clinic.example.org");
    let hook = allowed
        .register_webhook(&admin, &receiver.sink.http_url(), json!(["ping"]))
        .await;
    allowed.ping(&admin, hook["id"].as_str().unwrap()).await;
    let strict = Deliverer::new(&test_settings(&allowed.db, &[])).unwrap();
    let mut conn = allowed.state.pool.get().unwrap();
    assert_eq!(
        strict.deliver_due(&mut conn, clock::now(), &|| false).unwrap().failed,
        1
    );
    let error: Option<String> = outbox::table.select(outbox::last_error).first(&mut conn).unwrap();
    assert!(error.as_deref().unwrap_or("").contains("must be https"), "{error:?}");
    // An https name that now resolves to loopback: refused by the client's own lookup, on the
    // addresses it would connect to (no window between the check and the connection).
    let named = allowed
        .register_webhook(&admin, "https://localhost:9/hook", json!(["ping"]))
        .await;
    let res = allowed.ping(&admin, named["id"].as_str().unwrap()).await;
    let message = res.json()["message_id"].as_str().unwrap().to_owned();
    // (The first message may be due again by now: at least this one failed.)
    assert!(strict.deliver_due(&mut conn, clock::now(), &|| false).unwrap().failed >= 1);
    let error: Option<String> = outbox::table
        .filter(outbox::id.eq(&message))
        .select(outbox::last_error)
        .first(&mut conn)
        .unwrap();
    assert!(
        error
            .as_deref()
            .unwrap_or("")
            .contains("a loopback, private or link-local address"),
        "{error:?}"
    );
    assert!(receiver.sink.received().is_empty());
}

/// The course's events, each written with its change: ids and statuses only.
async fn course_events_carry_ids_and_statuses(backend: Backend) {
    let receiver = Receiver::start(0);
    let settings = settings();
    let app = spawn_with_settings(backend, &settings).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.example.org");
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.example.org");
    let p = app.intake_with("ana@example.org", 10, 8, &clinician, true).await;
    let events = json!([
        "course.created",
        "session.completed",
        "checkin.completed",
        "checkin.urgent_flag",
        "course.outcome_changed"
    ]);
    app.register_webhook(&admin, &receiver.sink.http_url(), events).await;
    let mut conn = app.state.pool.get().unwrap();
    let payloads = |conn: &mut intake_api::db::DbConn| -> Vec<Value> {
        let rows: Vec<String> = outbox::table
            .order(outbox::id.asc())
            .select(outbox::payload)
            .load(conn)
            .unwrap();
        rows.iter().map(|r| serde_json::from_str(r).unwrap()).collect()
    };

    let course = app.start_course(&p.intake, &clinician).await.json();
    let course_id = course["id"].as_str().unwrap().to_owned();
    let sent = payloads(&mut conn);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["type"], "course.created");
    assert_eq!(
        sent[0]["data"],
        json!({"course_id": course_id, "patient_id": p.patient_id, "intake_id": p.intake, "status": "active"})
    );

    let session = app
        .post(
            &format!("/api/v1/courses/{course_id}/sessions"),
            Some(&clinician),
            &json!({"scheduled_at": crate::courses::later(24)}),
        )
        .await
        .json();
    // The pre-session check-in: PHQ-9 10 → 7 (6 + item 9) is a new outcome, a partial
    // response; item 9 answered 1 is urgent.
    let mut answers = crate::courses::pre_session_answers(6, 8);
    answers["screenings"]["phq9"]["9"] = json!(1);
    answers["screenings"]["asq"] = json!({"1": "no", "2": "no", "3": "no", "4": "no"});
    let checkin = session["checkin_id"].as_str().unwrap();
    let res = app
        .post(&format!("/api/v1/checkins/{checkin}/submit"), Some(&p.token), &answers)
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let sent = payloads(&mut conn);
    let of = |kind: &str| -> Value {
        let found: Vec<&Value> = sent.iter().filter(|m| m["type"] == kind).collect();
        assert_eq!(found.len(), 1, "one {kind}");
        found[0]["data"].clone()
    };
    assert_eq!(sent.len(), 4);
    let completed = json!({"checkin_id": checkin, "course_id": course_id, "patient_id": p.patient_id,
        "kind": "pre_session", "status": "completed", "late": false});
    assert_eq!(of("checkin.completed"), completed);
    assert_eq!(of("checkin.urgent_flag"), completed);
    let outcomes = of("course.outcome_changed");
    assert_eq!(
        (outcomes["course_id"].as_str(), outcomes["patient_id"].as_str()),
        (Some(course_id.as_str()), Some(p.patient_id.as_str()))
    );
    let phq9 = outcomes["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["instrument"] == "phq9")
        .unwrap()
        .clone();
    assert_eq!(phq9["previous_classification"], Value::Null);
    assert_eq!(phq9["classification"], "partial_response");

    let session_id = session["id"].as_str().unwrap();
    app.run_session(session_id, &clinician).await;
    let sent = payloads(&mut conn);
    assert_eq!(sent.len(), 5);
    let done = sent.iter().find(|m| m["type"] == "session.completed").unwrap();
    assert_eq!(
        done["data"],
        json!({"session_id": session_id, "course_id": course_id, "patient_id": p.patient_id, "status": "completed"})
    );
    for m in &sent {
        // The data, not the timestamp (whose digits could spell anything).
        let body = m["data"].to_string();
        for private in ["Ana", "staff-only", "72.5", "36.3", "suicid"] {
            assert!(!body.contains(private), "{private:?} in {body}");
        }
    }
}

on_both_backends!(
    course_events_carry_ids_and_statuses,
    a_submit_is_delivered_once_signed_and_without_patient_data,
    a_failing_receiver_gets_growing_retries_then_dead,
    a_rotated_secret_verifies_beside_the_old_one_for_a_day,
    internal_addresses_need_the_flag,
);
