//! Typed settings, read once at start from the environment (and `.env`).
//!
//! Every variable is parsed and validated here; a bad value stops the start with a message that
//! names the variable. Settings are passed down explicitly (no global), so tests build their own.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};

use crate::db::DbUrl;
use crate::screening::instruments::InstrumentCode;
use crate::screening::model::Cutoffs;
use crate::screening::outcomes::OutcomeCutoffs;
use crate::screening::policy::{self, ScreeningConfig};
use crate::vault::KeyRing;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Test,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Tokens from the clinic's identity provider, verified with its public key.
#[derive(Clone)]
pub struct ExternalIdp {
    /// PEM public key (RSA, EC P-256 or Ed25519); the algorithm follows from the key.
    pub public_key_pem: String,
    pub issuer: String,
    pub audience: String,
    /// Name of the claim that carries the role (`patient`, `clinician` or `admin`).
    pub role_claim: String,
}

#[derive(Clone)]
pub struct JwtSettings {
    pub secret: SecretString,
    pub issuer: String,
    pub audience: String,
    /// Access tokens (`JWT_TTL_SECONDS`, default 15 minutes).
    pub ttl: Duration,
    /// A sign-in session's refresh tokens (`REFRESH_TTL_DAYS`, default 14); an idle session
    /// (no refresh for `REFRESH_IDLE_HOURS`, default 24) ends sooner.
    pub refresh_ttl: Duration,
    pub refresh_idle: Duration,
    pub external: Option<ExternalIdp>,
}

#[derive(Clone)]
pub struct BootstrapAdmin {
    pub email: String,
    pub password: SecretString,
}

/// Everything the service needs to run.
#[derive(Clone)]
pub struct Settings {
    pub app_env: AppEnv,
    pub database_url: DbUrl,
    pub bind_addr: SocketAddr,
    pub jwt: JwtSettings,
    pub allow_patient_signup: bool,
    /// Clinicians and administrators must turn on a second factor before they reach any data
    /// (`REQUIRE_STAFF_MFA`; on by default in production).
    pub require_staff_mfa: bool,
    /// The name authenticator apps show next to the account (`MFA_ISSUER`).
    pub mfa_issuer: String,
    pub cors_allowed_origins: Vec<String>,
    pub bootstrap_admin: Option<BootstrapAdmin>,
    pub db_pool_size: u32,
    /// Bound on waiting for a connection, connecting, and each statement.
    pub db_timeout: Duration,
    pub max_body_bytes: usize,
    /// The instruments offered (`INSTRUMENTS_ENABLED`; `dn4` and `cssrs_screen` are restricted
    /// until the clinic holds a licence), the scoring cut-offs and the blood-pressure threshold
    /// (recorded on every result).
    pub screening: Arc<ScreeningConfig>,
    /// Treatment courses: the dose ceiling, the check-in plan and the outcome cut-offs.
    pub courses: Arc<CourseSettings>,
    pub rust_log: String,
    pub log_format: LogFormat,
    pub shutdown_timeout: Duration,
    pub http_workers: Option<usize>,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    pub outreach: Arc<OutreachSettings>,
    /// `DATA_KEYS`: the keys that seal patient data at rest (the first seals, all open).
    pub data_keys: Arc<KeyRing>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets are never printed; the rest is useful at start-up.
        f.debug_struct("Settings")
            .field("app_env", &self.app_env)
            .field("database", &self.database_url.backend())
            .field("bind_addr", &self.bind_addr)
            .field("db_pool_size", &self.db_pool_size)
            .field("instruments_enabled", &self.screening.enabled)
            .finish_non_exhaustive()
    }
}

/// What the courses feature reads from the environment (FOLLOW-UP.md, CLINICAL.md "Outcomes").
#[derive(Debug, Clone, PartialEq)]
pub struct CourseSettings {
    /// `KETAMINE_MAX_MG_PER_KG` (default 1.0): a dose above it needs an override reason.
    pub ketamine_max_mg_per_kg: f64,
    /// `CHECKIN_FOLLOW_UP_DAYS` (default 7,30,90): follow-up check-ins after a course ends.
    pub follow_up_days: Vec<u16>,
    /// `CHECKIN_PRE_SESSION_HOURS` (default 72): a pre-session check-in opens this long before.
    pub pre_session_hours: u16,
    /// `CHECKIN_FOLLOW_UP_WINDOW_DAYS` (default 7): how long a follow-up stays due.
    pub follow_up_window_days: u16,
    /// `OUTCOME_*` cut-offs, stored with every outcome.
    pub outcome_cutoffs: OutcomeCutoffs,
}

