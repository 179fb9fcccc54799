//! Storage: one diesel code path over SQLite (embedded default) and PostgreSQL (production).
//!
//! `DbConn` is a `MultiConnection` enum; the pool picks the backend from the URL scheme so a
//! connection failure reports the real cause. Blocking diesel work runs off the async workers
//! through [`run`]. Write transactions go through [`write_tx`], which on SQLite begins with
//! `BEGIN IMMEDIATE` so two writers never deadlock upgrading a read lock.

use std::time::Duration;

use actix_web::web;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::ApiError;

/// A connection to either backend. Keep `Sqlite` last: diesel's derived `establish` tries the
/// variants in order and SQLite accepts any string as a file name.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub type DbPool = r2d2::Pool<DbManager>;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// `DATABASE_URL`, parsed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    /// A file path (created on first use).
    Sqlite(String),
    /// A libpq connection URL.
    Postgres(String),
}

impl DbUrl {
    /// Accepts `sqlite://path`, `sqlite:path` and `postgres://…` / `postgresql://…`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(raw.to_owned()));
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .ok_or_else(|| "must start with sqlite:// or postgres://".to_owned())?;
        if path.is_empty() {
            return Err("sqlite:// needs a file path, e.g. sqlite://intake.db".into());
        }
        Ok(DbUrl::Sqlite(path.to_owned()))
    }

    pub fn backend(&self) -> Backend {
        match self {
            DbUrl::Sqlite(_) => Backend::Sqlite,
            DbUrl::Postgres(_) => Backend::Postgres,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Opens connections for the pool, with the per-connection settings each backend needs.
#[derive(Debug, Clone)]
pub struct DbManager {
    url: DbUrl,
    /// Upper bound for one statement (PostgreSQL) or for waiting on the write lock (SQLite).
    statement_timeout: Duration,
}

impl DbManager {
    pub fn new(url: DbUrl, statement_timeout: Duration) -> Self {
        Self { url, statement_timeout }
    }
}

impl ManageConnection for DbManager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        let ms = self.statement_timeout.as_millis();
        match &self.url {
            DbUrl::Postgres(url) => {
                let mut c = diesel::PgConnection::establish(url).map_err(r2d2::Error::ConnectionError)?;
                // Sessions are UTC so TIMESTAMP columns hold UTC; a statement never hangs a request.
                c.batch_execute(&format!("SET TIME ZONE 'UTC'; SET statement_timeout = {ms};"))
                    .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Pg(c))
            }
            DbUrl::Sqlite(path) => {
                let mut c = diesel::SqliteConnection::establish(path).map_err(r2d2::Error::ConnectionError)?;
                // synchronous=FULL: a 2xx means the write survives power loss (WAL is set once
                // per file in `build_pool`; setting it here races other connections at start).
                c.batch_execute(&format!(
                    "PRAGMA busy_timeout = {ms}; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
                ))
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(c))
            }
        }
    }

    /// Called on each checkout of a PostgreSQL connection. It reads whatever the socket already
    /// holds without waiting (libpq's `PQconsumeInput`, reached through diesel's notification
    /// poll): a connection the server or the network has closed fails here and is replaced, at
    /// no round trip. A `SELECT 1` here was one round trip per request (bench/NOTES.md, issue 17).
    /// A connection that dies between this check and its query fails that query, which answers
    /// 503 and leaves libpq's status bad, so the next checkout replaces it.
    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        match conn {
            // Twice: a read that brings data (a terminated backend's farewell message) returns
            // before libpq looks for the end of the stream, which the second read then sees.
            DbConn::Pg(c) => (0..2).try_for_each(|_| match c.notifications_iter().next() {
                Some(Err(e)) => Err(r2d2::Error::QueryError(e)),
                _ => Ok(()),
            }),
            DbConn::Sqlite(_) => Ok(()),
        }
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        match conn {
            DbConn::Pg(c) => r2d2::R2D2Connection::is_broken(c),
            DbConn::Sqlite(c) => r2d2::R2D2Connection::is_broken(c),
        }
    }
}

/// Pool sizing and timeouts.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    /// How long a request waits for a connection before it gets a 503.
    pub checkout_timeout: Duration,
    pub statement_timeout: Duration,
}

/// Builds the pool. SQLite: creates the file, switches it to WAL once. Fails when the database
/// cannot be reached within the checkout timeout.
pub fn build_pool(url: &DbUrl, opts: &PoolOptions) -> anyhow::Result<DbPool> {
    let url = match url {
        DbUrl::Postgres(u) => DbUrl::Postgres(with_timeouts(u, opts.checkout_timeout)),
        other => other.clone(),
    };
    if let DbUrl::Sqlite(path) = &url {
        if let Some(parent) = std::path::Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent)?;
        }
        let mut c = diesel::SqliteConnection::establish(path)?;
        c.batch_execute("PRAGMA journal_mode = WAL;")?;
    }
    // A SQLite file connection does not go stale; a PostgreSQL one can (server restart, network),
    // so only those are checked before each use (without a round trip: see `is_valid`).
    let test_on_check_out = url.backend() == Backend::Postgres;
    let manager = DbManager::new(url, opts.statement_timeout);
    let pool = r2d2::Pool::builder()
        .max_size(opts.max_size)
        .test_on_check_out(test_on_check_out)
        .min_idle(Some(1))
        .connection_timeout(opts.checkout_timeout)
        .error_handler(Box::new(PoolErrorLogger))
        .build(manager)?;
    Ok(pool)
}

