//! Check-ins: the patient's short questionnaires before each session and after the course,
//! created by the server from the plan (`plan`), answered through the intake's scoring
//! (`service`).

pub mod plan;
pub mod schedule;
pub mod service;