impl Default for CourseSettings {
    fn default() -> Self {
        Self {
            ketamine_max_mg_per_kg: 1.0,
            follow_up_days: vec![7, 30, 90],
            pre_session_hours: 72,
            follow_up_window_days: 7,
            outcome_cutoffs: OutcomeCutoffs::default(),
        }
    }
}

/// Invitations, reminders and the outbox (INTEGRATIONS.md).
#[derive(Clone)]
pub struct OutreachSettings {
    /// `CLINIC_NAME`: who the messages are from.
    pub clinic_name: String,
    /// `INVITATION_LINK_URL`: the patient app's page that takes an invitation; the token goes
    /// in the fragment (`#token=…`), which browsers never send to a server.
    pub invitation_link_url: String,
    /// `INVITATION_TTL_HOURS` (default 168).
    pub invitation_ttl: Duration,
    /// `INVITATION_SESSION_MINUTES` (default 60): the session a redeemed link opens.
    pub invitation_session: Duration,
    /// `REMINDER_AFTER_HOURS` (default 24,72), ascending.
    pub reminder_after_hours: Vec<u16>,
    /// `QUIET_HOURS` (default 21-8): no reminder from the first hour until the second.
    pub quiet_hours: (u8, u8),
    /// `CLINIC_TIMEZONE` (IANA name, default UTC): the clock quiet hours are read on.
    pub clinic_timezone: chrono_tz::Tz,
    /// `OUTBOX_RETRY_BASE_SECONDS` (default 5) and `OUTBOX_MAX_ATTEMPTS` (default 12).
    pub retry_base: Duration,
    pub max_attempts: u32,
    /// `OUTBOX_POLL_MS` (default 1000): how often an idle worker looks for due messages.
    pub poll_interval: Duration,
    /// `SMTP_URL` (with `SMTP_REQUIRE_TLS`, `EMAIL_FROM`); none: no email channel.
    pub smtp: Option<SmtpSettings>,
    /// `SMS_WEBHOOK_URL` and `SMS_WEBHOOK_SECRET`; none: no SMS channel.
    pub sms: Option<SmsSettings>,
    /// `WEBHOOK_ALLOW_PRIVATE` (default false): webhooks may go to plain `http` and to loopback,
    /// private and link-local addresses (tests, private deployments).
    pub webhook_allow_private: bool,
}

impl Default for OutreachSettings {
    fn default() -> Self {
        Self {
            clinic_name: "Infusion clinic".into(),
            invitation_link_url: "http://localhost:3000/invite".into(),
            invitation_ttl: Duration::from_secs(168 * 3600),
            invitation_session: Duration::from_secs(3600),
            reminder_after_hours: vec![24, 72],
            quiet_hours: (21, 8),
            clinic_timezone: chrono_tz::UTC,
            retry_base: Duration::from_secs(5),
            max_attempts: 12,
            poll_interval: Duration::from_millis(1000),
            smtp: None,
            sms: None,
            webhook_allow_private: false,
        }
    }
}

#[derive(Clone)]
pub struct SmtpSettings {
    /// `smtps://` (implicit TLS) or `smtp://` (STARTTLS when offered), with credentials.
    pub url: SecretString,
    /// `SMTP_REQUIRE_TLS`: refuse to send over an `smtp://` server that offers no STARTTLS.
    pub require_tls: bool,
    /// `EMAIL_FROM`: the sender address.
    pub from: String,
}

#[derive(Clone)]
pub struct SmsSettings {
    /// `SMS_WEBHOOK_URL`: the gateway endpoint that receives `{to, body, message_id}`.
    pub url: String,
    /// `SMS_WEBHOOK_SECRET` (`whsec_` + base64): the Standard Webhooks signing key.
    pub secret: SecretString,
}

