//! Treatment courses after an approved intake (FOLLOW-UP.md): the course and its protocol,
//! infusion sessions with monitoring, the patient's check-ins and the outcomes measured from
//! them.
//!
//! Pure parts, unit-tested like scoring: the session blocks' dose arithmetic, completeness and
//! flags (`session::flags`), the check-in plan (`checkin::plan`) and the outcome computation
//! (`outcome`, over the rules of `screening::outcomes`). `repo` holds every query.

pub mod access;
pub mod api;
pub mod checkin;
pub mod course;
pub mod handlers;
pub mod outcome;
pub mod protocol;
pub mod repo;
pub mod session;
pub mod status;

/// `/api/v1/courses`.
pub fn course_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(handlers::create_course)
        .service(handlers::list_courses)
        .service(handlers::get_course)
        .service(handlers::end_course)
        .service(handlers::course_outcomes)
        .service(handlers::create_session)
        .service(handlers::list_course_sessions)
        .service(handlers::list_course_checkins);
}

/// `/api/v1/sessions`.
pub fn session_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(handlers::get_session)
        .service(handlers::patch_session)
        .service(handlers::complete_session)
        .service(handlers::cancel_session);
}

/// `/api/v1/checkins`.
pub fn checkin_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(handlers::get_checkin).service(handlers::submit_checkin);
}

/// `/api/v1/me/checkins`.
pub fn me_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(handlers::my_checkins);
}
