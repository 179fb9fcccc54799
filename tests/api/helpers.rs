//! One place for test fixtures: a fresh database per test on either backend, the app built
//! exactly as `main` builds it, and small request helpers.

use std::collections::HashMap;
use std::path::PathBuf;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::test as at;
use actix_web::web;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::{Value, json};
use uuid::Uuid;

use intake_api::app;
use intake_api::auth::{self, Role};
use intake_api::config::Settings;
use intake_api::db::{self, Backend, DbPool, DbUrl, PoolOptions};
use intake_api::state::AppState;

pub const TEST_SECRET: &str = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
/// The data key every in-process test app seals with (one key ring per process: see `vault`).
pub const TEST_DATA_KEYS: &str = "t1:dGVzdC1kYXRhLWtleS0wMTIzNDU2Nzg5YWJjZGVmMDE=";
pub const STAFF_PASSWORD: &str = "staff passphrase for tests";
pub const PATIENT_PASSWORD: &str = "patient passphrase for tests";

/// A valid profile body.
pub fn profile(given: &str, family: &str) -> Value {
    json!({
        "given_name": given, "family_name": family, "date_of_birth": "1984-03-09", "sex_at_birth": "female",
        "preferred_language": "es", "phone": "+1 555 010 0199", "email": "patient@example.org",
        "address": {"line1": "1200 Alameda St", "city": "Los Angeles", "region": "CA", "postal_code": "90012", "country": "US"},
        "emergency_contact": {"name": "Luis", "relationship": "spouse", "phone": "+1 555 010 0142"}
    })
}

/// The PostgreSQL server tests use (the machine's own by default).
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDb {
    pub url: DbUrl,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    PgDatabase(String),
}

impl TestDb {
    pub fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("intake-test-{}", uuid::Uuid::new_v4()));
                std::fs::create_dir_all(&dir).expect("temp dir");
                let path = dir.join("test.db");
                TestDb {
                    url: DbUrl::Sqlite(path.to_string_lossy().into_owned()),
                    cleanup: Cleanup::Dir(dir),
                }
            }
            Backend::Postgres => {
                let name = format!("intake_test_{}", uuid::Uuid::new_v4().simple());
                let admin = postgres_admin_url();
                let mut conn = PgConnection::establish(&admin).unwrap_or_else(|e| {
                    panic!("PostgreSQL tests need a server at {admin} (set TEST_POSTGRES_URL): {e}")
                });
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                TestDb {
                    url: DbUrl::Postgres(replace_db_name(&admin, &name)),
                    cleanup: Cleanup::PgDatabase(name),
                }
            }
        }
    }

    pub fn url_string(&self) -> String {
        match &self.url {
            DbUrl::Sqlite(p) => format!("sqlite://{p}"),
            DbUrl::Postgres(u) => u.clone(),
        }
    }

    pub fn pool(&self) -> DbPool {
        let opts = PoolOptions {
            max_size: 8,
            checkout_timeout: std::time::Duration::from_secs(5),
            statement_timeout: std::time::Duration::from_secs(10),
        };
        let pool = db::build_pool(&self.url, &opts).expect("pool");
        db::run_migrations(&mut pool.get().expect("connection")).expect("migrations");
        pool
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PgDatabase(name) => {
                if let Ok(mut conn) = PgConnection::establish(&postgres_admin_url()) {
                    let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}

pub fn replace_db_name(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("postgres URL has a scheme");
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, format!("?{q}")),
        None => (rest, String::new()),
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{authority}/{name}{query}")
}

/// Settings for tests: `APP_ENV=test`, a fixed secret, plus any overrides.
pub fn test_settings(db: &TestDb, overrides: &[(&str, &str)]) -> Settings {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("APP_ENV".into(), "test".into()),
        ("JWT_SECRET".into(), TEST_SECRET.into()),
        ("DATA_KEYS".into(), TEST_DATA_KEYS.into()),
        ("DATABASE_URL".into(), db.url_string()),
    ]);
    for (k, v) in overrides {
        vars.insert((*k).into(), (*v).into());
    }
    Settings::from_lookup(&move |k| vars.get(k).cloned()).expect("test settings")
}

/// A response read into memory.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    /// Asserts a problem+json answer with this status and type; returns the body.
    #[track_caller]
    pub fn problem(&self, status: u16, type_: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.content_type(), "application/problem+json");
        let body = self.json();
        assert_eq!(body["type"], type_, "body: {body}");
        assert_eq!(body["status"], status);
        body
    }
}

/// The app under test, in process (no port), with its database.
pub struct TestApp<S> {
    pub svc: S,
    pub state: web::Data<AppState>,
    pub db: TestDb,
}

