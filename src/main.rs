//! `intake-api`: serve (default), migrate, openapi, audit verify, keys rotate, create-user.

use std::process::ExitCode;

/// mimalloc: request handling allocates many short-lived JSON buffers across threads, where
/// glibc malloc spent a measured ~12% of CPU (bench/NOTES.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use actix_web::{HttpServer, web};
use clap::{Parser, Subcommand};

use intake_api::auth::{self, Role};
use intake_api::config::{self, Settings};
use intake_api::db::{self, DbUrl, PoolOptions};
use intake_api::error::ApiError;
use intake_api::outreach;
use intake_api::state::AppState;
use intake_api::telemetry;
use intake_api::{app, audit, vault};

/// mimalloc's `mi_option_purge_delay` (its position in `mi_option_e`; the Rust bindings lack it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Gives memory freed after a burst back to the OS instead of keeping it per thread. Measured on
/// SQLite (bench/NOTES.md, target (e)): peak RSS 112 MB → 83 MB with no loss of throughput.
/// Runs first, before any thread exists.
fn return_freed_memory() {
    // SAFETY: both only set allocator options; no allocation is in flight on another thread yet.
    unsafe {
        // mimalloc (v3) keeps freed pages for a second before purging them; under steady load
        // that is forever.
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
        // glibc's malloc serves only SQLite here; one arena instead of one per thread.
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

#[derive(Parser)]
#[command(
    name = "intake-api",
    version,
    about = "Patient-intake API for ketamine-infusion pain clinics"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations and serve the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document to stdout.
    Openapi,
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        action: AuditCommand,
    },
    /// The data keys (`DATA_KEYS`) that seal patient data at rest.
    Keys {
        #[command(subcommand)]
        action: KeysCommand,
    },
    /// Create a staff account. The password is read from stdin, never from the command line.
    CreateUser {
        /// `admin` or `clinician`.
        #[arg(long, value_parser = ["admin", "clinician"])]
        role: String,
        #[arg(long)]
        email: String,
        /// Name shown in the app; defaults to the email.
        #[arg(long)]
        display_name: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain; print what it found as JSON and exit 1 if it is broken.
    Verify,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Re-seal every value under the first key of DATA_KEYS, in batches, while the service runs.
    /// Resumable: run it again after an interruption. Deploy the new DATA_KEYS (new key first,
    /// old keys after it) to every instance before rotating.
    Rotate {
        /// Rows per transaction.
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(i64).range(1..=10_000))]
        batch: i64,
    },
}

