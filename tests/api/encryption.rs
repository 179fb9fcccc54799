//! Encryption at rest: what patients wrote is never in the database in clear, a sealed value is
//! bound to its place, an old database is sealed at start, keys rotate under load, and a wrong or
//! missing key is refused at start naming `DATA_KEYS`.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::{BigInt, Text};
use diesel_migrations::MigrationHarness;
use intake_api::auth::Role;
use intake_api::db::{self, Backend, DbConn, DbUrl, POSTGRES_MIGRATIONS, PoolOptions, SQLITE_MIGRATIONS};
use intake_api::ids::{IntakeId, PatientId};
use intake_api::vault::{self, KeyRing};
use serde_json::{Value, json};

use crate::helpers::*;

crate::on_both_backends!(
    nothing_patients_wrote_is_stored_in_clear,
    course_records_are_stored_sealed,
    a_value_moved_to_another_row_does_not_open
);

const GIVEN: &str = "Zephyrine";
const FAMILY: &str = "Quillbottom";
const BIRTH: &str = "1973-08-19";
const CONDITION: &str = "marmalade-sky syndrome";
const NOTE: &str = "cobalt lantern follow-up";

/// The fixture's intake, written by a patient with a name no other table could hold.
fn distinctive_fixture() -> (Value, Value) {
    let f = fixture("fibromyalgia");
    let mut profile = f["profile"].clone();
    profile["given_name"] = json!(GIVEN);
    profile["family_name"] = json!(FAMILY);
    profile["date_of_birth"] = json!(BIRTH);
    let mut sections = f["sections"].clone();
    for (k, v) in [("given_name", GIVEN), ("family_name", FAMILY), ("date_of_birth", BIRTH)] {
        sections["demographics"][k] = json!(v);
    }
    sections["medical_history"]["conditions"][0]["name"] = json!(CONDITION);
    if let Some(consent) = sections.get_mut("consent")
        && consent.get("signer_name").is_some()
    {
        consent["signer_name"] = json!(format!("{GIVEN} {FAMILY}"));
    }
    (profile, sections)
}

/// Every form in which a fixture value could sit in a raw database file.
fn needles() -> Vec<String> {
    let mut out = Vec::new();
    for v in [GIVEN, FAMILY, BIRTH, CONDITION, NOTE] {
        out.push(v.to_owned());
        out.push(v.to_lowercase());
    }
    out
}

