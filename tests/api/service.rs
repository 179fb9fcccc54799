//! Service routes, cross-cutting middleware and the error contract for requests no handler owns.

use actix_web::http::Method;
use actix_web::test as at;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use intake_api::db::Backend;

use crate::helpers::{postgres_admin_url, spawn, spawn_with};
use crate::on_both_backends;

async fn health_and_readiness(backend: Backend) {
    let app = spawn(backend).await;
    let res = app.get("/health", None).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["status"], "ok");

    let res = app.get("/ready", None).await;
    assert_eq!(res.status, 200);
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(res.json()["database"], expected);
}

async fn request_ids_and_security_headers(backend: Backend) {
    let app = spawn(backend).await;
    let res = app.get("/health", None).await;
    let generated = res.header("x-request-id").expect("request id").to_owned();
    assert_eq!(uuid::Uuid::parse_str(&generated).map(|u| u.get_version_num()), Ok(7));
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(res.header("x-frame-options"), Some("DENY"));
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert!(
        res.header("content-security-policy")
            .is_some_and(|v| v.contains("default-src 'none'"))
    );

    let res = app
        .send(
            at::TestRequest::get()
                .uri("/health")
                .insert_header(("x-request-id", "trace-abc-123")),
        )
        .await;
    assert_eq!(res.header("x-request-id"), Some("trace-abc-123"));
    // An id that could inject into logs is replaced, not echoed.
    let res = app
        .send(
            at::TestRequest::get()
                .uri("/health")
                .insert_header(("x-request-id", "a b\tc")),
        )
        .await;
    assert_ne!(res.header("x-request-id"), Some("a b\tc"));

    // Problems name the request id they belong to.
    let res = app
        .send(
            at::TestRequest::get()
                .uri("/nope")
                .insert_header(("x-request-id", "req-42")),
        )
        .await;
    let body = res.problem(404, "/problems/not-found");
    assert_eq!(body["request_id"], "req-42");
    assert_eq!(body["instance"], "/nope");
}

async fn unknown_routes_and_wrong_methods(backend: Backend) {
    let app = spawn(backend).await;
    app.get("/api/v1/nothing-here", None)
        .await
        .problem(404, "/problems/not-found");
    let res = app.call(Method::DELETE, "/health", None, None).await;
    let body = res.problem(405, "/problems/method-not-allowed");
    assert_eq!(res.header("allow"), Some("GET"));
    assert_eq!(body["allowed"], serde_json::json!(["GET"]));
}

async fn docs_are_served_offline(backend: Backend) {
    let app = spawn(backend).await;
    let res = app.get("/docs", None).await;
    assert_eq!(res.status, 307);
    assert_eq!(res.header("location"), Some("/docs/"));

    let res = app.get("/docs/", None).await;
    assert_eq!(res.status, 200);
    assert!(res.content_type().starts_with("text/html"));
    let html = String::from_utf8(res.body.clone()).unwrap();
    // Every asset the page references is served by the binary itself.
    let assets: Vec<String> = html
        .split(['"', '\''])
        .filter(|s| s.starts_with("./") && (s.ends_with(".js") || s.ends_with(".css") || s.ends_with(".png")))
        .map(|s| format!("/docs/{}", &s[2..]))
        .collect();
    assert!(assets.len() >= 3, "assets found: {assets:?}");
    for asset in &assets {
        let res = app.get(asset, None).await;
        assert_eq!(res.status, 200, "{asset}");
        let text = String::from_utf8_lossy(&res.body);
        assert!(
            !text.contains("unpkg.com") && !text.contains("cdn.jsdelivr"),
            "{asset} loads from a CDN"
        );
    }
    let init = app.get("/docs/swagger-initializer.js", None).await;
    let text = String::from_utf8_lossy(&init.body);
    assert!(text.contains("/api-docs/openapi.json"), "{text}");
    assert!(
        !text.contains("https://"),
        "initializer references an external URL: {text}"
    );
}

