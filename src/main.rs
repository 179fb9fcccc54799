//! `intake-api`: serve (default), migrate, openapi, create-user.

use std::process::ExitCode;

use actix_web::{HttpServer, web};
use clap::{Parser, Subcommand};

use intake_api::app::{self, AppState};
use intake_api::config::{self, Settings};
use intake_api::db::{self, DbUrl, PoolOptions};
use intake_api::telemetry;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `.env` is optional; real environment variables win over it.
    let _ = dotenvy::dotenv();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(),
        Command::Migrate => migrate(),
        Command::Openapi => print_openapi(),
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
        eprintln!("note: generated JWT_SECRET and saved it to .env (APP_ENV=development)");
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
    tracing::info!(applied, backend = ?settings.database_url.backend(), "database ready");

    let bind = settings.bind_addr;
    let shutdown = settings.shutdown_timeout.as_secs();
    let workers = settings.http_workers;
    let state = web::Data::new(AppState::new(settings, pool)?);
    let mut server = HttpServer::new(move || app::build(state.clone())).shutdown_timeout(shutdown);
    if let Some(n) = workers {
        server = server.workers(n);
    }
    let server = server.bind(bind)?;
    tracing::info!(%bind, "listening; docs at /docs/");
    // SIGTERM/SIGINT stop accepting, let in-flight requests finish (up to the timeout), then exit.
    server.run().await?;
    tracing::info!("stopped");
    Ok(())
}

fn migrate() -> anyhow::Result<()> {
    let raw = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://intake.db".into());
    let url = DbUrl::parse(&raw).map_err(|e| anyhow::anyhow!("DATABASE_URL: {e}"))?;
    let opts = PoolOptions {
        max_size: 1,
        checkout_timeout: std::time::Duration::from_secs(10),
        statement_timeout: std::time::Duration::from_secs(600),
    };
    let pool = db::build_pool(&url, &opts)?;
    let applied = db::run_migrations(&mut *pool.get()?)?;
    println!("applied {applied} migration(s)");
    Ok(())
}

fn print_openapi() -> anyhow::Result<()> {
    println!("{}", app::openapi().to_pretty_json()?);
    Ok(())
}