fn raw_contains(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The database as an attacker with the files (SQLite: every file of the database, WAL
/// included) or a dump (PostgreSQL: `pg_dump`) would read it.
fn raw_database(db: &TestDb) -> Vec<u8> {
    match &db.url {
        DbUrl::Sqlite(path) => {
            let dir = std::path::Path::new(path).parent().unwrap();
            let mut all = Vec::new();
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                all.extend(std::fs::read(&path).unwrap());
            }
            assert!(all.len() > 100_000, "read the database files");
            all
        }
        DbUrl::Postgres(url) => {
            let out = Command::new("pg_dump")
                .arg("--dbname")
                .arg(url)
                .output()
                .expect("pg_dump");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            assert!(out.stdout.len() > 10_000, "dumped the database");
            out.stdout
        }
    }
}

async fn nothing_patients_wrote_is_stored_in_clear(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let (profile, sections) = distinctive_fixture();
    let (_, token) = app.patient_account("someone@example.org").await;
    let res = app.post("/api/v1/patients", Some(&token), &profile).await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let patient_id = res.json()["id"].as_str().unwrap().to_owned();
    let res = app
        .post("/api/v1/intakes", Some(&token), &json!({"sections": sections}))
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let id = res.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(app.submit(&id, &token).await.status, 200);
    let path = format!("/api/v1/intakes/{id}/reviews");
    let res = app
        .post(&path, Some(&clinician), &json!({"action": "start_review"}))
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let res = app
        .post(
            &path,
            Some(&clinician),
            &json!({"action": "request_info", "note": NOTE}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));

    // Read back in clear through the API.
    let got = app.get(&format!("/api/v1/intakes/{id}"), Some(&clinician)).await.json();
    assert_eq!(got["sections"]["demographics"]["given_name"], GIVEN);
    assert_eq!(got["sections"]["medical_history"]["conditions"][0]["name"], CONDITION);
    let got = app
        .get(&format!("/api/v1/patients/{patient_id}"), Some(&clinician))
        .await
        .json();
    assert_eq!(
        (got["family_name"].as_str(), got["date_of_birth"].as_str()),
        (Some(FAMILY), Some(BIRTH))
    );

    // Name search still works, by the start of any name word, through keyed hashes.
    let found = app
        .get("/api/v1/patients?q=zeph%20QUILL", Some(&clinician))
        .await
        .json();
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert_eq!(found["items"][0]["id"], patient_id.as_str());
    let found = app.get("/api/v1/intakes?q=quillb", Some(&clinician)).await.json();
    let items = found["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{found}");
    assert_eq!(items[0]["patient_name"], format!("{FAMILY}, {GIVEN}"), "{found}");
    assert!(
        app.get("/api/v1/patients?q=quillz", Some(&clinician)).await.json()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The database itself holds none of it.
    if let DbConn::Sqlite(c) = &mut *app.state.pool.get().unwrap() {
        // Whatever is in the WAL counts as much as the main file: read both as they are.
        c.batch_execute("SELECT 1").unwrap();
    }
    let raw = raw_database(&app.db);
    for needle in needles() {
        assert!(!raw_contains(&raw, &needle), "{needle:?} is in the raw database");
    }
    // ... and it does hold the sealed values (the test read the right bytes).
    assert!(raw_contains(&raw, "enc:v1:t1:"));
}

/// A course's notes, an infusion's record and a check-in's answers are sealed too.
async fn course_records_are_stored_sealed(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let p = app.intake_with("ana@example.org", 10, 10, &clinician, true).await;
    let res = app.start_course(&p.intake, &clinician).await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let course_id = res.json()["id"].as_str().unwrap().to_owned();
    let res = app
        .post(
            &format!("/api/v1/courses/{course_id}/sessions"),
            Some(&clinician),
            &json!({"scheduled_at": crate::courses::later(24)}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let session = res.json();
    let checkin = session["checkin_id"].as_str().unwrap();
    let res = app
        .post(
            &format!("/api/v1/checkins/{checkin}/submit"),
            Some(&p.token),
            &crate::courses::pre_session_answers(9, 9),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let done = app.run_session(session["id"].as_str().unwrap(), &clinician).await;
    assert_eq!(done["dose"]["lot"], "KX2291");

    let raw = raw_database(&app.db);
    // The course's free-text note and the infusion record's drug lot, as written.
    for needle in ["staff-only planning note", "KX2291"] {
        assert!(!raw_contains(&raw, needle), "{needle:?} is in the raw database");
    }
    // Answers are numbers, so look at the column: every stored answer document is sealed.
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) AS n FROM checkins WHERE answers IS NOT NULL AND substr(answers, 1, 7) = 'enc:v1:'"
        ),
        1
    );
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) AS n FROM checkins WHERE answers IS NOT NULL AND substr(answers, 1, 7) <> 'enc:v1:'"
        ),
        0
    );
}