fn read_outreach(r: &mut Reader<'_>) -> OutreachSettings {
    let d = OutreachSettings::default();
    let clinic_name = r.text("CLINIC_NAME", &d.clinic_name);
    if clinic_name.chars().any(char::is_control) || clinic_name.chars().count() > 100 {
        r.fail("CLINIC_NAME", "must be one line of at most 100 characters");
    }
    let invitation_link_url = r.parse("INVITATION_LINK_URL", d.invitation_link_url.clone(), |v| {
        if (v.starts_with("https://") || v.starts_with("http://")) && !v.contains('#') {
            Ok(v.to_owned())
        } else {
            Err(format!("must be an http(s) URL without a fragment, got {v:?}"))
        }
    });
    let ttl_hours = r.number("INVITATION_TTL_HOURS", 168u64, 1, 24 * 60);
    let session_minutes = r.number("INVITATION_SESSION_MINUTES", 60u64, 5, 24 * 60);
    let reminder_after_hours = r.parse("REMINDER_AFTER_HOURS", d.reminder_after_hours.clone(), |v| {
        let hours: Result<Vec<u16>, _> = v.split(',').map(|h| h.trim().parse::<u16>()).collect();
        match hours {
            Ok(mut hours) if !hours.is_empty() && hours.iter().all(|h| (1..=24 * 60).contains(h)) => {
                hours.sort_unstable();
                hours.dedup();
                Ok(hours)
            }
            _ => Err(format!(
                "must be a comma-separated list of hours from 1 to 1440, got {v:?}"
            )),
        }
    });
    let quiet_hours = r.parse("QUIET_HOURS", d.quiet_hours, |v| {
        let parsed = v
            .split_once('-')
            .and_then(|(a, b)| Some((a.trim().parse::<u8>().ok()?, b.trim().parse::<u8>().ok()?)));
        match parsed {
            Some((from, to)) if from < 24 && to < 24 => Ok((from, to)),
            _ => Err(format!("must be two hours 0-23 as from-to, e.g. 21-8, got {v:?}")),
        }
    });
    let clinic_timezone = r.parse("CLINIC_TIMEZONE", d.clinic_timezone, |v| {
        v.parse::<chrono_tz::Tz>()
            .map_err(|_| format!("must be an IANA time zone such as America/Chicago, got {v:?}"))
    });
    let retry_base = r.number("OUTBOX_RETRY_BASE_SECONDS", 5u64, 1, 3600);
    let max_attempts = r.number("OUTBOX_MAX_ATTEMPTS", 12u32, 1, 50);
    let poll_ms = r.number("OUTBOX_POLL_MS", 1000u64, 10, 60_000);
    let smtp = match r.raw("SMTP_URL") {
        None => None,
        Some(url) => {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                r.fail(
                    "SMTP_URL",
                    "must start with smtp:// (STARTTLS) or smtps:// (implicit TLS)",
                );
            }
            let from = r.raw("EMAIL_FROM").unwrap_or_default();
            if from.parse::<lettre::message::Mailbox>().is_err() {
                r.fail(
                    "EMAIL_FROM",
                    "is required with SMTP_URL: an address such as intake@clinic.example.org",
                );
            }
            Some(SmtpSettings {
                url: SecretString::from(url),
                require_tls: r.boolean("SMTP_REQUIRE_TLS", false),
                from,
            })
        }
    };
    let sms = match r.raw("SMS_WEBHOOK_URL") {
        None => None,
        Some(url) => {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                r.fail("SMS_WEBHOOK_URL", "must be an http(s) URL");
            }
            let secret = r.raw("SMS_WEBHOOK_SECRET").unwrap_or_default();
            let key = secret
                .strip_prefix("whsec_")
                .and_then(|k| base64::engine::general_purpose::STANDARD.decode(k).ok());
            if key.is_none_or(|k| k.len() < 24) {
                r.fail(
                    "SMS_WEBHOOK_SECRET",
                    "is required with SMS_WEBHOOK_URL: whsec_ followed by at least 24 bytes in base64",
                );
            }
            Some(SmsSettings {
                url,
                secret: SecretString::from(secret),
            })
        }
    };
    OutreachSettings {
        clinic_name,
        invitation_link_url,
        invitation_ttl: Duration::from_secs(ttl_hours * 3600),
        invitation_session: Duration::from_secs(session_minutes * 60),
        reminder_after_hours,
        quiet_hours,
        clinic_timezone,
        retry_base: Duration::from_secs(retry_base),
        max_attempts,
        poll_interval: Duration::from_millis(poll_ms),
        smtp,
        sms,
        webhook_allow_private: r.boolean("WEBHOOK_ALLOW_PRIVATE", false),
    }
}