/// libpq waits for a dead host or a silent network far longer than a request should. Bound the
/// connect (libpq's minimum is 2 s), unacknowledged sends (`tcp_user_timeout`) and a connection
/// that stops answering while we wait for a result (keepalives), unless the URL sets them.
fn with_timeouts(url: &str, timeout: Duration) -> String {
    let secs = timeout.as_secs().max(2);
    let params = [
        ("connect_timeout", secs.to_string()),
        ("tcp_user_timeout", timeout.as_millis().max(1000).to_string()),
        ("keepalives", "1".to_owned()),
        ("keepalives_idle", secs.to_string()),
        ("keepalives_interval", "1".to_owned()),
        ("keepalives_count", "3".to_owned()),
    ];
    let mut out = url.to_owned();
    for (name, value) in params {
        if url.contains(&format!("{name}=")) {
            continue;
        }
        out.push(if out.contains('?') { '&' } else { '?' });
        out.push_str(&format!("{name}={value}"));
    }
    out
}

/// r2d2 logs connection failures itself through `log`; route them through tracing, briefly.
#[derive(Debug)]
struct PoolErrorLogger;

impl r2d2::HandleError<r2d2::Error> for PoolErrorLogger {
    fn handle_error(&self, error: r2d2::Error) {
        tracing::warn!(error = %error, "database connection failed");
    }
}

/// Applies pending migrations for the connection's backend; returns how many ran.
pub fn run_migrations(conn: &mut DbConn) -> anyhow::Result<usize> {
    let applied = match conn {
        DbConn::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
    };
    applied.map_err(|e| anyhow::anyhow!("migration failed: {e}"))
}

impl DbConn {
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Pg(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Evaluates `$body` with `$c` bound to the concrete connection: for the few statements diesel's
/// multi-backend type cannot express (multi-row inserts), and for the busiest reads. Through the
/// `MultiConnection`, diesel renders a statement's whole SQL text on every execution (to collect
/// its binds, and again to ask whether it may be cached), even when the prepared statement is
/// cached already: 11 % of the server's CPU on `GET /intakes/{id}`, and 11–14 % more reads a
/// second once that statement skipped it (bench/NOTES.md, issue 17).
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConn::Pg($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}

static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite (take the write lock up front),
/// a plain `BEGIN` on PostgreSQL. Commits on `Ok`, rolls back on `Err`.
pub fn write_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let _queue = match conn {
        DbConn::Sqlite(c) => {
            // SQLite has one writer. Queue this process's writers on a mutex instead of letting
            // them poll for the file lock in SQLite's busy handler, whose growing sleeps gave
            // writes a p99 of 1.5 s under load (bench/NOTES.md). Another process still meets
            // busy_timeout.
            let queue = SQLITE_WRITER.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
            Some(queue)
        }
        DbConn::Pg(_) => {
            <DbConn as Connection>::TransactionManager::begin_transaction(conn)?;
            None
        }
    };
    match f(conn) {
        Ok(value) => {
            <DbConn as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            // The caller's error is the one worth reporting; a failed rollback marks the
            // connection broken and r2d2 discards it.
            let _ = <DbConn as Connection>::TransactionManager::rollback_transaction(conn);
            Err(e)
        }
    }
}

/// Checks out a connection and runs blocking diesel code on the blocking pool, inside the
/// caller's tracing span. Pool exhaustion or a dead database is a 503.
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    let span = tracing::Span::current();
    web::block(move || {
        let _entered = span.enter();
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await?
}

/// Answers whether the database takes a query within `timeout` (for `/ready`).
pub async fn ping(pool: &DbPool, timeout: Duration) -> Result<(), ApiError> {
    let pool = pool.clone();
    web::block(move || {
        let mut conn = pool.get_timeout(timeout)?;
        conn.batch_execute("SELECT 1").map_err(ApiError::from)
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_database_urls() {
        assert_eq!(
            DbUrl::parse("sqlite://intake.db"),
            Ok(DbUrl::Sqlite("intake.db".into()))
        );
        assert_eq!(
            DbUrl::parse("sqlite:///var/lib/x.db"),
            Ok(DbUrl::Sqlite("/var/lib/x.db".into()))
        );
        assert_eq!(DbUrl::parse("sqlite:data/x.db"), Ok(DbUrl::Sqlite("data/x.db".into())));
        assert_eq!(
            DbUrl::parse("postgres://u@h/db"),
            Ok(DbUrl::Postgres("postgres://u@h/db".into()))
        );
        assert!(DbUrl::parse("mysql://x").is_err());
        assert!(DbUrl::parse("sqlite://").is_err());
        assert!(DbUrl::parse("intake.db").is_err());
    }

    #[test]
    fn bounds_every_wait_on_postgres_once() {
        const REST: &str =
            "tcp_user_timeout=3000&keepalives=1&keepalives_idle=3&keepalives_interval=1&keepalives_count=3";
        let t = Duration::from_secs(3);
        assert_eq!(
            with_timeouts("postgres://h/db", t),
            format!("postgres://h/db?connect_timeout=3&{REST}")
        );
        assert_eq!(
            with_timeouts("postgres://h/db?sslmode=require", t),
            format!("postgres://h/db?sslmode=require&connect_timeout=3&{REST}")
        );
        // What the URL sets wins.
        assert_eq!(
            with_timeouts("postgres://h/db?connect_timeout=9", t),
            format!("postgres://h/db?connect_timeout=9&{REST}")
        );
        assert_eq!(
            with_timeouts("postgres://h/db?keepalives=0", t),
            "postgres://h/db?keepalives=0&connect_timeout=3&tcp_user_timeout=3000&keepalives_idle=3&keepalives_interval=1&keepalives_count=3"
        );
        // libpq's floor for connect_timeout is 2 s.
        assert!(
            with_timeouts("postgres://h/db", Duration::from_millis(500))
                .starts_with("postgres://h/db?connect_timeout=2&")
        );
    }
}
