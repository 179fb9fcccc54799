//! Benchmark support (not part of the service): seeds a database with realistic intakes, and
//! measures SQLite's durable commit rate with the service's own connection settings.
//!
//! `intake-seed seed --intakes 100000 --drafts 20000 --courses 20000 --out seed.json` (uses
//! `DATABASE_URL`, `JWT_SECRET`) · `intake-seed commit-rate --seconds 5` (uses `DATABASE_URL`,
//! SQLite only).

mod courses;
mod outbox;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::NaiveDateTime;
use clap::{Parser, Subcommand};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use uuid::Uuid;

use intake_api::auth::{Role, TokenService, service as auth};
use intake_api::config::Settings;
use intake_api::db::{self, DbConn, DbPool, DbUrl, PoolOptions};
use intake_api::ids::{IntakeId, Json, PatientId, SubmissionId, UserId};
use intake_api::intake::repo::{IntakeRow, SubmissionRow};
use intake_api::intake::sections::{Consent, ConsentEvidence, ConsentInput, Sections, SignerRole};
use intake_api::intake::status::IntakeStatus;
use intake_api::intake::worklist_index::WorklistIndex;
use intake_api::intake::{rescore, submit};
use intake_api::on_backend;
use intake_api::patients::api::{Language, SexAtBirth};
use intake_api::patients::repo::PatientRow;
use intake_api::schema::{intake_flags, intake_pain_types, intake_submissions, intakes, patient_name_tokens, patients};
use intake_api::screening::policy::Scores;
use intake_api::screening::policy::ScreeningConfig;
use intake_api::screening::safety::Assessment;
use intake_api::{clock, vault};

