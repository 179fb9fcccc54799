//! The delivery worker against a real receiver: the SMS gateway endpoint of tests/outreach/
//! sink.py, which checks every request's signature with the `standardwebhooks` package. Retries
//! with growing waits, the dead state and an administrator's retry; two instances delivering 500
//! messages once each; a worker killed mid-batch losing nothing.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{Value, json};

use intake_api::auth::Role;
use intake_api::clock;
use intake_api::config::Settings;
use intake_api::db::{self, Backend, DbConn};
use intake_api::ids::PatientId;
use intake_api::outreach::invitations::model::{InvitationChannel, InvitationPurpose};
use intake_api::outreach::invitations::service::{LinkSpec, issue};
use intake_api::outreach::message::Template;
use intake_api::outreach::outbox::model::OutboxStatus;
use intake_api::outreach::outbox::repo;
use intake_api::outreach::seal::Sealer;
use intake_api::outreach::worker::{self, Deliverer};
use intake_api::patients::repo as patients;
use intake_api::schema::outbox;

use crate::helpers::spawn_with_settings;
use crate::on_both_backends;
use crate::sinks::{SMS_SECRET, Sink};

fn sms_settings(gateway: &Sink) -> Vec<(&'static str, String)> {
    vec![
        ("SMS_WEBHOOK_URL", gateway.http_url()),
        ("SMS_WEBHOOK_SECRET", SMS_SECRET.into()),
        ("CLINIC_NAME", "Sunrise Pain Clinic".into()),
        ("INVITATION_LINK_URL", "https://app.clinic.example.org/invite".into()),
        ("OUTBOX_RETRY_BASE_SECONDS", "1".into()),
        ("OUTBOX_MAX_ATTEMPTS", "4".into()),
    ]
}

/// `n` SMS invitations for one patient, written as the invitations feature writes them.
fn enqueue_sms(
    conn: &mut DbConn,
    settings: &Settings,
    patient: PatientId,
    n: usize,
    now: NaiveDateTime,
) -> Vec<String> {
    let sealer = Sealer::new(settings.jwt_secret_bytes());
    let patient = patients::find(conn, patient).unwrap().unwrap();
    db::write_tx(conn, |conn| {
        for _ in 0..n {
            let spec = LinkSpec::new(InvitationPurpose::Intake, InvitationChannel::Sms, Template::Invitation);
            issue(conn, &settings.outreach, &sealer, &patient, spec, now)?;
        }
        Ok::<_, intake_api::error::ApiError>(())
    })
    .unwrap();
    outbox::table.select(outbox::id).order(outbox::id).load(conn).unwrap()
}