/// Every bad variable, each named.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError(pub Vec<(String, String)>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration:")?;
        for (var, msg) in &self.0 {
            writeln!(f, "  {var}: {msg}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Reads variables from a lookup function and collects every problem.
struct Reader<'a> {
    get: &'a dyn Fn(&str) -> Option<String>,
    errors: Vec<(String, String)>,
}

impl Reader<'_> {
    fn raw(&self, var: &str) -> Option<String> {
        (self.get)(var).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    fn fail(&mut self, var: &str, msg: impl Into<String>) {
        self.errors.push((var.to_owned(), msg.into()));
    }

    fn parse<T>(&mut self, var: &str, default: T, parse: impl FnOnce(&str) -> Result<T, String>) -> T {
        match self.raw(var) {
            None => default,
            Some(v) => parse(&v).unwrap_or_else(|msg| {
                self.fail(var, msg);
                default
            }),
        }
    }

    fn number<T: std::str::FromStr + PartialOrd + fmt::Display + Copy>(
        &mut self,
        var: &str,
        default: T,
        min: T,
        max: T,
    ) -> T {
        self.parse(var, default, |v| match v.parse::<T>() {
            Ok(n) if n >= min && n <= max => Ok(n),
            _ => Err(format!("must be a whole number from {min} to {max}, got {v:?}")),
        })
    }

    fn decimal(&mut self, var: &str, default: f64, min: f64, max: f64) -> f64 {
        self.parse(var, default, |v| match v.parse::<f64>() {
            Ok(n) if n.is_finite() && n >= min && n <= max => Ok(n),
            _ => Err(format!("must be a number from {min} to {max}, got {v:?}")),
        })
    }

    /// A whole number read as the `f64` the outcome rules compare with.
    fn cutoff(&mut self, var: &str, default: f64, min: i32, max: i32) -> f64 {
        f64::from(self.number(var, default as i32, min, max))
    }

    fn boolean(&mut self, var: &str, default: bool) -> bool {
        self.parse(var, default, |v| match v.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(format!("must be true or false, got {v:?}")),
        })
    }

    fn text(&self, var: &str, default: &str) -> String {
        self.raw(var).unwrap_or_else(|| default.to_owned())
    }
}

fn read_courses(r: &mut Reader<'_>) -> CourseSettings {
    let d = CourseSettings::default();
    let o = d.outcome_cutoffs;
    CourseSettings {
        ketamine_max_mg_per_kg: r.decimal("KETAMINE_MAX_MG_PER_KG", d.ketamine_max_mg_per_kg, 0.1, 5.0),
        follow_up_days: r.parse("CHECKIN_FOLLOW_UP_DAYS", d.follow_up_days.clone(), |v| {
            let days: Result<Vec<u16>, _> = v.split(',').map(|d| d.trim().parse::<u16>()).collect();
            match days {
                Ok(mut days) if !days.is_empty() && days.iter().all(|d| *d <= 730) => {
                    days.sort_unstable();
                    days.dedup();
                    Ok(days)
                }
                _ => Err(format!(
                    "must be a comma-separated list of days from 0 to 730, got {v:?}"
                )),
            }
        }),
        pre_session_hours: r.number("CHECKIN_PRE_SESSION_HOURS", d.pre_session_hours, 1, 336),
        follow_up_window_days: r.number("CHECKIN_FOLLOW_UP_WINDOW_DAYS", d.follow_up_window_days, 1, 60),
        outcome_cutoffs: OutcomeCutoffs {
            mood_baseline_min: r.cutoff("OUTCOME_MOOD_BASELINE_MIN", o.mood_baseline_min, 1, 27),
            mood_remission_below: r.cutoff("OUTCOME_MOOD_REMISSION_BELOW", o.mood_remission_below, 1, 27),
            mood_response_pct: r.cutoff("OUTCOME_MOOD_RESPONSE_PCT", o.mood_response_pct, -100, -1),
            mood_partial_pct: r.cutoff("OUTCOME_MOOD_PARTIAL_PCT", o.mood_partial_pct, -100, -1),
            pain_substantial_pct: r.cutoff("OUTCOME_PAIN_SUBSTANTIAL_PCT", o.pain_substantial_pct, -100, -1),
            pain_moderate_pct: r.cutoff("OUTCOME_PAIN_MODERATE_PCT", o.pain_moderate_pct, -100, -1),
            pain_worse_pct: r.cutoff("OUTCOME_PAIN_WORSE_PCT", o.pain_worse_pct, 1, 1000),
        },
    }
}