pub async fn spawn(
    backend: Backend,
) -> TestApp<impl Service<actix_http::Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>>
{
    spawn_with(backend, &[]).await
}

/// [`spawn_with`] for settings whose values are built at run time (a local server's port).
pub async fn spawn_with_settings(
    backend: Backend,
    settings: &[(&str, String)],
) -> TestApp<impl Service<actix_http::Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>>
{
    let overrides: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let db = TestDb::new(backend);
    let settings = test_settings(&db, &overrides);
    start(db, settings).await
}

pub async fn spawn_with(
    backend: Backend,
    overrides: &[(&str, &str)],
) -> TestApp<impl Service<actix_http::Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>>
{
    let db = TestDb::new(backend);
    let settings = test_settings(&db, overrides);
    start(db, settings).await
}

async fn start(
    db: TestDb,
    settings: Settings,
) -> TestApp<impl Service<actix_http::Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>>
{
    let state = web::Data::new(AppState::new(settings, db.pool()).expect("state"));
    let svc = at::init_service(app::build(state.clone())).await;
    TestApp { svc, state, db }
}

impl<S, B> TestApp<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    pub async fn send(&self, req: at::TestRequest) -> TestResponse {
        let res = at::call_service(&self.svc, req.to_request()).await;
        let status = res.status();
        let headers = res.headers().clone();
        let body = at::read_body(res).await.to_vec();
        TestResponse { status, headers, body }
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> TestResponse {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value, if_match: Option<&str>) -> TestResponse {
        let mut req = with_token(at::TestRequest::patch().uri(path), token).set_json(body);
        if let Some(m) = if_match {
            req = req.insert_header((header::IF_MATCH, m));
        }
        self.send(req).await
    }

    /// A staff account created directly (as `intake-api create-user` does) and a token for it.
    pub fn staff(&self, role: Role, email: &str) -> (Uuid, String) {
        let mut conn = self.state.pool.get().expect("connection");
        let id = auth::service::create_staff(&mut conn, email, STAFF_PASSWORD, role, &format!("Dr. {email}"), false)
            .expect("create staff")
            .expect("created");
        (id.into(), self.token(id.into(), role))
    }

    /// A token for the user as the service would issue it now (their current token version).
    pub fn token(&self, user_id: Uuid, role: Role) -> String {
        let mut conn = self.state.pool.get().expect("connection");
        let version = auth::repo::find(&mut conn, user_id.into())
            .expect("user row")
            .map_or(0, |u| u.token_version);
        self.state
            .tokens
            .issue(user_id.into(), role, version, None)
            .expect("token")
            .access_token
    }

    /// Signs in with email and password: the token response (access and refresh token).
    pub async fn sign_in(&self, email: &str, password: &str) -> Value {
        let res = self
            .post(
                "/api/v1/auth/token",
                None,
                &json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
        res.json()
    }

    /// Presents the refresh token of a token response.
    pub async fn refresh(&self, tokens: &Value) -> TestResponse {
        self.post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": tokens["refresh_token"]}),
        )
        .await
    }

