//! Invitations by link, end to end through a real SMTP server: staff invite, the email arrives,
//! its link redeems with the date of birth, the patient submits, and no reminder follows; and
//! the token rules (expiry, revocation, single use, five wrong dates of birth).

use actix_web::http::Method;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{Value, json};

use intake_api::auth::Role;
use intake_api::clock;
use intake_api::db::{Backend, DbConn};
use intake_api::outreach::reminders;
use intake_api::outreach::seal::Sealer;
use intake_api::outreach::worker::{Delivered, Deliverer};
use intake_api::schema::{invitations, outbox};

use crate::courses::later;
use crate::helpers::{fixture, spawn_with, spawn_with_settings};
use crate::on_both_backends;
use crate::sinks::Sink;

const LINK_URL: &str = "https://app.clinic.example.org/invite";

fn mail_settings(sink: &Sink) -> Vec<(&'static str, String)> {
    vec![
        ("SMTP_URL", sink.smtp_url()),
        ("EMAIL_FROM", "intake@clinic.example.org".into()),
        ("CLINIC_NAME", "Sunrise Pain Clinic".into()),
        ("INVITATION_LINK_URL", LINK_URL.into()),
    ]
}

fn token_of(link: &str) -> String {
    link.strip_prefix(&format!("{LINK_URL}#token="))
        .unwrap_or_else(|| panic!("link {link:?}"))
        .to_owned()
}

fn at(s: &str) -> NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().naive_utc()
}

/// Every stored text of the invitation and outbox tables, to look for a token in.
fn stored_text(conn: &mut DbConn) -> String {
    let rows: Vec<(String, String, String)> = invitations::table
        .select((invitations::id, invitations::token_hash, invitations::patient_id))
        .load(conn)
        .unwrap();
    let messages: Vec<(String, String, String, Option<String>)> = outbox::table
        .select((outbox::id, outbox::recipient, outbox::payload, outbox::secret))
        .load(conn)
        .unwrap();
    format!("{rows:?}{messages:?}")
}

fn deliver(app_deliverer: &Deliverer, conn: &mut DbConn, now: NaiveDateTime) -> Delivered {
    app_deliverer.deliver_due(conn, now, &|| false).unwrap()
}