impl Settings {
    /// Reads the process environment (after `.env` has been loaded by the caller).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&|k| std::env::var(k).ok())
    }

    /// Reads settings through `get`, so tests can pass a map.
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut r = Reader {
            get,
            errors: Vec::new(),
        };
        let app_env = r.parse("APP_ENV", AppEnv::Development, |v| match v {
            "development" => Ok(AppEnv::Development),
            "test" => Ok(AppEnv::Test),
            "production" => Ok(AppEnv::Production),
            _ => Err(format!("must be development, test or production, got {v:?}")),
        });
        let production = app_env == AppEnv::Production;

        let database_url = r.parse("DATABASE_URL", DbUrl::Sqlite("intake.db".into()), DbUrl::parse);
        let bind_addr = r.parse("BIND_ADDR", SocketAddr::from(([127, 0, 0, 1], 8080)), |v| {
            v.parse()
                .map_err(|_| format!("must be host:port, e.g. 127.0.0.1:8080, got {v:?}"))
        });

        let secret = match r.raw("JWT_SECRET") {
            Some(s) => {
                if let Err(msg) = check_secret(&s, production) {
                    r.fail("JWT_SECRET", msg);
                }
                SecretString::from(s)
            }
            None => {
                r.fail(
                    "JWT_SECRET",
                    "is required (development generates one into .env on `serve`)",
                );
                SecretString::from(String::new())
            }
        };
        let data_keys = match r.raw("DATA_KEYS") {
            Some(raw) => KeyRing::parse(raw.trim()).map_err(|msg| r.fail("DATA_KEYS", msg)).ok(),
            None => {
                r.fail(
                    "DATA_KEYS",
                    "is required: id:base64key of 32 random bytes, e.g. k1:$(openssl rand -base64 32) \
                     (development generates one into .env on `serve`)",
                );
                None
            }
        };
        let jwt_issuer = r.text("JWT_ISSUER", "intake-api");
        let jwt_audience = r.text("JWT_AUDIENCE", "intake-api");
        let ttl = r.number("JWT_TTL_SECONDS", 900u64, 60, 86_400);
        let refresh_days = r.number("REFRESH_TTL_DAYS", 14u64, 1, 365);
        let refresh_idle_hours = r.number("REFRESH_IDLE_HOURS", 24u64, 1, 24 * 365);
        let external = match r.raw("JWT_EXTERNAL_PUBLIC_KEY") {
            None => None,
            Some(pem) => {
                // Allow a single-line value with literal \n, as many secret stores hand it over.
                let pem = pem.replace("\\n", "\n");
                if !pem.contains("-----BEGIN PUBLIC KEY-----") {
                    r.fail(
                        "JWT_EXTERNAL_PUBLIC_KEY",
                        "must be a PEM public key (-----BEGIN PUBLIC KEY-----)",
                    );
                }
                let issuer = r.raw("JWT_EXTERNAL_ISSUER");
                let audience = r.raw("JWT_EXTERNAL_AUDIENCE");
                if issuer.is_none() {
                    r.fail("JWT_EXTERNAL_ISSUER", "is required when JWT_EXTERNAL_PUBLIC_KEY is set");
                }
                if audience.is_none() {
                    r.fail(
                        "JWT_EXTERNAL_AUDIENCE",
                        "is required when JWT_EXTERNAL_PUBLIC_KEY is set",
                    );
                }
                Some(ExternalIdp {
                    public_key_pem: pem,
                    issuer: issuer.unwrap_or_default(),
                    audience: audience.unwrap_or_default(),
                    role_claim: r.text("JWT_EXTERNAL_ROLE_CLAIM", "role"),
                })
            }
        };

        let allow_patient_signup = r.boolean("ALLOW_PATIENT_SIGNUP", true);
        let require_staff_mfa = r.boolean("REQUIRE_STAFF_MFA", production);
        let mfa_issuer = r.text("MFA_ISSUER", "Infusion clinic intake");
        if mfa_issuer.contains(':') || mfa_issuer.trim().is_empty() {
            r.fail(
                "MFA_ISSUER",
                "must be a non-empty name without ':' (it labels the account in authenticator apps)",
            );
        }
        let cors_allowed_origins = r.parse("CORS_ALLOWED_ORIGINS", Vec::new(), |v| parse_origins(v, production));

        let bootstrap_admin = match (r.raw("BOOTSTRAP_ADMIN_EMAIL"), r.raw("BOOTSTRAP_ADMIN_PASSWORD")) {
            (None, None) => None,
            (Some(email), Some(password)) => Some(BootstrapAdmin {
                email,
                password: SecretString::from(password),
            }),
            (Some(_), None) => {
                r.fail(
                    "BOOTSTRAP_ADMIN_PASSWORD",
                    "is required when BOOTSTRAP_ADMIN_EMAIL is set",
                );
                None
            }
            (None, Some(_)) => {
                r.fail(
                    "BOOTSTRAP_ADMIN_EMAIL",
                    "is required when BOOTSTRAP_ADMIN_PASSWORD is set",
                );
                None
            }
        };

        let db_pool_size = r.number("DB_POOL_SIZE", default_pool_size(), 1, 128);
        let db_timeout_ms = r.number("DB_TIMEOUT_MS", 3000u64, 100, 60_000);
        let max_body_bytes = r.number("MAX_BODY_BYTES", 1_048_576usize, 1024, 64 * 1_048_576);
        let defaults = Cutoffs::default();
        let cutoffs = Cutoffs {
            bp_systolic: r.number("BP_THRESHOLD_SYSTOLIC", defaults.bp_systolic, 90, 250),
            bp_diastolic: r.number("BP_THRESHOLD_DIASTOLIC", defaults.bp_diastolic, 50, 150),
            phq9_positive: r.number("CUTOFF_PHQ9", defaults.phq9_positive, 5, 20),
            phq2_positive: r.number("CUTOFF_PHQ2", defaults.phq2_positive, 2, 3),
            gad7_positive: r.number("CUTOFF_GAD7", defaults.gad7_positive, 5, 15),
            gad2_positive: r.number("CUTOFF_GAD2", defaults.gad2_positive, 2, 3),
            pc_ptsd5_positive: r.number("CUTOFF_PC_PTSD5", defaults.pc_ptsd5_positive, 3, 4),
            pcl5_probable_ptsd: r.number("CUTOFF_PCL5", defaults.pcl5_probable_ptsd, 31, 33),
            high_mme: r.number("CUTOFF_HIGH_MME", defaults.high_mme, 20, 200),
            ..defaults
        };
        let enabled = r.parse("INSTRUMENTS_ENABLED", policy::default_enabled(), parse_instruments);
        let rust_log = r.text("RUST_LOG", "info");
        let log_format = r.parse(
            "LOG_FORMAT",
            if production { LogFormat::Json } else { LogFormat::Pretty },
            |v| match v {
                "json" => Ok(LogFormat::Json),
                "pretty" => Ok(LogFormat::Pretty),
                _ => Err(format!("must be json or pretty, got {v:?}")),
            },
        );
        let shutdown_secs = r.number("SHUTDOWN_TIMEOUT_SECONDS", 30u64, 0, 600);
        let http_workers = r.parse("HTTP_WORKERS", None, |v| match v.parse::<usize>() {
            Ok(n) if (1..=256).contains(&n) => Ok(Some(n)),
            _ => Err(format!("must be a whole number from 1 to 256, got {v:?}")),
        });
        let trust_forwarded_for = r.boolean("TRUST_FORWARDED_FOR", false);
        let courses = read_courses(&mut r);
        let outreach = read_outreach(&mut r);

        let Some(data_keys) = data_keys.filter(|_| r.errors.is_empty()) else {
            return Err(ConfigError(r.errors));
        };
        Ok(Settings {
            app_env,
            database_url,
            bind_addr,
            jwt: JwtSettings {
                secret,
                issuer: jwt_issuer,
                audience: jwt_audience,
                ttl: Duration::from_secs(ttl),
                refresh_ttl: Duration::from_secs(refresh_days * 86_400),
                refresh_idle: Duration::from_secs(refresh_idle_hours * 3_600),
                external,
            },
            allow_patient_signup,
            require_staff_mfa,
            mfa_issuer,
            cors_allowed_origins,
            bootstrap_admin,
            db_pool_size,
            db_timeout: Duration::from_millis(db_timeout_ms),
            max_body_bytes,
            screening: Arc::new(ScreeningConfig { enabled, cutoffs }),
            courses: Arc::new(courses),
            rust_log,
            log_format,
            shutdown_timeout: Duration::from_secs(shutdown_secs),
            http_workers,
            trust_forwarded_for,
            outreach: Arc::new(outreach),
            data_keys: Arc::new(data_keys),
        })
    }

    pub fn jwt_secret_bytes(&self) -> &[u8] {
        self.jwt.secret.expose_secret().as_bytes()
    }
}

