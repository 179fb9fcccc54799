//! The pure screening core: the instruments (one module each under `instruments/`, definition
//! and scoring side by side, in English and Spanish), the catalogue built from them, which
//! instruments an intake needs (`policy`), ketamine safety triage, MME, the eligibility
//! summary and treatment outcomes (`outcomes`). Rules and cut-offs follow CLINICAL.md.
//!
//! Pure: no HTTP, storage, users or settings. It imports nothing above `validation` and
//! `text`; the intake submit, the clinician exam and the `instruments` routes call it.

pub mod answers;
pub mod catalogue;
pub mod drugs;
pub mod instruments;
pub mod mme;
pub mod model;
pub mod outcomes;
pub mod policy;
pub mod safety;
pub mod scoring;
