//! Failed attempts and the lockout they trigger: wrong passwords, wrong second-factor codes and
//! wrong current passwords all count against the account (and sign-ins also against the client
//! address). Kept in the database so that every instance of the service shares the counts.

use std::time::Duration;

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use super::repo;
use crate::db::DbConn;
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

/// Seconds to wait when any of `keys` (each with its limit) is over its limit, else `None`.
pub fn retry_after(conn: &mut DbConn, keys: &[(&str, i64)], now: NaiveDateTime) -> Result<Option<u64>, ApiError> {
    let window = window()?;
    for (key, max) in keys {
        let (count, oldest) = repo::recent_failures(conn, key, now - window)?;
        if count >= *max {
            let until = oldest.map(|o| o + window).unwrap_or(now + window);
            return Ok(Some((until - now).num_seconds().max(1) as u64));
        }
    }
    Ok(None)
}

/// The account's lock, as a 429, if it is locked.
pub fn check_account(conn: &mut DbConn, key: &str, now: NaiveDateTime) -> Result<(), ApiError> {
    match retry_after(conn, &[(key, MAX_PER_ACCOUNT)], now)? {
        Some(retry_after_secs) => Err(ApiError::TooManyRequests { retry_after_secs }),
        None => Ok(()),
    }
}

/// Counts one failure against each key (and forgets those older than the window).
pub fn record(conn: &mut DbConn, keys: &[&str], now: NaiveDateTime) -> Result<(), ApiError> {
    repo::prune_failures(conn, now - window()?)?;
    for key in keys {
        repo::record_failure(conn, key, now)?;
    }
    Ok(())
}