async fn metrics_count_by_route_template(backend: Backend) {
    let app = spawn(backend).await;
    app.get("/health", None).await;
    app.get("/health", None).await;
    app.get("/no/such/route", None).await;
    let res = app.get("/metrics", None).await;
    assert_eq!(res.status, 200);
    let text = String::from_utf8(res.body).unwrap();
    assert!(
        text.contains(r#"intake_api_http_requests_total{endpoint="/health",method="GET",status="200"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"endpoint="UNMATCHED",method="GET",status="404""#),
        "{text}"
    );
    assert!(text.contains("intake_api_http_requests_duration_seconds_bucket"));
    assert!(
        !text.contains("/no/such/route"),
        "unmatched paths must not become labels"
    );
}

/// CORS allows exactly the configured origins (scheme, host and port); an origin that merely
/// names the request's own Host is not allowed (SECURITY.md; issue 12, point 7). A browser shows
/// a response to a page of another origin only with `Access-Control-Allow-Origin`.
async fn cors_allows_exactly_the_configured_origins(backend: Backend) {
    let overrides = [("CORS_ALLOWED_ORIGINS", "https://app.clinic.example")];
    let app = spawn_with(backend, &overrides).await;
    let from = |origin: &str, method: Method| {
        at::TestRequest::default()
            .method(method)
            .uri("/health")
            .insert_header(("Host", "127.0.0.1:8080"))
            .insert_header(("Origin", origin.to_owned()))
            .insert_header(("Access-Control-Request-Method", "GET"))
    };
    let res = app.send(from("https://app.clinic.example", Method::GET)).await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://app.clinic.example")
    );
    let res = app.send(from("https://app.clinic.example", Method::OPTIONS)).await;
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://app.clinic.example")
    );
    for origin in [
        "ftp://127.0.0.1:8080",
        "http://127.0.0.1:8080",
        "https://127.0.0.1:8080",
        "http://app.clinic.example",
        "https://app.clinic.example:8443",
        "https://evil.example",
    ] {
        for method in [Method::GET, Method::OPTIONS] {
            let res = app.send(from(origin, method.clone())).await;
            assert_eq!(
                res.header("access-control-allow-origin"),
                None,
                "{method} from {origin}"
            );
        }
    }
}

on_both_backends!(
    health_and_readiness,
    request_ids_and_security_headers,
    unknown_routes_and_wrong_methods,
    docs_are_served_offline,
    metrics_count_by_route_template,
    cors_allows_exactly_the_configured_origins,
);

/// Losing the database makes `/ready` a 503 problem quickly, and it recovers by itself.
#[actix_web::test]
async fn readiness_follows_the_database() {
    let app = spawn(Backend::Postgres).await;
    assert_eq!(app.get("/ready", None).await.status, 200);
    let name = app.db.url_string().rsplit('/').next().unwrap().to_owned();
    let mut admin = PgConnection::establish(&postgres_admin_url()).unwrap();
    // Dropping the database cuts every pooled connection and refuses new ones: an outage.
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .unwrap();
    let started = std::time::Instant::now();
    let res = app.get("/ready", None).await;
    res.problem(503, "/problems/unavailable");
    assert_eq!(res.header("retry-after"), Some("1"));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );

    admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    assert_eq!(app.get("/ready", None).await.status, 200);
}

/// A pooled PostgreSQL connection that the server closed is replaced when it is checked out, so
/// no request gets the dead one (the checkout test reads the socket instead of a `SELECT 1`).
#[actix_web::test]
async fn closed_pooled_connections_are_replaced_without_an_error() {
    let app = spawn(Backend::Postgres).await;
    let (_, token) = app.staff(intake_api::auth::domain::Role::Clinician, "dr@clinic.org");
    // Several requests at once so the pool holds several open connections.
    let warm = futures_util::future::join_all((0..6).map(|_| app.get("/api/v1/auth/me", Some(&token)))).await;
    assert!(warm.iter().all(|r| r.status == 200));
    let name = app.db.url_string().rsplit('/').next().unwrap().to_owned();
    let mut admin = PgConnection::establish(&postgres_admin_url()).unwrap();
    let pids: Vec<i32> = diesel::sql_query(format!(
        "SELECT pid FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .load::<PgBackend>(&mut admin)
    .unwrap()
    .into_iter()
    .map(|b| b.pid)
    .collect();
    assert!(pids.len() > 1, "the pool holds {} connections", pids.len());
    let list = pids.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
    admin
        .batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM unnest(ARRAY[{list}]) AS pid"
        ))
        .unwrap();
    // pg_terminate_backend only signals: wait until those backends are gone.
    let alive = format!("SELECT pid FROM pg_stat_activity WHERE pid IN ({list})");
    while !diesel::sql_query(&alive)
        .load::<PgBackend>(&mut admin)
        .unwrap()
        .is_empty()
    {
        std::thread::yield_now();
    }
    for _ in 0..10 {
        let res = app.get("/api/v1/auth/me", Some(&token)).await;
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    }
}

#[derive(diesel::QueryableByName)]
struct PgBackend {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}