async fn a_value_moved_to_another_row_does_not_open(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let mut ids = Vec::new();
    for (given, family) in [("Ana", "López"), ("Ben", "Okafor")] {
        let res = app
            .post("/api/v1/patients", Some(&clinician), &profile(given, family))
            .await;
        ids.push(res.json()["id"].as_str().unwrap().to_owned());
    }
    let mut conn = app.state.pool.get().unwrap();
    let (ph1, ph2) = match &*conn {
        DbConn::Pg(_) => ("$1", "$2"),
        DbConn::Sqlite(_) => ("?", "?"),
    };
    // Ana's sealed given name, copied into Ben's row: the ciphertext is intact but bound to Ana.
    let copy =
        format!("UPDATE patients SET given_name = (SELECT given_name FROM patients WHERE id = {ph1}) WHERE id = {ph2}");
    intake_api::on_backend!(&mut *conn, c => sql_query(&copy)
        .bind::<Text, _>(ids[0].clone())
        .bind::<Text, _>(ids[1].clone())
        .execute(c))
    .unwrap();
    drop(conn);
    let res = app.get(&format!("/api/v1/patients/{}", ids[1]), Some(&clinician)).await;
    let problem = res.problem(500, "/problems/internal");
    assert!(!problem.to_string().contains("Ana"), "{problem}");
    // Ana's own row still opens.
    let res = app.get(&format!("/api/v1/patients/{}", ids[0]), Some(&clinician)).await;
    assert_eq!(res.json()["given_name"], "Ana");
}

/// A `DbConn` on `url` with the migrations up to (not including) `before`.
fn migrated_until(url: &DbUrl, before: usize) -> db::DbPool {
    let opts = PoolOptions {
        max_size: 2,
        checkout_timeout: Duration::from_secs(5),
        statement_timeout: Duration::from_secs(30),
    };
    let pool = db::build_pool(url, &opts).unwrap();
    let mut conn = pool.get().unwrap();
    for _ in 0..before {
        match &mut *conn {
            DbConn::Sqlite(c) => {
                c.run_next_migration(SQLITE_MIGRATIONS).unwrap();
            }
            DbConn::Pg(c) => {
                c.run_next_migration(POSTGRES_MIGRATIONS).unwrap();
            }
        }
    }
    drop(conn);
    pool
}

fn test_ring() -> Arc<KeyRing> {
    let ring = Arc::new(KeyRing::parse(TEST_DATA_KEYS).unwrap());
    vault::install(ring.clone()).unwrap();
    ring
}