#[derive(Parser)]
#[command(
    name = "intake-seed",
    about = "Seeds benchmark data; measures the database's durable commit rate"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Users, patients and intakes (the four fixtures, rotated) with their worklist rows.
    Seed {
        #[arg(long, default_value_t = 100_000)]
        intakes: usize,
        /// Complete, never-submitted drafts (the submit and patch scenarios use them).
        #[arg(long, default_value_t = 20_000)]
        drafts: usize,
        #[arg(long, default_value_t = 20_000)]
        patients: usize,
        /// Treatment courses on the approved intakes (4 sessions and 4–7 check-ins each).
        #[arg(long, default_value_t = 0)]
        courses: usize,
        #[arg(long, default_value = "tests/fixtures")]
        fixtures: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Single-row committed inserts (8 KB payload plus a 300-byte audit-sized row) in a loop,
    /// one writer, with the service's pragmas: the ceiling for durable writes on this disk.
    CommitRate {
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// Messages per second the outbox's delivery workers hand to the SMS gateway at
    /// `SMS_WEBHOOK_URL` (run against a seeded database, with no server running).
    OutboxRate {
        #[arg(long, default_value_t = 2000)]
        messages: usize,
        /// Delivery workers, each on its own pool (separate instances).
        #[arg(long, default_value_t = 1)]
        workers: usize,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Seed {
            intakes,
            drafts,
            patients,
            courses,
            fixtures,
            out,
        } => seed(intakes, drafts, patients, courses, &fixtures, &out),
        Command::CommitRate { seconds } => commit_rate(seconds),
        Command::OutboxRate { messages, workers } => outbox::rate(&pool()?, &pool, messages, workers),
    }
}

fn pool() -> anyhow::Result<DbPool> {
    let url = DbUrl::parse(&std::env::var("DATABASE_URL").context("DATABASE_URL")?).map_err(anyhow::Error::msg)?;
    let opts = PoolOptions {
        max_size: 2,
        checkout_timeout: Duration::from_secs(10),
        statement_timeout: Duration::from_secs(600),
    };
    let pool = db::build_pool(&url, &opts)?;
    db::run_migrations(&mut *pool.get()?)?;
    Ok(pool)
}

fn commit_rate(seconds: u64) -> anyhow::Result<()> {
    let pool = pool()?;
    let mut conn = pool.get()?;
    if !matches!(&*conn, DbConn::Sqlite(_)) {
        bail!("commit-rate measures SQLite; for PostgreSQL use pgbench");
    }
    conn.batch_execute("CREATE TABLE IF NOT EXISTS bench_commit (id TEXT PRIMARY KEY, payload TEXT NOT NULL); CREATE TABLE IF NOT EXISTS bench_audit (id TEXT PRIMARY KEY, payload TEXT NOT NULL);")?;
    let payload = "x".repeat(8192);
    let audit = "a".repeat(300);
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < Duration::from_secs(seconds) {
        db::write_tx(&mut conn, |c| -> QueryResult<()> {
            diesel::sql_query("INSERT INTO bench_commit (id, payload) VALUES (?, ?)")
                .bind::<diesel::sql_types::Text, _>(Uuid::now_v7().to_string())
                .bind::<diesel::sql_types::Text, _>(&payload)
                .execute(c)?;
            diesel::sql_query("INSERT INTO bench_audit (id, payload) VALUES (?, ?)")
                .bind::<diesel::sql_types::Text, _>(Uuid::now_v7().to_string())
                .bind::<diesel::sql_types::Text, _>(&audit)
                .execute(c)?;
            Ok(())
        })?;
        n += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{{\"commits\": {n}, \"seconds\": {secs:.3}, \"commits_per_second\": {:.1}}}",
        n as f64 / secs
    );
    Ok(())
}

const GIVEN: [&str; 20] = [
    "Ana",
    "José",
    "María",
    "Luis",
    "Sofía",
    "Marcus",
    "James",
    "Rosa",
    "Wei",
    "Aisha",
    "Olga",
    "Kenji",
    "Fatima",
    "Liam",
    "Noah",
    "Emma",
    "Chloé",
    "Zoë",
    "Mateo",
    "Valentina",
];
const FAMILY: [&str; 20] = [
    "López", "García", "Reed", "O'Brien", "Méndez", "Nguyen", "Smith", "Johnson", "Müller", "Kowalski", "Okafor",
    "Haddad", "Chen", "Rossi", "Silva", "Novak", "Dubois", "Yamamoto", "Khan", "Ivanova",
];
const STATUSES: [(IntakeStatus, u32); 6] = [
    (IntakeStatus::Submitted, 60),
    (IntakeStatus::InReview, 15),
    (IntakeStatus::Approved, 10),
    (IntakeStatus::Declined, 5),
    (IntakeStatus::NeedsInfo, 5),
    (IntakeStatus::Draft, 5),
];

/// A tiny deterministic generator: the same seed gives the same data.
pub struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Prepared {
    stored_sections: Json<Sections>,
    index_row: IntakeRow,
    index: WorklistIndex,
    scores: Json<Scores>,
    assessment: Json<Assessment>,
}

/// A fixture as a clinician's phone intake: the clinician types the patient's attestation.
fn prepare(path: &std::path::Path, cfg: &ScreeningConfig, clinician: UserId) -> anyhow::Result<Prepared> {
    let f: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let mut doc = f["sections"].clone();
    let mut consent: ConsentInput = serde_json::from_value(doc["consent"].take())?;
    consent.signer_role = Some(SignerRole::StaffOnBehalf);
    doc.as_object_mut().map(|m| m.remove("consent"));
    let mut sections: Sections = serde_json::from_value(doc)?;
    sections.consent = Some(Consent {
        evidence: Some(ConsentEvidence {
            signed_at: chrono::Utc::now(),
            text_sha256: intake_api::intake::consent::sha256(consent.lang.unwrap_or_default()),
            client_addr: Some("203.0.113.10".into()),
            user_agent: Some("intake-seed".into()),
            signed_by: Some(clinician.into()),
        }),
        input: consent,
    });
    let results = submit::check(&sections, None, cfg).map_err(|e| anyhow::anyhow!("{}: {e:?}", path.display()))?;
    let mut row = blank_row()?;
    let err = |e| anyhow::anyhow!("{e:?}");
    // The same columns a submit writes: scores, assessment and the worklist's index.
    let index = rescore::apply(&mut row, &sections, &results).map_err(err)?;
    Ok(Prepared {
        stored_sections: sections.to_json().map_err(err)?,
        scores: Json::new(&results.scores).map_err(err)?,
        assessment: Json::new(&results.assessment).map_err(err)?,
        index_row: row,
        index,
    })
}

/// A draft with nothing filled in yet; the seeder sets what each row needs.
fn blank_row() -> anyhow::Result<IntakeRow> {
    Ok(IntakeRow::draft(
        IntakeId::new(),
        PatientId::new(),
        UserId::new(),
        false,
        Sections::default().to_json().map_err(|e| anyhow::anyhow!("{e:?}"))?,
        clock::now(),
    ))
}

fn seed(
    n_intakes: usize,
    n_drafts: usize,
    n_patients: usize,
    n_courses: usize,
    fixtures: &std::path::Path,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    let settings = Settings::from_env().map_err(|e| anyhow::anyhow!("{e}"))?;
    // Rows are written directly, sealed as the service seals them.
    vault::install(settings.data_keys.clone()).map_err(anyhow::Error::msg)?;
    let ring = settings.data_keys.clone();
    let tokens = TokenService::new(&settings.jwt, settings.jwt_secret_bytes())?;
    let cfg = settings.screening.clone();
    let pool = pool()?;
    let mut conn = pool.get()?;
    let started = Instant::now();

    let password = "benchmark passphrase 2026";
    let admin = auth::create_staff(
        &mut conn,
        "admin@bench.test",
        password,
        Role::Admin,
        "Bench Admin",
        false,
    )
    .map_err(|e| anyhow::anyhow!("{e:?}"))?
    .context("admin")?;
    let mut clinicians = Vec::new();
    for i in 0..5 {
        let id = auth::create_staff(
            &mut conn,
            &format!("dr{i}@bench.test"),
            password,
            Role::Clinician,
            &format!("Dr. Bench {i}"),
            false,
        )
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .context("clinician")?;
        clinicians.push(id);
    }

    let prepared: Vec<Prepared> = ["fibromyalgia", "crps", "neuropathic", "postoperative"]
        .iter()
        .map(|n| prepare(&fixtures.join(format!("{n}.json")), &cfg, clinicians[0]))
        .collect::<anyhow::Result<_>>()?;

    let mut rng = Rng(0x2026_1127_dead_beef);
    let now = clock::now();
    // Patients.
    let mut patient_ids = Vec::with_capacity(n_patients);
    for chunk in (0..n_patients).collect::<Vec<_>>().chunks(500) {
        let mut rows = Vec::new();
        let mut toks = Vec::new();
        for _ in chunk {
            let (g, f) = (GIVEN[rng.below(20) as usize], FAMILY[rng.below(20) as usize]);
            let id = PatientId::new();
            for t in vault::names::index_tokens(ring.current(), g, f) {
                toks.push((patient_name_tokens::token.eq(t), patient_name_tokens::patient_id.eq(id)));
            }
            rows.push(PatientRow {
                id,
                user_id: None,
                given_name: g.into(),
                family_name: f.into(),
                date_of_birth: chrono::NaiveDate::from_ymd_opt(
                    1950 + rng.below(55) as i32,
                    1 + rng.below(12) as u32,
                    1 + rng.below(28) as u32,
                )
                .context("date")?,
                sex_at_birth: if rng.below(2) == 0 {
                    SexAtBirth::Female
                } else {
                    SexAtBirth::Male
                },
                gender_identity: None,
                preferred_language: if rng.below(4) == 0 { Language::Es } else { Language::En },
                email: None,
                phone: Some("+1 555 010 0100".into()),
                address: None,
                emergency_contact: None,
                created_by: clinicians[0],
                version: 1,
                created_at: now,
                updated_at: now,
            });
            patient_ids.push(id);
        }
        db::write_tx(&mut conn, |c| -> QueryResult<()> {
            let rows: Vec<_> = rows.iter().map(PatientRow::seal).collect::<Result<_, _>>()?;
            on_backend!(c, c => diesel::insert_into(patients::table).values(&rows).execute(c))?;
            for t in toks.chunks(2000) {
                on_backend!(c, c => diesel::insert_into(patient_name_tokens::table).values(t).execute(c))?;
            }
            Ok(())
        })?;
    }

    // Intakes: the fixtures in rotation, statuses by weight, submitted over the past year.
    let mut submitted_ids = Vec::new();
    let mut draft_ids = Vec::new();
    let mut approved = Vec::new();
    let total = n_intakes + n_drafts;
    let year = chrono::Duration::days(365);
    for chunk in (0..total).collect::<Vec<_>>().chunks(500) {
        let mut rows = Vec::new();
        let mut subs = Vec::new();
        let mut types = Vec::new();
        let mut flags = Vec::new();
        for &i in chunk {
            let p = &prepared[i % prepared.len()];
            let id = IntakeId::new();
            let status = if i >= n_intakes {
                IntakeStatus::Draft
            } else {
                let mut roll = rng.below(100) as u32;
                STATUSES
                    .iter()
                    .find(|(_, w)| {
                        if roll < *w {
                            true
                        } else {
                            roll -= w;
                            false
                        }
                    })
                    .map_or(IntakeStatus::Submitted, |s| s.0)
            };
            let draft = status == IntakeStatus::Draft;
            let submitted_at: Option<NaiveDateTime> =
                (!draft).then(|| now - year + chrono::Duration::seconds(rng.below(365 * 86_400) as i64));
            let mut row = if draft { blank_row()? } else { p.index_row.clone() };
            row.id = id;
            row.patient_id = patient_ids[rng.below(patient_ids.len() as u64) as usize];
            row.status = status;
            row.sections = p.stored_sections.clone();
            row.created_by = clinicians[rng.below(5) as usize];
            row.created_on_behalf = true;
            row.submitted_at = submitted_at;
            row.updated_at = submitted_at.map_or(now, |t| t + chrono::Duration::minutes(rng.below(600) as i64));
            row.created_at = submitted_at.unwrap_or(now) - chrono::Duration::hours(1);
            row.submission_count = i32::from(!draft);
            if matches!(
                status,
                IntakeStatus::InReview | IntakeStatus::Approved | IntakeStatus::Declined
            ) {
                row.assigned_to = Some(clinicians[rng.below(5) as usize]);
            }
            if let Some(at) = submitted_at {
                subs.push(SubmissionRow {
                    id: SubmissionId::new(),
                    intake_id: id,
                    seq: 1,
                    submitted_at: at,
                    submitted_by: row.created_by,
                    sections: p.stored_sections.clone(),
                    scores: p.scores.clone(),
                    assessment: p.assessment.clone(),
                });
                for t in &p.index.pain_types {
                    types.push((
                        intake_pain_types::pain_type.eq(t.clone()),
                        intake_pain_types::intake_id.eq(id),
                    ));
                }
                for (code, sev) in &p.index.flags {
                    flags.push((
                        intake_flags::code.eq(code.clone()),
                        intake_flags::intake_id.eq(id),
                        intake_flags::severity.eq(*sev),
                    ));
                }
                if status == IntakeStatus::Approved {
                    approved.push((id, row.patient_id, i % prepared.len(), at));
                }
                if status == IntakeStatus::Submitted && submitted_ids.len() < 5_000 {
                    submitted_ids.push(id);
                }
            } else if i >= n_intakes {
                draft_ids.push(id);
            }
            rows.push(row);
        }
        db::write_tx(&mut conn, |c| -> QueryResult<()> {
            for r in rows.chunks(250) {
                let r: Vec<_> = r.iter().map(IntakeRow::seal).collect::<Result<_, _>>()?;
                on_backend!(c, c => diesel::insert_into(intakes::table).values(&r).execute(c))?;
            }
            for s in subs.chunks(250) {
                let s: Vec<_> = s.iter().map(SubmissionRow::seal).collect::<Result<_, _>>()?;
                on_backend!(c, c => diesel::insert_into(intake_submissions::table).values(&s).execute(c))?;
            }
            for t in types.chunks(2000) {
                on_backend!(c, c => diesel::insert_into(intake_pain_types::table).values(t).execute(c))?;
            }
            for f in flags.chunks(2000) {
                on_backend!(c, c => diesel::insert_into(intake_flags::table).values(f).execute(c))?;
            }
            Ok(())
        })?;
    }
    let scores: Vec<Scores> = prepared
        .iter()
        .map(|p| p.scores.get())
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let approved: Vec<courses::Approved<'_>> = approved
        .iter()
        .map(|(intake, patient, fixture, at)| courses::Approved {
            intake: *intake,
            patient: *patient,
            scores: &scores[*fixture],
            at: *at,
        })
        .collect();
    let seeded = if n_courses > 0 && !approved.is_empty() {
        Some(courses::seed(
            &mut conn,
            &approved,
            n_courses,
            &settings,
            clinicians[0],
            &mut rng,
        )?)
    } else {
        None
    };
    // The key the rows were sealed with, as the service records it at its first start.
    vault::rekey::record_current(&mut conn, &ring).map_err(|e| anyhow::anyhow!("{e:#}"))?;
    // After a bulk load, as pgbench does before it measures: statistics for the planner and, on
    // PostgreSQL, a vacuum that sets the visibility map (index-only scans then skip the heap) and
    // the rows' hint bits (else the first reads of each page write it back).
    match &mut *conn {
        DbConn::Pg(_) => conn.batch_execute("VACUUM ANALYZE")?,
        DbConn::Sqlite(_) => conn.batch_execute("ANALYZE")?,
    }

    let clinician_token = tokens
        // New accounts: their tokens are token version 0.
        .issue(clinicians[0], Role::Clinician, 0, None)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let admin_token = tokens
        .issue(admin, Role::Admin, 0, None)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let report = serde_json::json!({
        "clinician_token": clinician_token.access_token,
        "admin_token": admin_token.access_token,
        "submitted_ids": submitted_ids,
        "draft_ids": draft_ids,
        "patient_ids": patient_ids.iter().take(1000).collect::<Vec<_>>(),
        "intakes": n_intakes,
        "drafts": n_drafts,
        "patients": n_patients,
        "courses": seeded.as_ref().map_or(0, |s| s.courses),
        "sessions": seeded.as_ref().map_or(0, |s| s.sessions),
        "checkins": seeded.as_ref().map_or(0, |s| s.checkins),
        "checkin_ids": seeded.as_ref().map(|s| s.open_checkins.clone()).unwrap_or_default(),
        "seconds": started.elapsed().as_secs_f64(),
    });
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(out, serde_json::to_vec(&report)?)?;
    eprintln!(
        "seeded {n_intakes} intakes, {n_drafts} drafts, {n_patients} patients in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
