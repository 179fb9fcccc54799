//! Failed attempts and the lockout they trigger: wrong passwords, wrong second-factor codes and
//! wrong current passwords all count against the account (and sign-ins also against the client
//! address). Kept in the database so that every instance of the service shares the counts.

use std::time::Duration;

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use diesel::QueryResult;

use super::repo;
use crate::db::{self, DbConn};
use crate::error::ApiError;
use crate::text::hex;

/// Failed attempts allowed per account, and per client address, within [`WINDOW`]. The address
/// limit is higher because a clinic's staff may share one address.
pub const MAX_PER_ACCOUNT: i64 = 5;
pub const MAX_PER_ADDRESS: i64 = 50;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// The counter key of an account: a digest, so the table holds no email.
pub fn account_key(canonical_email: &str) -> String {
    format!("acct:{}", &hex(&Sha256::digest(canonical_email.as_bytes()))[..32])
}

/// The counter key of a client address.
pub fn address_key(addr: &str) -> String {
    format!("addr:{addr}")
}

fn window() -> Result<chrono::Duration, ApiError> {
    chrono::Duration::from_std(WINDOW).map_err(ApiError::internal)
}

/// One attempt (a password, a code), counted as a failure against its keys from before it is
/// checked until it is [`succeeded`]. It is recorded and committed before the count is taken,
/// so concurrent attempts are in each other's counts: a burst of requests gets no more guesses
/// than the limit (a count first and a record after would let the whole burst through).
#[must_use = "an attempt that succeeds must be released with `succeeded`"]
pub struct Attempt {
    ids: Vec<String>,
}

/// Takes an attempt against each key (with its limit), or answers 429 when any key already has
/// its limit of failures within the window (the refused attempt is not kept: it guessed nothing).
/// Runs its own write transaction: call it outside one.
pub fn begin(conn: &mut DbConn, keys: &[(&str, i64)], now: NaiveDateTime) -> Result<Attempt, ApiError> {
    let window = window()?;
    let ids = db::write_tx(conn, |conn| {
        repo::prune_failures(conn, now - window)?;
        keys.iter()
            .map(|(key, _)| {
                let id = uuid::Uuid::now_v7().to_string();
                repo::record_failure(conn, &id, key, now).map(|()| id)
            })
            .collect::<QueryResult<Vec<_>>>()
    })?;
    let attempt = Attempt { ids };
    for (key, max) in keys {
        // This attempt is in the count, hence "more than the limit".
        let (count, oldest) = repo::recent_failures(conn, key, now - window)?;
        if count > *max {
            repo::delete_failures(conn, &attempt.ids)?;
            let until = oldest.map(|o| o + window).unwrap_or(now + window);
            let retry_after_secs = (until - now).num_seconds().max(1) as u64;
            return Err(ApiError::TooManyRequests { retry_after_secs });
        }
    }
    Ok(attempt)
}

/// The attempt was right: it is no failure. (A wrong one is simply left counted.)
pub fn succeeded(conn: &mut DbConn, attempt: Attempt) -> Result<(), ApiError> {
    Ok(repo::delete_failures(conn, &attempt.ids)?)
}
