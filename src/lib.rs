//! Patient-intake API for ketamine-infusion pain clinics.
//!
//! # Layout
//! Dependencies point down: `app` → features → `state`/`http` → `auth`/`audit` → storage and
//! plain types; no import circle spans more than one module (read `grep -rn 'crate::' src`).
//!
//! * `app` assembles the HTTP tree and the OpenAPI document and mounts every feature's routes
//!   (intake, review and FHIR side by side under `/api/v1/intakes`). Nothing imports it but
//!   `main`, the tests and the spec.
//! * Features own their routes, types, rules and queries: `auth` (accounts, tokens, roles),
//!   `patients` (profiles), `audit` (the trail and the patient's access log), `instruments`
//!   (the catalogue and score previews), `intake` (sections, draft, submit, read, rescore,
//!   worklist index), `review` (worklist, review steps, exam), `courses` (treatment courses,
//!   sessions with their pure flags, check-ins with their pure plan, outcomes), `outreach`
//!   (invitations by link, reminders, the transactional outbox and its delivery worker), `fhir` (R4
//!   export of intakes and courses, SDC Questionnaires, QuestionnaireResponses in), `system`
//!   (health, readiness, metrics). Handlers turn HTTP into service calls and domain values into
//!   responses; services hold the rules and audit; `repo` modules hold the queries.
//! * `state` is the running service (`AppState`) and authenticated access: it loads the caller
//!   with the work, runs writes in a transaction, and commits reads' audit events before the
//!   response leaves. `http` holds what every route shares: request context and middleware,
//!   extractors that name bad fields, ETags, cursor pagination, idempotency, OpenAPI parts.
//! * `screening` is the pure clinical core: one module per instrument (definition and scoring),
//!   the catalogue, which instruments an intake needs, safety triage, MME, outcome rules. It imports nothing
//!   above `validation` and `text`.
//! * At the bottom: `db` (connections, pool, migrations), `schema`, `ids` (typed ids, JSON and
//!   enum columns), `error` (RFC 9457 problems; it reads the request id from the leaf
//!   `http::context`), `validation` (field issues and rules), `config` (settings, typed with
//!   `screening`'s codes and cut-offs), `clock`, `text`, `telemetry`.
//!
//! Data flows one way: handler (extract, convert) → service (transaction, rules, audit) →
//! repository (diesel) → database.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod app;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod config;
pub mod courses;
pub mod db;
pub mod error;
pub mod fhir;
pub mod http;
pub mod ids;
pub mod instruments;
pub mod intake;
pub mod outreach;
pub mod patients;
pub mod review;
pub mod schema;
pub mod screening;
pub mod state;
pub mod system;
pub mod telemetry;
pub mod text;
pub mod validation;
pub mod vault;
