//! Intake capture: typed sections, server-owned drafts with optimistic concurrency, the
//! completeness-checked submit that scores on the server, idempotency, and consent evidence.
//!
//! By use-case: `draft` (create, patch, delete), `submit` (completeness, snapshot), `read`
//! (one intake, its submissions, list summaries); `rescore` is what the server computes from a
//! document, for the submit and the clinician's exam; `worklist_index` is the worklist's view of
//! the results; `access` says who may see an intake. Services return domain values; `handlers`
//! turn them into HTTP.

pub mod access;
pub mod api;
pub mod completeness;
pub mod consent;
pub mod draft;
pub mod handlers;
pub mod read;
pub mod repo;
pub mod rescore;
pub mod sections;
pub mod status;
pub mod submit;
pub mod triage;
pub mod worklist_index;

/// The intake document's routes (under `/api/v1/intakes`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(handlers::create_intake)
        .service(handlers::get_intake)
        .service(handlers::update_intake)
        .service(handlers::delete_intake)
        .service(handlers::submit_intake)
        .service(handlers::list_intake_submissions);
}

#[cfg(test)]
mod tests;