    /// The (action, outcome) pairs of the audit events matching `query`, oldest first.
    pub async fn audit_actions(&self, admin: &str, query: &str) -> Vec<(String, String)> {
        let page = self
            .get(&format!("/api/v1/audit?{query}&limit=100"), Some(admin))
            .await
            .json();
        let mut out: Vec<_> = page["items"]
            .as_array()
            .expect("audit page")
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap().to_owned(),
                    e["outcome"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        out.reverse();
        out
    }

    /// A patient account registered through the API: the whole answer (user, tokens).
    pub async fn register(&self, email: &str) -> Value {
        let res = self
            .post(
                "/api/v1/auth/register",
                None,
                &json!({"email": email, "password": PATIENT_PASSWORD}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
        res.json()
    }

    /// A patient account registered through the API: (user id, token).
    pub async fn patient_account(&self, email: &str) -> (Uuid, String) {
        let body = self.register(email).await;
        (
            body["user"]["id"].as_str().unwrap().parse().unwrap(),
            body["access_token"].as_str().unwrap().to_owned(),
        )
    }

    /// Signs the staff member in and turns on TOTP with a code computed by pyotp: (the access
    /// token of that sign-in, the otpauth URI). The current time step's code is spent.
    pub async fn enrol_totp(&self, email: &str) -> (String, String) {
        let token = self.sign_in(email, STAFF_PASSWORD).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let started = self.post("/api/v1/auth/mfa/totp", Some(&token), &json!({})).await;
        assert_eq!(started.status, 201, "{}", String::from_utf8_lossy(&started.body));
        let uri = started.json()["otpauth_uri"].as_str().unwrap().to_owned();
        let res = self
            .post(
                "/api/v1/auth/mfa/totp/confirm",
                Some(&token),
                &json!({"code": pyotp_code(&uri, 0)}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
        (token, uri)
    }

    /// A patient account with its own profile: (patient id, token).
    pub async fn patient_with_profile(&self, email: &str, given: &str, family: &str) -> (Uuid, String) {
        let (_, token) = self.patient_account(email).await;
        let res = self
            .post("/api/v1/patients", Some(&token), &profile(given, family))
            .await;
        assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
        (res.json()["id"].as_str().unwrap().parse().unwrap(), token)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> TestResponse {
        self.send(with_token(at::TestRequest::get().uri(path), token)).await
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> TestResponse {
        let mut req = with_token(at::TestRequest::default().method(method).uri(path), token);
        if let Some(b) = body {
            req = req.set_json(b);
        }
        self.send(req).await
    }
}

pub fn with_token(req: at::TestRequest, token: Option<&str>) -> at::TestRequest {
    match token {
        Some(t) => req.insert_header((header::AUTHORIZATION, format!("Bearer {t}"))),
        None => req,
    }
}

/// Runs the scenario `$name(Backend)` once per backend, as `$name::sqlite` and `$name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                super::$name(intake_api::db::Backend::Sqlite).await
            }
            #[actix_web::test]
            async fn postgres() {
                super::$name(intake_api::db::Backend::Postgres).await
            }
        }
    )+};
}

/// A fixture from `tests/fixtures/` (profile, sections, expected results).
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
}

impl<S, B> TestApp<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    /// A patient (account + profile from the fixture) with a draft holding the fixture's sections:
    /// (patient token, intake id, etag).
    pub async fn fixture_draft(&self, name: &str, email: &str) -> (String, String, String) {
        let f = fixture(name);
        let (_, token) = self.patient_account(email).await;
        let res = self.post("/api/v1/patients", Some(&token), &f["profile"]).await;
        assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
        let res = self
            .post("/api/v1/intakes", Some(&token), &json!({"sections": f["sections"]}))
            .await;
        assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
        let id = res.json()["id"].as_str().unwrap().to_owned();
        (token, id, res.header("etag").unwrap().to_owned())
    }

    /// A patient with a profile and an empty draft: (patient token, the draft's path).
    pub async fn empty_draft(&self, email: &str) -> (String, String) {
        let (_, token) = self.patient_with_profile(email, "Ana", "López").await;
        let res = self.post("/api/v1/intakes", Some(&token), &json!({})).await;
        assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
        let id = res.json()["id"].as_str().unwrap().to_owned();
        (token, format!("/api/v1/intakes/{id}"))
    }

    pub async fn submit(&self, id: &str, token: &str) -> TestResponse {
        self.send(with_token(
            at::TestRequest::post().uri(&format!("/api/v1/intakes/{id}/submit")),
            Some(token),
        ))
        .await
    }
}

/// The code pyotp (an independent RFC 6238 implementation) computes from an `otpauth://` URI,
/// `offset` seconds from now.
pub fn pyotp_code(uri: &str, offset: i64) -> String {
    let script = "import pyotp, sys, time\nprint(pyotp.parse_uri(sys.argv[1]).at(int(time.time()) + int(sys.argv[2])))";
    let out = std::process::Command::new("python3")
        .args(["-c", script, uri, &offset.to_string()])
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "pyotp is needed: python3 -m pip install -r .ci/requirements.txt\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let code = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(code.len(), 6, "{code}");
    code
}

/// Validates a FHIR resource with `tests/fhir/validate_r4.py` (FHIR R4 4.0.1 models).
/// The interpreter is `FHIR_VALIDATOR_PYTHON`, or `.venv-fhir/bin/python` (made by `.ci/run`).
pub fn validate_fhir_r4(doc: &Value) -> Result<String, String> {
    let root = env!("CARGO_MANIFEST_DIR");
    let python = std::env::var("FHIR_VALIDATOR_PYTHON").unwrap_or_else(|_| format!("{root}/.venv-fhir/bin/python"));
    assert!(
        std::path::Path::new(&python).exists() || python == "python3",
        "no FHIR validator at {python}: run `python3 -m venv .venv-fhir && .venv-fhir/bin/pip install -r tests/fhir/requirements.txt`"
    );
    let file = std::env::temp_dir().join(format!("fhir-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
    let out = std::process::Command::new(&python)
        .arg(format!("{root}/tests/fhir/validate_r4.py"))
        .arg(&file)
        .output()
        .expect("run the FHIR validator");
    let _ = std::fs::remove_file(&file);
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}
