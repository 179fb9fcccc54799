//! Accounts, passwords, bearer tokens and roles.
//!
//! Patients register themselves; administrators create staff accounts. Tokens are HS256 JWTs
//! issued here, or (optionally) tokens from the clinic's identity provider. Every request loads
//! the user row and the token's session, so a disabled account, a changed role or an ended
//! session takes effect at once.

pub mod actor;
pub mod api;
pub mod domain;
pub mod handlers;
pub mod lockout;
pub mod mfa;
pub mod password;
pub mod repo;
pub mod service;
pub mod sessions;
pub mod token;

pub use domain::{Actor, Role};
pub use token::{Identity, TokenService};

use utoipa_actix_web::service_config::ServiceConfig;

/// Registration, sign-in and the current user (`/api/v1/auth`).
pub fn auth_routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::register)
        .service(handlers::create_token)
        .service(handlers::refresh_token)
        .service(handlers::logout)
        .service(handlers::list_sessions)
        .service(handlers::revoke_session)
        .service(handlers::change_password)
        .service(handlers::start_totp_enrolment)
        .service(handlers::confirm_totp_enrolment)
        .service(handlers::disable_totp)
        .service(handlers::verify_mfa)
        .service(handlers::get_current_user);
}

/// Staff accounts (`/api/v1/users`).
pub fn user_routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::create_user)
        .service(handlers::list_users)
        .service(handlers::update_user)
        .service(handlers::revoke_user_sessions)
        .service(handlers::reset_user_mfa);
}