/// A secret shorter than 32 bytes is always refused; production also refuses obvious
/// placeholders and low-variety strings.
fn check_secret(secret: &str, production: bool) -> Result<(), String> {
    if secret.len() < 32 {
        return Err(format!("must be at least 32 bytes, got {}", secret.len()));
    }
    if production {
        let lower = secret.to_ascii_lowercase();
        let placeholder = ["change", "example", "secret", "password", "replace"]
            .iter()
            .any(|w| lower.contains(w));
        let mut distinct: Vec<char> = secret.chars().collect();
        distinct.sort_unstable();
        distinct.dedup();
        if placeholder || distinct.len() < 12 {
            return Err("is too weak for production: use a random value, e.g. `openssl rand -base64 48`".into());
        }
    }
    Ok(())
}

fn parse_origins(raw: &str, production: bool) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for origin in raw.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let (scheme, rest) = origin
            .split_once("://")
            .ok_or_else(|| format!("{origin:?} is not an origin like https://app.example.org"))?;
        if !(scheme == "https" || scheme == "http") || rest.is_empty() || rest.contains('/') {
            return Err(format!("{origin:?} is not an origin like https://app.example.org"));
        }
        if production && scheme == "http" && !rest.starts_with("localhost") {
            return Err(format!("{origin:?} must use https in production"));
        }
        out.push(origin.to_owned());
    }
    Ok(out)
}