async fn retries_grow_then_dead_then_an_admin_retry(backend: Backend) {
    let gateway = Sink::sms_gateway(4);
    let settings = sms_settings(&gateway);
    let app = spawn_with_settings(backend, &settings).await;
    let (patient, _) = app.patient_with_profile("ana@example.org", "Ana", "López").await;
    let mut conn = app.state.pool.get().unwrap();
    let t0 = clock::now();
    let id = enqueue_sms(&mut conn, &app.state.settings, patient.into(), 1, t0).remove(0);
    let deliverer = Deliverer::new(&app.state.settings).unwrap();
    let pass = |conn: &mut DbConn, now| deliverer.deliver_due(conn, now, &|| false).unwrap();

    // Each failure waits base × 2^(n−1), less up to half of it: 1 s, 2 s, 4 s; the fourth
    // attempt is the last.
    let mut now = t0;
    for (attempt, full_ms) in [(1, 1000), (2, 2000), (3, 4000)] {
        let done = pass(&mut conn, now);
        assert_eq!((done.taken, done.failed), (1, 1), "attempt {attempt}");
        let row = repo::find(&mut conn, &id).unwrap().unwrap();
        assert_eq!((row.status, row.attempts), (OutboxStatus::Failed, attempt));
        assert!(
            row.last_error.as_deref().unwrap().contains("503"),
            "{:?}",
            row.last_error
        );
        let wait = (row.next_attempt_at - now).num_milliseconds();
        assert!(
            (full_ms / 2..=full_ms).contains(&wait),
            "attempt {attempt} waits {wait} ms"
        );
        assert_eq!(
            pass(&mut conn, row.next_attempt_at - Duration::milliseconds(1)).taken,
            0,
            "not due before"
        );
        now = row.next_attempt_at;
    }
    let done = pass(&mut conn, now);
    assert_eq!((done.taken, done.dead), (1, 1));
    assert_eq!(pass(&mut conn, now + Duration::days(1)).taken, 0, "dead is not retried");

    // The administrator sees it dead and sends it again.
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.example.org");
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.example.org");
    app.get("/api/v1/outbox", Some(&clinician))
        .await
        .problem(403, "/problems/forbidden");
    let dead = app.get("/api/v1/outbox?status=dead", Some(&admin)).await.json();
    assert_eq!(dead["items"].as_array().unwrap().len(), 1);
    let item = &dead["items"][0];
    assert_eq!(
        (item["id"].as_str(), item["channel"].as_str(), item["attempts"].as_i64()),
        (Some(id.as_str()), Some("sms"), Some(4))
    );
    assert_eq!(item["next_attempt_at"], Value::Null);
    assert!(item["last_error"].as_str().unwrap().contains("503"));
    assert!(item.get("recipient").is_none() && item.get("payload").is_none());
    let res = app
        .post(&format!("/api/v1/outbox/{id}/retry"), Some(&admin), &json!({}))
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(
        (res.json()["status"].as_str(), res.json()["attempts"].as_i64()),
        (Some("pending"), Some(0))
    );
    app.post(&format!("/api/v1/outbox/{id}/retry"), Some(&admin), &json!({}))
        .await
        .problem(409, "/problems/conflict");
    let done = pass(&mut conn, clock::now());
    assert_eq!(done.sent, 1);
    app.post(
        &format!("/api/v1/outbox/{}/retry", uuid::Uuid::now_v7()),
        Some(&admin),
        &json!({}),
    )
    .await
    .problem(404, "/problems/not-found");

    // The gateway got it once, signed, with the message id to deduplicate by.
    let got = gateway.wait_for(1).remove(0);
    assert_eq!(got["verified"], true, "standardwebhooks verified the signature");
    assert_eq!(got["webhook_id"], id);
    assert_eq!(got["body"]["message_id"], id);
    assert_eq!(got["body"]["to"], "+1 555 010 0199");
    let text = got["body"]["body"].as_str().unwrap();
    assert!(
        text.starts_with("Sunrise Pain Clinic le invita")
            && text.contains("https://app.clinic.example.org/invite#token=")
    );
    assert!(!text.contains("Ana") && !text.contains("López"));
}

