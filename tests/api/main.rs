//! Integration tests through the real HTTP stack, each on SQLite and on PostgreSQL.

mod helpers;

mod migrations;
mod openapi;
mod service;
