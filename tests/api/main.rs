//! Integration tests through the real HTTP stack, each on SQLite and on PostgreSQL.

mod helpers;

mod audit_chain;
mod auth;
mod bad_input;
mod courses;
mod delivery;
mod encryption;
mod errors;
mod instruments;
mod intakes;
mod invitations;
mod matrix;
mod mfa;
mod migrations;
mod openapi;
mod outbox;
mod patients;
mod questionnaires;
mod reviews;
mod service;
mod sessions;
mod sinks;
mod webhooks;