/// Two instances (a pool and a worker thread each) on one database deliver 500 messages: every
/// one arrives once.
async fn two_instances_deliver_500_messages_once(backend: Backend) {
    let gateway = Sink::sms_gateway(0);
    let settings = sms_settings(&gateway);
    let app = spawn_with_settings(backend, &settings).await;
    let (patient, _) = app.patient_with_profile("ana@example.org", "Ana", "López").await;
    let mut conn = app.state.pool.get().unwrap();
    let ids = enqueue_sms(&mut conn, &app.state.settings, patient.into(), 500, clock::now());
    assert_eq!(ids.len(), 500);
    let instances: Vec<_> = (0..2)
        .map(|_| {
            let pool = app.db.pool();
            let deliverer = Deliverer::new(&app.state.settings).unwrap();
            std::thread::spawn(move || {
                let mut conn = pool.get().unwrap();
                let mut sent = 0;
                loop {
                    let done = deliverer.deliver_due(&mut conn, clock::now(), &|| false).unwrap();
                    sent += done.sent;
                    if done.taken == 0 {
                        return sent;
                    }
                }
            })
        })
        .collect();
    let sent: Vec<usize> = instances.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(sent.iter().sum::<usize>(), 500, "per instance: {sent:?}");
    let got = gateway.wait_for(500);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for m in &got {
        assert_eq!(m["verified"], true);
        *counts.entry(m["webhook_id"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    assert_eq!(counts.len(), 500, "none lost");
    assert!(counts.values().all(|n| *n == 1), "none twice");
    let statuses: Vec<OutboxStatus> = outbox::table.select(outbox::status).load(&mut conn).unwrap();
    assert!(statuses.iter().all(|s| *s == OutboxStatus::Sent));
}

/// A worker takes a batch, sends three of its messages and dies before recording anything.
/// Nothing is lost: when its lease ends another worker sends the whole batch; the three are
/// sent again under the same id (at least once).
async fn a_worker_killed_mid_batch_loses_nothing(backend: Backend) {
    let gateway = Sink::sms_gateway(0);
    let settings = sms_settings(&gateway);
    let app = spawn_with_settings(backend, &settings).await;
    let (patient, _) = app.patient_with_profile("ana@example.org", "Ana", "López").await;
    let mut conn = app.state.pool.get().unwrap();
    let t0 = clock::now();
    let ids = enqueue_sms(&mut conn, &app.state.settings, patient.into(), 20, t0);
    let deliverer = Deliverer::new(&app.state.settings).unwrap();
    let lease = Duration::from_std(worker::LEASE).unwrap();

    let dying = repo::lease(&mut conn, t0, t0 + lease, worker::BATCH).unwrap();
    assert_eq!(dying.len(), 16);
    for row in &dying[..3] {
        deliverer.send(&mut conn, row, t0).unwrap();
    }
    // The survivor sends what was not leased, and leaves the dead worker's batch alone until
    // its lease ends.
    let pass = |conn: &mut DbConn, now| deliverer.deliver_due(conn, now, &|| false).unwrap();
    assert_eq!(pass(&mut conn, t0).sent, 4);
    assert_eq!(pass(&mut conn, t0 + lease - Duration::seconds(1)).taken, 0);
    assert_eq!(pass(&mut conn, t0 + lease + Duration::seconds(1)).sent, 16);

    let got = gateway.wait_for(23);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for m in &got {
        *counts.entry(m["webhook_id"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    let mut received: Vec<&String> = counts.keys().collect();
    received.sort();
    assert_eq!(received, ids.iter().collect::<Vec<_>>(), "every message arrived");
    let twice: Vec<&String> = counts.iter().filter(|(_, n)| **n == 2).map(|(id, _)| id).collect();
    assert_eq!(twice.len(), 3, "the dead worker's three, again under their ids");
    let mut dying_ids: Vec<&String> = dying[..3].iter().map(|r| &r.id).collect();
    let mut twice = twice;
    dying_ids.sort();
    twice.sort();
    assert_eq!(twice, dying_ids);
}

/// The worker `serve` runs: a background thread that delivers what is written, and stops when
/// asked.
async fn the_background_worker_delivers_and_stops(backend: Backend) {
    let gateway = Sink::sms_gateway(0);
    let mut settings = sms_settings(&gateway);
    settings.push(("OUTBOX_POLL_MS", "20".into()));
    let app = spawn_with_settings(backend, &settings).await;
    let (patient, _) = app.patient_with_profile("ana@example.org", "Ana", "López").await;
    let worker = worker::spawn(app.state.pool.clone(), Deliverer::new(&app.state.settings).unwrap()).unwrap();
    let mut conn = app.state.pool.get().unwrap();
    let ids = enqueue_sms(&mut conn, &app.state.settings, patient.into(), 3, clock::now());
    let got = gateway.wait_for(3);
    let mut delivered: Vec<&str> = got.iter().map(|m| m["webhook_id"].as_str().unwrap()).collect();
    delivered.sort();
    assert_eq!(delivered, ids.iter().map(String::as_str).collect::<Vec<_>>());
    worker.stop();
    // Stopped: what is written now stays pending.
    let later = enqueue_sms(&mut conn, &app.state.settings, patient.into(), 1, clock::now());
    assert_eq!(later.len(), 4);
    let pending: i64 = outbox::table
        .filter(outbox::status.eq(OutboxStatus::Pending))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(pending, 1);
}

on_both_backends!(
    the_background_worker_delivers_and_stops,
    retries_grow_then_dead_then_an_admin_retry,
    two_instances_deliver_500_messages_once,
    a_worker_killed_mid_batch_loses_nothing,
);