async fn invite_by_email_then_redeem_and_submit(backend: Backend) {
    let smtp = Sink::smtp(0);
    let settings = mail_settings(&smtp);
    let app = spawn_with_settings(backend, &settings).await;
    let (_, staff) = app.staff(Role::Clinician, "front.desk@clinic.example.org");
    let f = fixture("fibromyalgia");

    let res = app
        .post(
            "/api/v1/invitations",
            Some(&staff),
            &json!({"patient": f["profile"], "purpose": "intake", "channel": "email"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let invitation = res.json();
    assert_eq!(invitation["status"], "pending");
    assert_eq!(invitation["channel"], "email");
    let intake_id = invitation["intake_id"].as_str().expect("the draft it opens").to_owned();
    let token = token_of(invitation["link"].as_str().unwrap());
    assert!(token.len() >= 43, "at least 256 bits in base64url");

    let mut conn = app.state.pool.get().unwrap();
    assert!(
        !stored_text(&mut conn).contains(&token),
        "the token is stored nowhere in clear"
    );

    // The worker sends it; the SMTP server receives it.
    let deliverer = Deliverer::new(&app.state.settings).unwrap();
    let sent = deliver(&deliverer, &mut conn, clock::now());
    assert_eq!((sent.sent, sent.failed), (1, 0));
    let mail = smtp.wait_for(1).remove(0);
    assert_eq!(mail["rcpt_tos"], json!(["ana.lopez@example.org"]));
    assert_eq!(mail["from"], "Sunrise Pain Clinic <intake@clinic.example.org>");
    assert_eq!(mail["subject"], "Sunrise Pain Clinic: su formulario de admisión");
    let text = mail["text"].as_str().unwrap();
    let html = mail["html"].as_str().unwrap();
    assert!(text.contains(&format!("{LINK_URL}#token={token}")), "{text}");
    assert!(html.contains("<html lang=\"es\">"));
    let message_id: String = outbox::table.select(outbox::id).first(&mut conn).unwrap();
    assert!(mail["message_id"].as_str().unwrap().contains(&message_id));
    // The address reached the SMTP server, yet the outbox holds it only sealed.
    let stored: String = outbox::table.select(outbox::recipient).first(&mut conn).unwrap();
    assert!(stored.starts_with("enc:v1:") && !stored.contains("lopez"), "{stored}");
    // No name, date of birth or health information in the message.
    let raw = mail["raw"].as_str().unwrap();
    for private in ["Ana", "López", "Lopez", "1984", "fibromyalgia", "Alameda"] {
        assert!(!raw.contains(private), "{private:?} in the message");
    }
    // Sent: the sealed token is cleared from the outbox.
    let secrets: Vec<Option<String>> = outbox::table.select(outbox::secret).load(&mut conn).unwrap();
    assert_eq!(secrets, vec![None]);

    // Redeem: a wrong date of birth, then the right one.
    let redeem = |dob: &str| json!({"token": token, "date_of_birth": dob});
    app.post("/api/v1/invitations/redeem", None, &redeem("1984-09-03"))
        .await
        .problem(401, "/problems/invalid-invitation");
    let res = app
        .post("/api/v1/invitations/redeem", None, &redeem("1984-03-09"))
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let session = res.json();
    assert_eq!(session["intake_id"], intake_id);
    assert_eq!(session["patient_id"], invitation["patient_id"]);
    assert_eq!(session["expires_in"], 3600);
    assert!(session.get("refresh_token").is_none());
    let patient = session["access_token"].as_str().unwrap().to_owned();
    // Used once: a second redeem is refused.
    app.post("/api/v1/invitations/redeem", None, &redeem("1984-03-09"))
        .await
        .problem(401, "/problems/invalid-invitation");

    // The patient fills in and submits the draft the link opened.
    let path = format!("/api/v1/intakes/{intake_id}");
    let res = app.get(&path, Some(&patient)).await;
    assert_eq!(res.status, 200);
    let etag = res.header("etag").unwrap().to_owned();
    let res = app
        .patch(&path, Some(&patient), &json!({"sections": f["sections"]}), Some(&etag))
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let res = app.submit(&intake_id, &patient).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));

    // The reminder for it never goes out, at either step.
    let sealer = Sealer::new(app.state.settings.jwt_secret_bytes());
    let outreach = &app.state.settings.outreach;
    let created: NaiveDateTime = invitations::table
        .select(invitations::created_at)
        .first(&mut conn)
        .unwrap();
    for hours in [25, 73] {
        let now = created + Duration::hours(hours);
        assert_eq!(reminders::scan(&mut conn, outreach, &sealer, now).unwrap(), 0);
        assert_eq!(deliver(&deliverer, &mut conn, now).taken, 0);
    }
    assert_eq!(smtp.received().len(), 1);

    // The patient may now set a first password and sign in with it.
    let res = app
        .post(
            "/api/v1/auth/password",
            Some(&patient),
            &json!({"new_password": "a long new patient passphrase"}),
        )
        .await;
    assert_eq!(res.status, 204, "{}", String::from_utf8_lossy(&res.body));
    let signed_in = app
        .sign_in("ana.lopez@example.org", "a long new patient passphrase")
        .await;
    assert!(signed_in["access_token"].is_string());

    // The patient's access log shows who invited them.
    let log = app
        .get(
            "/api/v1/me/access-log",
            Some(signed_in["access_token"].as_str().unwrap()),
        )
        .await;
    assert_eq!(log.status, 200);
    let log = log.json();
    let invited: Vec<&Value> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "invitation.create")
        .collect();
    assert_eq!(invited.len(), 1);
    assert_eq!(invited[0]["by_role"], "clinician");
    assert_eq!(invited[0]["resource_id"], invitation["id"]);
    // Every redeem attempt is in the trail: the wrong date of birth, the session, the reuse.
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.example.org");
    let trail = app
        .audit_actions(&admin, &format!("resource_id={}", invitation["id"].as_str().unwrap()))
        .await;
    let expected: Vec<(String, String)> = [
        ("invitation.create", "success"),
        ("invitation.redeem", "failure"),
        ("invitation.redeem", "success"),
        ("invitation.redeem", "denied"),
    ]
    .iter()
    .map(|(a, o)| ((*a).to_owned(), (*o).to_owned()))
    .collect();
    assert_eq!(trail, expected);
}