fn parse_instruments(raw: &str) -> Result<Vec<InstrumentCode>, String> {
    let mut out: Vec<InstrumentCode> = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        let code = InstrumentCode::parse(name).ok_or_else(|| {
            let known: Vec<&str> = InstrumentCode::ALL.iter().map(|c| c.as_str()).collect();
            format!("unknown instrument {name:?}; known: {}", known.join(", "))
        })?;
        if !out.contains(&code) {
            out.push(code);
        }
    }
    Ok(out)
}

/// In development, a missing `JWT_SECRET` or `DATA_KEYS` is generated once and appended to
/// `.env`, so the first `serve` on a fresh checkout just works and tokens and sealed data survive
/// restarts. Returns the variables to use on top of the environment. Never runs in production or
/// test.
pub fn ensure_development_secret(env_file: &Path) -> std::io::Result<HashMap<String, String>> {
    let mut extra = HashMap::new();
    let app_env = std::env::var("APP_ENV").unwrap_or_default();
    let is_dev = app_env.trim().is_empty() || app_env.trim() == "development";
    let missing = |var: &str| std::env::var(var).map(|s| s.trim().is_empty()).unwrap_or(true);
    if !is_dev {
        return Ok(extra);
    }
    if missing("JWT_SECRET") {
        let mut bytes = [0u8; 48];
        getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        extra.insert("JWT_SECRET".to_owned(), secret);
    }
    if missing("DATA_KEYS") {
        let entry = KeyRing::generate_entry("k1").map_err(std::io::Error::other)?;
        extra.insert("DATA_KEYS".to_owned(), entry);
    }
    if extra.is_empty() {
        return Ok(extra);
    }
    let mut contents = std::fs::read_to_string(env_file).unwrap_or_default();
    if !contents.is_empty() && !contents.ends_with('\n') {
        contents.push('\n');
    }
    contents.push_str("# Generated on first start (APP_ENV=development). Keep them secret.\n");
    for var in ["JWT_SECRET", "DATA_KEYS"] {
        if let Some(value) = extra.get(var) {
            contents.push_str(&format!("{var}={value}\n"));
        }
    }
    write_private(env_file, &contents)?;
    Ok(extra)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// Twice the cores (at least 2): measured on 2 cores, 4 connections served as many requests as 8
/// on both backends with lower tail latency and memory (see bench/NOTES.md); work beyond that
/// only waits for a CPU or, on SQLite, for the one writer.
fn default_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (2 * cores).clamp(2, 32) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD_SECRET: &str = "q3V9x2LmT8wZk4Rb7NfJ1sYc6HdP0aGe";

    const TEST_KEYS: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    /// Settings from `vars`, with a valid `DATA_KEYS` unless `vars` sets one.
    fn load(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let mut map: HashMap<String, String> = HashMap::from([("DATA_KEYS".into(), TEST_KEYS.into())]);
        map.extend(vars.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())));
        Settings::from_lookup(&move |k| map.get(k).cloned())
    }

    #[test]
    fn data_keys_are_required_and_checked_naming_the_variable() {
        for app_env in ["production", "test", "development"] {
            let err = load(&[("APP_ENV", app_env), ("JWT_SECRET", GOOD_SECRET), ("DATA_KEYS", "")]).unwrap_err();
            assert_eq!(vars_named(err), vec!["DATA_KEYS"], "{app_env}");
        }
        let err = load(&[("JWT_SECRET", GOOD_SECRET), ("DATA_KEYS", "k1:c2hvcnQ=")]).unwrap_err();
        assert!(err.to_string().contains("DATA_KEYS"), "{err}");
        assert!(err.to_string().contains("32 bytes"), "{err}");
        let two = format!("k2:{},{TEST_KEYS}", "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=");
        let ok = load(&[("JWT_SECRET", GOOD_SECRET), ("DATA_KEYS", &two)]).unwrap();
        assert_eq!(ok.data_keys.current().id(), "k2");
        assert_eq!(ok.data_keys.keys().len(), 2);
    }

    fn vars_named(err: ConfigError) -> Vec<String> {
        err.0.into_iter().map(|(v, _)| v).collect()
    }

    #[test]
    fn defaults_are_a_working_development_setup() {
        let s = load(&[("JWT_SECRET", GOOD_SECRET)]).unwrap();
        assert_eq!(s.app_env, AppEnv::Development);
        assert_eq!(s.database_url, DbUrl::Sqlite("intake.db".into()));
        assert_eq!(s.bind_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(s.jwt.ttl, Duration::from_secs(900));
        assert_eq!(s.jwt.refresh_ttl, Duration::from_secs(14 * 86_400));
        assert_eq!(s.jwt.refresh_idle, Duration::from_secs(24 * 3_600));
        assert_eq!(s.max_body_bytes, 1_048_576);
        let cutoffs = s.screening.cutoffs;
        assert_eq!((cutoffs.bp_systolic, cutoffs.bp_diastolic), (140, 90));
        assert_eq!(cutoffs, Cutoffs::default());
        assert_eq!(s.screening.enabled.len(), 11);
        assert_eq!(*s.courses, CourseSettings::default());
        assert!(!s.screening.enabled.iter().any(|c| c.as_str() == "dn4"));
        assert_eq!(s.log_format, LogFormat::Pretty);
        let cores = std::thread::available_parallelism().unwrap().get();
        assert_eq!(s.db_pool_size as usize, (2 * cores).clamp(2, 32));
    }

    #[test]
    fn every_bad_variable_is_named() {
        let err = load(&[
            ("JWT_SECRET", "short"),
            ("DB_POOL_SIZE", "zero"),
            ("BIND_ADDR", "nowhere"),
            ("DATABASE_URL", "mysql://x"),
            ("INSTRUMENTS_ENABLED", "phq9,bdi2"),
            ("LOG_FORMAT", "xml"),
            ("CUTOFF_PCL5", "40"),
        ])
        .unwrap_err();
        let named = vars_named(err);
        for var in [
            "JWT_SECRET",
            "DB_POOL_SIZE",
            "BIND_ADDR",
            "DATABASE_URL",
            "INSTRUMENTS_ENABLED",
            "LOG_FORMAT",
        ] {
            assert!(named.iter().any(|v| v == var), "{var} not named in {named:?}");
        }
    }

    #[test]
    fn production_refuses_weak_or_missing_secrets() {
        let missing = vars_named(load(&[("APP_ENV", "production")]).unwrap_err());
        assert_eq!(missing, vec!["JWT_SECRET"]);
        let weak = load(&[
            ("APP_ENV", "production"),
            ("JWT_SECRET", "change-me-change-me-change-me-change-me"),
        ]);
        assert_eq!(vars_named(weak.unwrap_err()), vec!["JWT_SECRET"]);
        let ok = load(&[("APP_ENV", "production"), ("JWT_SECRET", GOOD_SECRET)]).unwrap();
        assert_eq!(ok.log_format, LogFormat::Json);
    }

    #[test]
    fn cors_origins_are_checked() {
        let s = load(&[
            ("JWT_SECRET", GOOD_SECRET),
            ("CORS_ALLOWED_ORIGINS", "https://a.example, http://localhost:3000"),
        ])
        .unwrap();
        assert_eq!(
            s.cors_allowed_origins,
            vec!["https://a.example", "http://localhost:3000"]
        );
        let err = load(&[("JWT_SECRET", GOOD_SECRET), ("CORS_ALLOWED_ORIGINS", "*")]).unwrap_err();
        assert_eq!(vars_named(err), vec!["CORS_ALLOWED_ORIGINS"]);
        let err = load(&[
            ("APP_ENV", "production"),
            ("JWT_SECRET", GOOD_SECRET),
            ("CORS_ALLOWED_ORIGINS", "http://a.example"),
        ])
        .unwrap_err();
        assert_eq!(vars_named(err), vec!["CORS_ALLOWED_ORIGINS"]);
    }

    #[test]
    fn bootstrap_admin_needs_both_variables() {
        let err = load(&[("JWT_SECRET", GOOD_SECRET), ("BOOTSTRAP_ADMIN_EMAIL", "a@b.org")]).unwrap_err();
        assert_eq!(vars_named(err), vec!["BOOTSTRAP_ADMIN_PASSWORD"]);
    }

    #[test]
    fn restricted_instruments_can_be_enabled() {
        let s = load(&[("JWT_SECRET", GOOD_SECRET), ("INSTRUMENTS_ENABLED", "phq9, dn4,phq9")]).unwrap();
        assert_eq!(s.screening.enabled, vec![InstrumentCode::Phq9, InstrumentCode::Dn4]);
    }
}