/// A database as the release before encryption left it (the schema of migrations 1–17, rows in
/// clear, written with the statements that release's repositories ran) is sealed at start:
/// every value, the name index, and nothing left behind in the file.
#[::core::prelude::v1::test]
fn a_database_from_before_encryption_is_sealed_at_start() {
    let ring = test_ring();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let db = TestDb::new(backend);
        let pool = migrated_until(&db.url, 17);
        let mut conn = pool.get().unwrap();
        let sections = fixture("fibromyalgia")["sections"].clone();
        let mut sections = sections;
        sections["demographics"]["given_name"] = json!(GIVEN);
        sections["medical_history"]["conditions"][0]["name"] = json!(CONDITION);
        let (user, patient, intake) = (
            uuid::Uuid::now_v7().to_string(),
            uuid::Uuid::now_v7().to_string(),
            uuid::Uuid::now_v7().to_string(),
        );
        let old_rows = format!(
            "INSERT INTO users (id, email, password_hash, role, display_name, disabled, created_at, updated_at) \
               VALUES ('{user}', 'dr@clinic.org', NULL, 'clinician', 'Dr. Old', FALSE, '2026-11-30 09:00:00', '2026-11-30 09:00:00');
             INSERT INTO patients (id, user_id, given_name, family_name, sort_name, date_of_birth, sex_at_birth,
               gender_identity, preferred_language, email, phone, address, emergency_contact, created_by, version,
               created_at, updated_at)
               VALUES ('{patient}', NULL, '{GIVEN}', '{FAMILY}', 'quillbottom zephyrine', '{BIRTH}', 'female', NULL, 'en',
               'z@example.org', '+1 555 010 0100', NULL, NULL, '{user}', 1, '2026-11-30 09:00:00', '2026-11-30 09:00:00');
             INSERT INTO patient_name_tokens (token, patient_id) VALUES ('zephyrine', '{patient}'), ('quillbottom', '{patient}');
             INSERT INTO intakes (id, patient_id, status, version, created_by, created_on_behalf, created_at, updated_at,
               submission_count, review_note, sections, exam)
               VALUES ('{intake}', '{patient}', 'submitted', 2, '{user}', TRUE, '2026-11-30 09:00:00', '2026-11-30 09:00:00',
               1, '{NOTE}', '{sections}', NULL);
             INSERT INTO intake_submissions (id, intake_id, seq, submitted_at, submitted_by, sections, scores, assessment)
               VALUES ('{sub}', '{intake}', 1, '2026-11-30 09:00:00', '{user}', '{sections}', '{{}}', '{{}}');
             INSERT INTO intake_reviews (id, intake_id, action, from_status, to_status, actor_id, note, assign_to, created_at)
               VALUES ('{review}', '{intake}', 'request_info', 'submitted', 'needs_info', '{user}', '{NOTE}', NULL,
               '2026-11-30 09:00:00');",
            sections = sections.to_string().replace('\'', "''"),
            sub = uuid::Uuid::now_v7(),
            review = uuid::Uuid::now_v7(),
        );
        conn.batch_execute(&old_rows).unwrap();
        drop(conn);

        // Start: the remaining migration, then the start-up pass.
        db::run_migrations(&mut pool.get().unwrap()).unwrap();
        let report = vault::rekey::on_start(&pool, &ring).unwrap().expect("sealed at start");
        // 5 patient values (names, birth date, email, phone), intake sections + note, submission
        // sections + scores + assessment, the review note.
        assert_eq!((report.resealed, report.reindexed), (11, 1), "{report:?}");
        assert!(report.failed.is_empty());
        // A second start finds nothing to do.
        assert_eq!(vault::rekey::on_start(&pool, &ring).unwrap(), None);

        let mut conn = pool.get().unwrap();
        let patient_id: PatientId = patient.parse::<uuid::Uuid>().unwrap().into();
        let row = intake_api::patients::repo::find(&mut conn, patient_id)
            .unwrap()
            .unwrap();
        assert_eq!((row.given_name.as_str(), row.family_name.as_str()), (GIVEN, FAMILY));
        assert_eq!(row.date_of_birth.to_string(), BIRTH);
        assert_eq!(row.email.as_deref(), Some("z@example.org"));
        let intake_id: IntakeId = intake.parse::<uuid::Uuid>().unwrap().into();
        let row = intake_api::intake::repo::find(&mut conn, intake_id).unwrap().unwrap();
        assert_eq!(row.review_note.as_deref(), Some(NOTE));
        assert_eq!(
            serde_json::to_value(row.sections.raw()).unwrap()["medical_history"]["conditions"][0]["name"],
            CONDITION
        );
        let subs = intake_api::intake::repo::submissions(&mut conn, intake_id).unwrap();
        assert_eq!(subs.len(), 1);
        let found = intake_api::patients::repo::search(&mut conn, &["quil".into()], None, 10).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, patient_id);
        drop(conn);

        let raw = raw_database(&db);
        for needle in needles() {
            assert!(!raw_contains(&raw, &needle), "{backend:?}: {needle:?} left in clear");
        }
    }
}

// ---- The binary: rotation under load, and the start-up key check ----

const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const K2: &str = "k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
const K2_IMPOSTOR: &str = "k2:QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=";
const ADMIN: &str = "admin@clinic.org";