async fn reminders_at_24_and_72_hours_outside_quiet_hours(backend: Backend) {
    let smtp = Sink::smtp(0);
    let mut settings = mail_settings(&smtp);
    settings.push(("CLINIC_TIMEZONE", "America/Chicago".into()));
    settings.push(("QUIET_HOURS", "21-8".into()));
    let app = spawn_with_settings(backend, &settings).await;
    let (_, staff) = app.staff(Role::Clinician, "front.desk@clinic.example.org");
    let mut profile = fixture("neuropathic")["profile"].clone();
    profile["preferred_language"] = json!("en");
    profile["email"] = json!("jordan@example.org");
    let res = app
        .post(
            "/api/v1/invitations",
            Some(&staff),
            &json!({"patient": profile, "purpose": "intake", "channel": "email"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let first_id = res.json()["id"].as_str().unwrap().to_owned();
    let mut conn = app.state.pool.get().unwrap();
    // Sent at 21:30 in Chicago (03:30 UTC): the clock the rules read is the `now` they are given.
    diesel::update(invitations::table)
        .set(invitations::created_at.eq(at("2026-12-01T03:30:00Z")))
        .execute(&mut conn)
        .unwrap();
    let sealer = Sealer::new(app.state.settings.jwt_secret_bytes());
    let outreach = app.state.settings.outreach.clone();
    let mut scan = |now: &str| reminders::scan(&mut conn, &outreach, &sealer, at(now)).unwrap();

    assert_eq!(scan("2026-12-02T03:29:00Z"), 0, "not 24 h yet");
    assert_eq!(scan("2026-12-02T03:30:00Z"), 0, "24 h, but 21:30 in Chicago: quiet");
    assert_eq!(scan("2026-12-02T13:59:00Z"), 0, "07:59 in Chicago: still quiet");
    assert_eq!(scan("2026-12-02T14:00:00Z"), 1, "08:00: the 24 h reminder");
    assert_eq!(scan("2026-12-02T15:00:00Z"), 0, "one per step");
    assert_eq!(scan("2026-12-04T03:30:00Z"), 0, "72 h, in quiet hours");
    assert_eq!(scan("2026-12-04T14:00:00Z"), 1, "the 72 h reminder");
    assert_eq!(scan("2026-12-05T14:00:00Z"), 0);
    assert_eq!(scan("2026-12-20T14:00:00Z"), 0, "no step after 72 h");

    // Each reminder is a fresh link of its own, sent by email in the patient's language.
    let deliverer = Deliverer::new(&app.state.settings).unwrap();
    let delivered = deliver(&deliverer, &mut conn, at("2026-12-04T14:00:01Z"));
    assert_eq!(delivered.sent, 3, "{delivered:?}");
    let mails = smtp.wait_for(3);
    let reminders: Vec<&Value> = mails
        .iter()
        .filter(|m| m["subject"].as_str().unwrap().starts_with("Reminder"))
        .collect();
    assert_eq!(reminders.len(), 2);
    for m in &reminders {
        assert_eq!(m["subject"], "Reminder from Sunrise Pain Clinic: your intake form");
        assert_eq!(m["rcpt_tos"], json!(["jordan@example.org"]));
    }
    let link_of = |m: &Value| {
        let text = m["text"].as_str().unwrap();
        let start = text.find(LINK_URL).unwrap();
        text[start..].split_whitespace().next().unwrap().to_owned()
    };
    let links: Vec<String> = reminders.iter().map(|m| link_of(m)).collect();
    assert_ne!(links[0], links[1]);
    let res = app
        .post(
            "/api/v1/invitations/redeem",
            None,
            &json!({"token": token_of(&links[1]), "date_of_birth": profile["date_of_birth"]}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));

    // The reminders' links belong to the first invitation: listed with it, revoked with it.
    let listed = app.get("/api/v1/invitations", Some(&staff)).await.json();
    let reminder_of: Vec<&Value> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["reminder_of"])
        .collect();
    assert_eq!(reminder_of.iter().filter(|r| r.as_str() == Some(&first_id)).count(), 2);
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/invitations/{first_id}"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(res.status, 204);
    let pending = app.get("/api/v1/invitations?status=pending", Some(&staff)).await.json();
    assert_eq!(pending["items"], json!([]), "the unused reminder link was revoked too");
}

/// Everything logged on this thread (the request log, at every level) while the guard lives.
fn capture_logs() -> (
    std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    tracing::subscriber::DefaultGuard,
) {
    #[derive(Clone)]
    struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    // tracing caches each callsite's interest process-wide, computed on the first thread to hit
    // it: a sibling test's thread with no subscriber would cache "never" and this capture would
    // miss the event. An inert global subscriber (interested in everything, writing nothing)
    // keeps every thread interested; the scoped one below gets the events.
    static INERT: std::sync::Once = std::sync::Once::new();
    INERT.call_once(|| {
        let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry());
    });
    let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let writer = Buffer(logs.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();
    (logs, guard)
}

async fn token_rules(backend: Backend) {
    let (logs, _guard) = capture_logs();
    let owned = spawn_with(backend, &[("INVITATION_LINK_URL", LINK_URL)]).await;
    let app = &owned;
    let (_, staff) = app.staff(Role::Clinician, "front.desk@clinic.example.org");
    let (patient_id, _) = app.patient_with_profile("ana@example.org", "Ana", "López").await;
    let invite = || async {
        let res = app
            .post(
                "/api/v1/invitations",
                Some(&staff),
                &json!({"patient_id": patient_id, "purpose": "intake", "channel": "none"}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
        let body = res.json();
        (
            body["id"].as_str().unwrap().to_owned(),
            token_of(body["link"].as_str().unwrap()),
            body,
        )
    };
    let redeem = |token: String, dob: &str| {
        let body = json!({"token": token, "date_of_birth": dob});
        async move { app.post("/api/v1/invitations/redeem", None, &body).await }
    };
    let refused = |res: crate::helpers::TestResponse| {
        res.problem(401, "/problems/invalid-invitation");
    };

    // Channel none: no message; the link is only in this response, and the open draft is reused.
    let (first, first_token, body) = invite().await;
    let (_, second_token, again) = invite().await;
    let second_token_copy = second_token.clone();
    assert_eq!(
        body["intake_id"], again["intake_id"],
        "the patient's open draft is reused"
    );
    let mut conn = app.state.pool.get().unwrap();
    assert_eq!(outbox::table.count().get_result::<i64>(&mut conn).unwrap(), 0);
    let stored = stored_text(&mut conn);
    assert!(!stored.contains(&first_token) && !stored.contains(&second_token));

    // Five wrong dates of birth revoke it: the right one is refused afterwards.
    for _ in 0..5 {
        refused(redeem(first_token.clone(), "1990-01-01").await);
    }
    refused(redeem(first_token.clone(), "1984-03-09").await);
    let revoked = app.get("/api/v1/invitations?status=revoked", Some(&staff)).await.json();
    assert_eq!(revoked["items"][0]["id"], first);

    // Used twice.
    assert_eq!(redeem(second_token.clone(), "1984-03-09").await.status, 200);
    refused(redeem(second_token, "1984-03-09").await);

    // Revoked by staff: refused at once.
    let (third, third_token, _) = invite().await;
    let third_token_copy = third_token.clone();
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/invitations/{third}"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(res.status, 204);
    refused(redeem(third_token, "1984-03-09").await);

    // Expired (its expiry moved into the past): listed as expired, refused.
    let (fourth, fourth_token, _) = invite().await;
    let fourth_token_copy = fourth_token.clone();
    diesel::update(invitations::table.filter(invitations::id.eq(&fourth)))
        .set(invitations::expires_at.eq(clock::now() - Duration::seconds(1)))
        .execute(&mut conn)
        .unwrap();
    let expired = app.get("/api/v1/invitations?status=expired", Some(&staff)).await.json();
    assert_eq!(expired["items"].as_array().unwrap().len(), 1);
    assert_eq!(expired["items"][0]["id"], fourth);
    refused(redeem(fourth_token, "1984-03-09").await);

    // An unknown token: the same answer.
    refused(redeem("x".repeat(43), "1984-03-09").await);
    // A redeemed one cannot be revoked; a patient cannot invite or list.
    let redeemed = app
        .get("/api/v1/invitations?status=redeemed", Some(&staff))
        .await
        .json();
    let redeemed_id = redeemed["items"][0]["id"].as_str().unwrap();
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/invitations/{redeemed_id}"),
            Some(&staff),
            None,
        )
        .await;
    res.problem(409, "/problems/conflict");
    let (_, patient) = app.patient_with_profile("other@example.org", "Other", "Patient").await;
    app.get("/api/v1/invitations", Some(&patient))
        .await
        .problem(403, "/problems/forbidden");

    // The request log saw every one of these requests and none of the tokens.
    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert_eq!(
        logs.matches("route=\"/api/v1/invitations/redeem\"").count(),
        11,
        "{logs}"
    );
    for token in [&first_token, &second_token_copy, &third_token_copy, &fourth_token_copy] {
        assert!(!logs.contains(token.as_str()), "a token in the logs");
    }
}

async fn invitation_requests_are_checked(backend: Backend) {
    let owned = spawn_with(backend, &[]).await;
    let app = &owned;
    let (_, staff) = app.staff(Role::Clinician, "front.desk@clinic.example.org");
    let staff = staff.as_str();
    let (patient_id, _) = app.patient_with_profile("ana@example.org", "Ana", "López").await;
    let post = |body: Value| async move { app.post("/api/v1/invitations", Some(staff), &body).await };
    let field = |res: crate::helpers::TestResponse| {
        let body = res.problem(422, "/problems/validation");
        body["errors"][0]["field"].as_str().unwrap().to_owned()
    };
    // Email and SMS are not configured on this server: the 422 names the setting.
    let res = post(json!({"patient_id": patient_id, "purpose": "intake", "channel": "email"})).await;
    let body = res.problem(422, "/problems/validation");
    assert_eq!(body["errors"][0]["field"], "channel");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("SMTP_URL"));
    let res = post(json!({"patient_id": patient_id, "purpose": "intake", "channel": "sms"})).await;
    assert!(
        res.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("SMS_WEBHOOK_URL")
    );
    // Exactly one of patient_id and patient; a check-in invitation names its check-in.
    let both = json!({"patient_id": patient_id, "patient": fixture("crps")["profile"], "purpose": "intake", "channel": "none"});
    assert_eq!(field(post(both).await), "patient_id");
    assert_eq!(
        field(post(json!({"purpose": "intake", "channel": "none"})).await),
        "patient_id"
    );
    assert_eq!(
        field(post(json!({"patient_id": patient_id, "purpose": "checkin", "channel": "none"})).await),
        "checkin_id"
    );
    assert_eq!(
        field(post(json!({"patient_id": patient_id, "purpose": "intake", "channel": "fax"})).await),
        "channel"
    );
    let res = post(json!({"patient_id": uuid::Uuid::now_v7(), "purpose": "intake", "channel": "none"})).await;
    res.problem(404, "/problems/not-found");
    // Nothing was written by any of them.
    let mut conn = app.state.pool.get().unwrap();
    assert_eq!(invitations::table.count().get_result::<i64>(&mut conn).unwrap(), 0);
    // A redeem with a malformed body names the field.
    let res = app
        .post(
            "/api/v1/invitations/redeem",
            None,
            &json!({"token": "abc", "date_of_birth": "09/03/1984"}),
        )
        .await;
    assert_eq!(
        res.problem(422, "/problems/validation")["errors"][0]["field"],
        "date_of_birth"
    );
}

/// A check-in still due within 24 h gets one reminder; staff may also invite to a due check-in.
async fn checkin_reminders_and_invitations(backend: Backend) {
    let smtp = Sink::smtp(0);
    let mut settings = mail_settings(&smtp);
    settings.push(("QUIET_HOURS", "0-0".into()));
    let app = spawn_with_settings(backend, &settings).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.example.org");
    let p = app.intake_with("james@example.org", 10, 6, &clinician, true).await;
    let course = app.start_course(&p.intake, &clinician).await.json();
    let session = app
        .post(
            &format!("/api/v1/courses/{}/sessions", course["id"].as_str().unwrap()),
            Some(&clinician),
            &json!({"scheduled_at": later(20)}),
        )
        .await
        .json();
    let checkin = session["checkin_id"].as_str().unwrap().to_owned();

    let mut conn = app.state.pool.get().unwrap();
    let sealer = Sealer::new(app.state.settings.jwt_secret_bytes());
    let outreach = app.state.settings.outreach.clone();
    let now = clock::now();
    assert_eq!(
        reminders::scan(&mut conn, &outreach, &sealer, now - Duration::hours(5)).unwrap(),
        0,
        "due in 25 h: not yet"
    );
    assert_eq!(reminders::scan(&mut conn, &outreach, &sealer, now).unwrap(), 1);
    assert_eq!(
        reminders::scan(&mut conn, &outreach, &sealer, now + Duration::hours(1)).unwrap(),
        0,
        "one per step"
    );
    let deliverer = Deliverer::new(&app.state.settings).unwrap();
    assert_eq!(deliver(&deliverer, &mut conn, clock::now()).sent, 1);
    let mail = smtp.wait_for(1).remove(0);
    assert_eq!(mail["subject"], "Reminder from Sunrise Pain Clinic: your check-in");
    assert_eq!(mail["rcpt_tos"], json!(["james.obrien@example.org"]));
    let text = mail["text"].as_str().unwrap();
    let link = text[text.find(LINK_URL).unwrap()..].split_whitespace().next().unwrap();
    let res = app
        .post(
            "/api/v1/invitations/redeem",
            None,
            &json!({"token": token_of(link), "date_of_birth": "1972-11-02"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.json()["checkin_id"], checkin);
    assert_eq!(res.json()["patient_id"], p.patient_id);

    // Staff invite to the same check-in by link; another patient's check-in is refused.
    let res = app
        .post(
            "/api/v1/invitations",
            Some(&clinician),
            &json!({"patient_id": p.patient_id, "purpose": "checkin", "checkin_id": checkin, "channel": "none"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(
        (res.json()["checkin_id"].as_str(), res.json()["intake_id"].as_str()),
        (Some(checkin.as_str()), None)
    );
    let (other, _) = app.patient_with_profile("other@example.org", "Other", "Patient").await;
    let res = app
        .post(
            "/api/v1/invitations",
            Some(&clinician),
            &json!({"patient_id": other, "purpose": "checkin", "checkin_id": checkin, "channel": "none"}),
        )
        .await;
    assert_eq!(
        res.problem(422, "/problems/validation")["errors"][0]["field"],
        "checkin_id"
    );
}

/// `SMTP_REQUIRE_TLS=true` against a server that offers no STARTTLS: nothing is sent in clear;
/// the attempt fails and is retried later.
async fn required_tls_is_never_skipped(backend: Backend) {
    let smtp = Sink::smtp(0);
    let mut settings = mail_settings(&smtp);
    settings.push(("SMTP_REQUIRE_TLS", "true".into()));
    let app = spawn_with_settings(backend, &settings).await;
    let (_, staff) = app.staff(Role::Clinician, "front.desk@clinic.example.org");
    let res = app
        .post(
            "/api/v1/invitations",
            Some(&staff),
            &json!({"patient": fixture("crps")["profile"], "purpose": "intake", "channel": "email"}),
        )
        .await;
    assert_eq!(res.status, 201);
    let mut conn = app.state.pool.get().unwrap();
    let deliverer = Deliverer::new(&app.state.settings).unwrap();
    let done = deliver(&deliverer, &mut conn, clock::now());
    assert_eq!((done.sent, done.failed), (0, 1));
    let error: Option<String> = outbox::table.select(outbox::last_error).first(&mut conn).unwrap();
    assert!(
        error.as_deref().unwrap_or("").to_lowercase().contains("tls"),
        "{error:?}"
    );
    assert!(smtp.received().is_empty());
}

on_both_backends!(
    checkin_reminders_and_invitations,
    required_tls_is_never_skipped,
    invite_by_email_then_redeem_and_submit,
    reminders_at_24_and_72_hours_outside_quiet_hours,
    token_rules,
    invitation_requests_are_checked,
);
