//! Patient-intake API for ketamine-infusion pain clinics.
//!
//! # Layout
//! * `app` assembles the HTTP tree (used by `main`, the tests and the OpenAPI document);
//!   `config` reads typed settings; `db` is the SQLite/PostgreSQL connection, pool and
//!   migrations; `error` maps every failure to RFC 9457 problem+json; `extract` turns bad
//!   input into field-named problems; `request_context` adds request ids, logs and security
//!   headers; `openapi` holds the document's shared parts.
//! * `access` authenticates the caller and runs service code with auditing (writes in their
//!   transaction, reads through the group-committing audit sink).
//! * Features own their routes, types, rules and queries: `system` (health, readiness,
//!   metrics), `auth` (accounts, tokens, roles), `patients` (profiles), `audit` (the trail and
//!   the patient's access log), `screening` (instruments, scoring, safety triage; pure), `intake` (the intake
//!   document, drafts, submit), `review` (worklist, review steps, exam), `fhir` (R4 export).
//!
//! Data flows one way: handler (extract, convert) → service (transaction, rules, audit) →
//! repository (diesel) → database.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod app;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod fhir;
pub mod http;
pub mod ids;
pub mod instruments;
pub mod intake;
pub mod patients;
pub mod review;
pub mod schema;
pub mod screening;
pub mod state;
pub mod system;
pub mod telemetry;
pub mod text;
pub mod validation;