fn binary(db: &TestDb, keys: Option<&str>, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_intake-api"));
    cmd.args(args)
        // No `.env` of the checkout: only what is set here.
        .current_dir(std::env::temp_dir())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("APP_ENV", "test")
        .env("JWT_SECRET", TEST_SECRET)
        .env("DATABASE_URL", db.url_string())
        .env("BOOTSTRAP_ADMIN_EMAIL", ADMIN)
        .env("BOOTSTRAP_ADMIN_PASSWORD", STAFF_PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(k) = keys {
        cmd.env("DATA_KEYS", k);
    }
    cmd
}

struct Server {
    child: Child,
    base: String,
    agent: ureq::Agent,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// Starts `serve`; `Err(stderr)` if it exits instead of becoming ready.
fn start_server(db: &TestDb, keys: Option<&str>, extra: &[(&str, &str)]) -> Result<Server, String> {
    // A free port can be taken by a concurrent test between choosing it and the server's bind.
    let mut tries = 0;
    loop {
        match start_server_once(db, keys, extra) {
            Err(e) if e.contains("Address already in use") && tries < 3 => tries += 1,
            other => return other,
        }
    }
}

fn start_server_once(db: &TestDb, keys: Option<&str>, extra: &[(&str, &str)]) -> Result<Server, String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = binary(db, keys, &["serve"]);
    cmd.env("BIND_ADDR", format!("127.0.0.1:{port}"));
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    let mut server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        agent: agent(),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(_status) = server.child.try_wait().unwrap() {
            let mut err = String::new();
            server.child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            return Err(err);
        }
        if let Ok(res) = server.agent.get(format!("{}/ready", server.base)).call()
            && res.status() == 200
        {
            return Ok(server);
        }
        // Waiting for the process to come up, not timing anything.
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server did not become ready");
}

impl Server {
    fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let mut req = ureq::http::Request::builder().method(method).uri(url);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if method == "PATCH" {
            req = req.header("if-match", "*");
        }
        let res = match body {
            Some(b) => self.agent.run(
                req.header("content-type", "application/json")
                    .body(b.to_string())
                    .unwrap(),
            ),
            None => self.agent.run(req.body(()).unwrap()),
        };
        let mut res = res.unwrap();
        let status = res.status().as_u16();
        let text = res.body_mut().read_to_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn admin_token(&self) -> String {
        let (status, body) = self.call(
            "POST",
            "/api/v1/auth/token",
            None,
            Some(&json!({"email": ADMIN, "password": STAFF_PASSWORD})),
        );
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// A patient (profile) with an intake holding the fixture's sections: (patient, intake).
    fn patient_with_intake(&self, token: &str, given: &str) -> (String, String) {
        let (status, body) = self.call(
            "POST",
            "/api/v1/patients",
            Some(token),
            Some(&profile(given, "Rotation")),
        );
        assert_eq!(status, 201, "{body}");
        let patient = body["id"].as_str().unwrap().to_owned();
        let sections = staff_sections();
        let (status, body) = self.call(
            "POST",
            "/api/v1/intakes",
            Some(token),
            Some(&json!({"patient_id": patient, "sections": sections})),
        );
        assert_eq!(status, 201, "{body}");
        (patient, body["id"].as_str().unwrap().to_owned())
    }
}

/// The fixture's sections as staff enter them for a patient (the patient signs consent later).
fn staff_sections() -> Value {
    let mut sections = fixture("neuropathic")["sections"].clone();
    sections.as_object_mut().unwrap().remove("consent");
    sections
}

fn count(db: &TestDb, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let rows: Vec<N> = intake_api::on_backend!(&mut *conn, c => sql_query(sql).load(c)).unwrap();
    rows[0].n
}

/// Values of the sealed columns this test's requests write that are not under `key`.
fn not_under(db: &TestDb, key: &str) -> Vec<(String, i64)> {
    let prefix = format!("enc:v1:{key}:");
    let columns = [
        ("patients", "given_name"),
        ("patients", "family_name"),
        ("patients", "date_of_birth"),
        ("patients", "email"),
        ("patients", "phone"),
        ("patients", "address"),
        ("patients", "emergency_contact"),
        ("intakes", "sections"),
    ];
    let mut out = Vec::new();
    for (table, column) in columns {
        let n = count(
            db,
            &format!(
                "SELECT COUNT(*) AS n FROM {table} WHERE {column} IS NOT NULL AND substr({column}, 1, {}) <> '{prefix}'",
                prefix.len()
            ),
        );
        out.push((format!("{table}.{column}"), n));
    }
    let n = count(
        db,
        &format!("SELECT COUNT(*) AS n FROM patient_name_tokens WHERE substr(token, 1, 3) <> '{key}:'"),
    );
    out.push(("patient_name_tokens".into(), n));
    out.retain(|(_, n)| *n > 0);
    out
}

fn rotation_under_load_loses_nothing(backend: Backend) {
    let db = TestDb::new(backend);
    // Data sealed under k1.
    let server = start_server(&db, Some(K1), &[]).unwrap();
    let token = server.admin_token();
    let mut before = Vec::new();
    for i in 0..40 {
        before.push(server.patient_with_intake(&token, &format!("Before{i}")));
    }
    drop(server);
    assert!(not_under(&db, "k2").len() >= 9, "everything is under k1 to begin with");

    // The new key first, the old one after it: the service opens both while `keys rotate` runs.
    let ring = format!("{K2},{K1}");
    let server = Arc::new(start_server(&db, Some(&ring), &[]).unwrap());
    let token = server.admin_token();
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let (server, token, done) = (server.clone(), token.clone(), done.clone());
        std::thread::spawn(move || {
            let mut acked = Vec::new();
            let mut i = 0;
            while !done.load(Ordering::Relaxed) || i < 5 {
                acked.push((
                    format!("During{i}"),
                    server.patient_with_intake(&token, &format!("During{i}")),
                ));
                i += 1;
            }
            acked
        })
    };
    let reader = {
        let (server, token, done, before) = (server.clone(), token.clone(), done.clone(), before.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            let mut patches = 0;
            // The last phone acknowledged for each profile: a re-seal must not undo it.
            let mut phones = std::collections::HashMap::new();
            while !done.load(Ordering::Relaxed) {
                let (patient, intake) = &before[reads % before.len()];
                let (status, body) = server.call("GET", &format!("/api/v1/patients/{patient}"), Some(&token), None);
                assert_eq!(status, 200, "{body}");
                assert_eq!(body["given_name"], format!("Before{}", reads % before.len()));
                let (status, body) = server.call("GET", &format!("/api/v1/intakes/{intake}"), Some(&token), None);
                assert_eq!(status, 200, "{body}");
                // Change one profile while its row may be being re-sealed.
                let phone = format!("+1 555 010 {:04}", patches % 10_000);
                let (status, body) = server.call(
                    "PATCH",
                    &format!("/api/v1/patients/{patient}"),
                    Some(&token),
                    Some(&json!({"phone": phone})),
                );
                assert_eq!(status, 200, "{body}");
                phones.insert(patient.clone(), phone);
                reads += 1;
                patches += 1;
            }
            (reads, phones)
        })
    };
    let rotated = binary(&db, Some(&ring), &["keys", "rotate", "--batch", "3"])
        .output()
        .unwrap();
    done.store(true, Ordering::Relaxed);
    let during = writer.join().unwrap();
    let (reads, phones) = reader.join().unwrap();
    let stdout = String::from_utf8_lossy(&rotated.stdout);
    assert!(
        rotated.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    // At least every intake written before (the load rewrites profiles, never those intakes).
    assert!(report["resealed"].as_u64().unwrap() >= 40, "{report}");
    assert_eq!(report["keys_forgotten"], 1, "{report}");
    assert!(reads > 0 && !during.is_empty());

    // Everything under k2, nothing lost: every profile and intake reads back as written.
    assert_eq!(not_under(&db, "k2"), Vec::<(String, i64)>::new());
    for (i, (patient, intake)) in before.iter().enumerate() {
        let (status, body) = server.call("GET", &format!("/api/v1/patients/{patient}"), Some(&token), None);
        assert_eq!(
            (status, body["given_name"].as_str()),
            (200, Some(format!("Before{i}").as_str()))
        );
        let (status, body) = server.call("GET", &format!("/api/v1/intakes/{intake}"), Some(&token), None);
        assert_eq!(status, 200);
        // (Doses come back normalised, 1000 as 1000.0: compare what they do not touch.)
        for section in ["demographics", "pain", "screenings"] {
            assert_eq!(body["sections"][section], staff_sections()[section], "{section}");
        }
    }
    for (patient, phone) in &phones {
        let (_, body) = server.call("GET", &format!("/api/v1/patients/{patient}"), Some(&token), None);
        assert_eq!(
            body["phone"].as_str(),
            Some(phone.as_str()),
            "a change made during rotation was lost"
        );
    }
    for (given, (patient, _)) in &during {
        let (status, body) = server.call("GET", &format!("/api/v1/patients/{patient}"), Some(&token), None);
        assert_eq!((status, body["given_name"].as_str()), (200, Some(given.as_str())));
    }
    let (_, found) = server.call("GET", "/api/v1/patients?q=before17&limit=100", Some(&token), None);
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    drop(server);

    // The retired key is no longer needed; without the new one the service refuses to start.
    let server = start_server(&db, Some(K2), &[]).unwrap();
    let token = server.admin_token();
    let (status, _) = server.call("GET", &format!("/api/v1/patients/{}", before[0].0), Some(&token), None);
    assert_eq!(status, 200);
    drop(server);
    let err = start_server(&db, Some(K1), &[]).err().expect("k1 alone is refused");
    assert!(err.contains("DATA_KEYS lacks key \"k2\""), "{err}");
    let err = start_server(&db, Some(K2_IMPOSTOR), &[])
        .err()
        .expect("another k2 is refused");
    assert!(err.contains("DATA_KEYS: key \"k2\" is not the key"), "{err}");
}

#[::core::prelude::v1::test]
fn rotation_under_load_loses_nothing_sqlite() {
    rotation_under_load_loses_nothing(Backend::Sqlite);
}

#[::core::prelude::v1::test]
fn rotation_under_load_loses_nothing_postgres() {
    rotation_under_load_loses_nothing(Backend::Postgres);
}

/// No `DATA_KEYS` is a configuration error naming it, in every environment but development
/// (which generates one into `.env`); a malformed one says what is wrong.
#[::core::prelude::v1::test]
fn a_missing_or_malformed_key_is_refused_at_start() {
    let db = TestDb::new(Backend::Sqlite);
    for app_env in ["test", "production"] {
        let err = start_server(&db, None, &[("APP_ENV", app_env)]).err().expect("refused");
        assert!(err.contains("DATA_KEYS: is required"), "{app_env}: {err}");
    }
    let err = start_server(&db, Some("k1:c2hvcnQ="), &[]).err().expect("refused");
    assert!(err.contains("DATA_KEYS: key \"k1\" must be 32 bytes"), "{err}");
    assert!(!err.contains("c2hvcnQ"), "the key is not echoed: {err}");
}

/// A database whose rows were sealed before any key was recorded (rows written by a tool, a key
/// check lost to a downgrade) still refuses a key that does not open them.
#[actix_web::test]
async fn a_wrong_key_is_refused_before_one_is_recorded() {
    let app = spawn(Backend::Sqlite).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let res = app
        .post("/api/v1/patients", Some(&clinician), &profile("Ana", "López"))
        .await;
    let id = res.json()["id"].as_str().unwrap().to_owned();
    // Clearing a contact detail clears what is stored, not only the answer.
    let res = app
        .patch(
            &format!("/api/v1/patients/{id}"),
            Some(&clinician),
            &json!({"email": null}),
            None,
        )
        .await;
    assert_eq!(
        res.json()["email"],
        Value::Null,
        "{}",
        String::from_utf8_lossy(&res.body)
    );
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) AS n FROM patients WHERE email IS NOT NULL"),
        0
    );
    assert_eq!(count(&app.db, "SELECT COUNT(*) AS n FROM vault_keys"), 0);
    let impostor = TEST_DATA_KEYS.split_once(':').unwrap().0.to_owned() + ":" + K1.split_once(':').unwrap().1;
    let err = start_server(&app.db, Some(&impostor), &[]).err().expect("refused");
    assert!(err.contains("DATA_KEYS does not open this database"), "{err}");
    let server = start_server(&app.db, Some(TEST_DATA_KEYS), &[]).unwrap();
    drop(server);
    assert_eq!(count(&app.db, "SELECT COUNT(*) AS n FROM vault_keys"), 1);
}