fn main() -> ExitCode {
    return_freed_memory();
    let cli = Cli::parse();
    // `.env` is optional; real environment variables win over it.
    let _ = dotenvy::dotenv();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(),
        Command::Migrate => migrate(),
        Command::Openapi => print_openapi(),
        Command::Audit {
            action: AuditCommand::Verify,
        } => verify_audit(),
        Command::Keys {
            action: KeysCommand::Rotate { batch },
        } => rotate_keys(batch),
        Command::CreateUser {
            role,
            email,
            display_name,
        } => create_user(&role, &email, display_name),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_settings() -> anyhow::Result<Settings> {
    let generated = config::ensure_development_secret(std::path::Path::new(".env"))?;
    if !generated.is_empty() {
        let mut names: Vec<&str> = generated.keys().map(String::as_str).collect();
        names.sort_unstable();
        eprintln!(
            "note: generated {} and saved to .env (APP_ENV=development)",
            names.join(" and ")
        );
    }
    let settings = Settings::from_lookup(&|k| generated.get(k).cloned().or_else(|| std::env::var(k).ok()))?;
    Ok(settings)
}

fn pool_options(settings: &Settings) -> PoolOptions {
    PoolOptions {
        max_size: settings.db_pool_size,
        checkout_timeout: settings.db_timeout,
        statement_timeout: settings.db_timeout,
    }
}

#[actix_web::main]
async fn serve() -> anyhow::Result<()> {
    let settings = load_settings()?;
    telemetry::init(&settings.rust_log, settings.log_format);
    let pool = db::build_pool(&settings.database_url, &pool_options(&settings))?;
    let applied = db::run_migrations(&mut *pool.get()?)?;
    let linked = audit::service::link_unchained(&mut *pool.get()?).map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
    let sealed = open_vault(&settings, &pool)?;
    tracing::info!(applied, linked, sealed, backend = ?settings.database_url.backend(), "database ready");
    bootstrap_admin(&settings, &pool)?;

    let bind = settings.bind_addr;
    let shutdown = settings.shutdown_timeout.as_secs();
    let workers = settings.http_workers;
    let pool_size = settings.db_pool_size;
    let deliverer = outreach::worker::Deliverer::new(&settings)?;
    let state = web::Data::new(AppState::new(settings, pool)?);
    // The outbox's delivery worker: stops after the server (in-flight requests may still write
    // messages), finishing the message in hand.
    let worker = outreach::worker::spawn(state.pool.clone(), deliverer)?;
    // Blocking work is bounded by the pool anyway; more blocking threads than connections
    // only add memory (each has its own allocator cache).
    let blocking = (pool_size as usize + 4).max(8);
    let mut server = HttpServer::new(move || app::build(state.clone()))
        .shutdown_timeout(shutdown)
        .worker_max_blocking_threads(blocking);
    if let Some(n) = workers {
        server = server.workers(n);
    }
    let server = server.bind(bind)?;
    tracing::info!(%bind, "listening; docs at /docs/");
    // SIGTERM/SIGINT stop accepting, let in-flight requests finish (up to the timeout), then exit.
    let served = server.run().await;
    worker.stop();
    served?;
    tracing::info!("stopped");
    Ok(())
}

/// Installs `DATA_KEYS`, refuses keys that do not open this database, and seals what an older
/// version stored in clear. Returns how many values it sealed.
fn open_vault(settings: &Settings, pool: &db::DbPool) -> anyhow::Result<u64> {
    vault::install(settings.data_keys.clone()).map_err(anyhow::Error::msg)?;
    let report = vault::rekey::on_start(pool, &settings.data_keys)?;
    Ok(report.map_or(0, |r| r.resealed))
}

/// `keys rotate`: every sealed value and name index row under the first key, then the retired
/// keys forgotten (the service may start without them). Prints a JSON report.
fn rotate_keys(batch: i64) -> anyhow::Result<()> {
    let settings = load_settings()?;
    let mut opts = pool_options(&settings);
    opts.max_size = 2;
    let pool = db::build_pool(&settings.database_url, &opts)?;
    db::run_migrations(&mut *pool.get()?)?;
    open_vault(&settings, &pool)?;
    let ring = &settings.data_keys;
    let started = std::time::Instant::now();
    let report = vault::rekey::run(&pool, ring, vault::rekey::Pass::Rotate, batch, &mut |place, r| {
        eprintln!("{place}: {} re-sealed, {} re-indexed", r.resealed, r.reindexed);
    })?;
    let (retired, remaining) = if report.failed.is_empty() {
        match vault::rekey::forget_retired(&mut *pool.get()?, ring)? {
            Ok(n) => (n, Vec::new()),
            Err(left) => (0, left),
        }
    } else {
        (
            0,
            vault::rekey::remaining(&mut *pool.get()?, ring, vault::rekey::Pass::Rotate)?,
        )
    };
    let out = serde_json::json!({
        "key": ring.current().id(),
        "resealed": report.resealed,
        "reindexed": report.reindexed,
        "changed_meanwhile": report.raced,
        "failed": report.failed,
        "remaining": remaining.iter().map(|(p, n)| serde_json::json!({"column": p, "values": n})).collect::<Vec<_>>(),
        "keys_forgotten": retired,
        "seconds": started.elapsed().as_secs_f64(),
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    if !report.failed.is_empty() {
        anyhow::bail!("{} value(s) did not open; see \"failed\"", report.failed.len());
    }
    if !remaining.is_empty() {
        anyhow::bail!("values written meanwhile under another key remain; run `keys rotate` again");
    }
    Ok(())
}

/// The admin from `BOOTSTRAP_ADMIN_EMAIL`/`_PASSWORD`, created only when no enabled admin exists.
fn bootstrap_admin(settings: &Settings, pool: &db::DbPool) -> anyhow::Result<()> {
    let Some(admin) = &settings.bootstrap_admin else {
        return Ok(());
    };
    let password = secrecy::ExposeSecret::expose_secret(&admin.password);
    let created = auth::service::create_staff(
        &mut *pool.get()?,
        &admin.email,
        password,
        Role::Admin,
        &admin.email,
        true,
    )
    .map_err(|e| anyhow::anyhow!("BOOTSTRAP_ADMIN_PASSWORD / BOOTSTRAP_ADMIN_EMAIL: {}", describe(&e)))?;
    match created {
        Some(id) => tracing::info!(user.id = %id, "bootstrap administrator created"),
        None => tracing::info!("an administrator exists; BOOTSTRAP_ADMIN_* ignored"),
    }
    Ok(())
}

fn describe(e: &ApiError) -> String {
    let p = e.problem();
    let mut out = p.detail.unwrap_or(p.title);
    for issue in p.errors {
        out.push_str(&format!("; {}: {}", issue.field, issue.message));
    }
    out
}

/// A migrated pool for one-off commands, from `DATABASE_URL` alone (no other setting is needed);
/// also returns how many migrations ran.
fn command_pool() -> anyhow::Result<(db::DbPool, usize)> {
    let raw = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://intake.db".into());
    let url = DbUrl::parse(&raw).map_err(|e| anyhow::anyhow!("DATABASE_URL: {e}"))?;
    let opts = PoolOptions {
        max_size: 1,
        checkout_timeout: std::time::Duration::from_secs(10),
        statement_timeout: std::time::Duration::from_secs(600),
    };
    let pool = db::build_pool(&url, &opts)?;
    let applied = db::run_migrations(&mut *pool.get()?)?;
    audit::service::link_unchained(&mut *pool.get()?).map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
    Ok((pool, applied))
}

fn migrate() -> anyhow::Result<()> {
    let (_, applied) = command_pool()?;
    println!("applied {applied} migration(s)");
    Ok(())
}

fn create_user(role: &str, email: &str, display_name: Option<String>) -> anyhow::Result<()> {
    let role = Role::parse(role).ok_or_else(|| anyhow::anyhow!("--role must be admin or clinician"))?;
    let password = if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        rpassword::prompt_password("Password (at least 12 characters): ")?
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    let (pool, _) = command_pool()?;
    let name = display_name.unwrap_or_else(|| email.trim().to_owned());
    let id = auth::service::create_staff(&mut *pool.get()?, email, &password, role, &name, false)
        .map_err(|e| anyhow::anyhow!("{}", describe(&e)))?
        .ok_or_else(|| anyhow::anyhow!("user not created"))?;
    println!("created {} {id}", role.as_str());
    Ok(())
}

fn verify_audit() -> anyhow::Result<()> {
    let (pool, _) = command_pool()?;
    let report = audit::service::verify_chain(&mut *pool.get()?).map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    if report.intact {
        Ok(())
    } else {
        Err(anyhow::anyhow!("the audit chain is broken"))
    }
}

fn print_openapi() -> anyhow::Result<()> {
    println!("{}", app::openapi().to_pretty_json()?);
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn purge_delay_is_the_option_we_set() {
        // purge_delay defaults to 1000 (ms) in mimalloc v3 (src/options.c); its neighbours in
        // the option table default to 1 and 0.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            let value = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
            assert_eq!(value, 1000);
        }
    }
}
