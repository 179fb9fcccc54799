//! `Idempotency-Key` for creating and submitting intakes: [`once`] runs a change once per key
//! inside the request's transaction, and [`retry_race`] replays what a concurrent duplicate
//! committed.
//!
//! The same key with the same request replays the first response without a second effect; the
//! same key with a different request is a 422. Keys live in the database (every instance sees
//! them) for 24 hours, scoped to the user. The key row is written first in the request's own
//! transaction: a concurrent duplicate waits on it (PostgreSQL row lock, SQLite's single writer)
//! and then replays the committed response, or does the work itself if the first one failed.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::etag::etag;
use crate::clock;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::UserId;
use crate::schema::idempotency_keys;
use crate::text::hex;
use crate::vault;

pub const HEADER: &str = "idempotency-key";
pub const TTL: chrono::Duration = chrono::Duration::hours(24);

/// A key and the fingerprint of the request it was sent with.
#[derive(Debug, Clone)]
pub struct Key {
    pub key: String,
    pub fingerprint: String,
}

/// Reads `Idempotency-Key` (1–255 visible ASCII characters) and fingerprints the request.
pub fn from_request(req: &HttpRequest, body: &str) -> Result<Option<Key>, ApiError> {
    let Some(raw) = req.headers().get(HEADER) else {
        return Ok(None);
    };
    let key = raw
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    let key =
        key.ok_or_else(|| ApiError::BadRequest("Idempotency-Key must be 1-255 visible ASCII characters".into()))?;
    let mut h = Sha256::new();
    h.update(req.method().as_str());
    h.update(b" ");
    h.update(req.path());
    h.update(b"\n");
    h.update(body);
    let fingerprint = hex(&h.finalize());
    Ok(Some(Key {
        key: key.to_owned(),
        fingerprint,
    }))
}

/// A response as sent the first time.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub replayed: bool,
}

impl Reply {
    /// A JSON response, as it will be stored under the key.
    pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Result<Self, ApiError> {
        Ok(Self {
            status: status.as_u16(),
            body: serde_json::to_string(body).map_err(ApiError::internal)?,
            location: None,
            etag: None,
            replayed: false,
        })
    }

    pub fn location(mut self, location: String) -> Self {
        self.location = Some(location);
        self
    }

    /// `ETag` for `version`.
    pub fn version(mut self, version: i64) -> Self {
        self.etag = Some(etag(version));
        self
    }

    pub fn into_response(self) -> HttpResponse {
        let mut res = HttpResponse::build(StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK));
        res.content_type("application/json");
        if let Some(l) = self.location {
            res.insert_header((header::LOCATION, l));
        }
        if let Some(e) = self.etag {
            res.insert_header((header::ETAG, e));
        }
        if self.replayed {
            res.insert_header(("idempotent-replayed", "true"));
        }
        res.body(self.body)
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = idempotency_keys)]
struct KeyRow {
    fingerprint: String,
    status: i32,
    body: String,
    location: Option<String>,
    etag: Option<String>,
}

/// What to do with a request that carries a key.
enum Begin {
    /// First time: do the work, then [`finish`].
    Proceed,
    /// Seen before with the same request: send this again.
    Replay(Reply),
}

/// Runs `work` under `key` (when there is one) in the caller's write transaction: the first time
/// its reply is stored with the change; a retry with the same key and request gets the stored
/// reply back, and no second change, once `replayed` has accepted it: a replay discloses the
/// first response again, so it re-checks that the caller may still see what it names, and
/// audits it.
pub fn once(
    conn: &mut DbConn,
    user_id: UserId,
    key: Option<&Key>,
    replayed: impl FnOnce(&mut DbConn, &Reply) -> Result<(), ApiError>,
    work: impl FnOnce(&mut DbConn) -> Result<Reply, ApiError>,
) -> Result<Reply, ApiError> {
    if let Some(k) = key
        && let Begin::Replay(stored) = begin(conn, user_id, k)?
    {
        replayed(conn, &stored)?;
        return Ok(stored);
    }
    let reply = work(conn)?;
    if let Some(k) = key {
        finish(conn, user_id, k, &reply)?;
    }
    Ok(reply)
}

/// Runs an idempotent write, once more when a concurrent request with the same key committed
/// first, so this one replays its reply instead of failing.
pub async fn retry_race<Fut>(run: impl Fn() -> Fut) -> Result<Reply, ApiError>
where
    Fut: Future<Output = Result<Reply, ApiError>>,
{
    match run().await {
        Err(e) if is_race(&e) => run().await,
        other => other,
    }
}

/// Claims `key` for this user inside the caller's write transaction, or finds its response.
fn begin(conn: &mut DbConn, user_id: UserId, key: &Key) -> Result<Begin, ApiError> {
    let now = clock::now();
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::expires_at.le(now))).execute(conn)?;
    let existing = idempotency_keys::table
        .find((user_id, &key.key))
        .select(KeyRow::as_select())
        .first(conn)
        .optional()?;
    if let Some(row) = existing {
        if row.fingerprint != key.fingerprint {
            return Err(ApiError::invalid(
                "Idempotency-Key",
                "reused",
                "this Idempotency-Key was used with a different request; use a new key",
            ));
        }
        if row.status == 0 {
            return Err(ApiError::conflict(
                "a request with this Idempotency-Key is still in progress; retry shortly",
            ));
        }
        return Ok(Begin::Replay(Reply {
            status: row.status as u16,
            body: vault::open(&row.body, body_place(user_id, key, &mut String::new())).map_err(ApiError::internal)?,
            location: row.location,
            etag: row.etag,
            replayed: true,
        }));
    }
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user_id),
            idempotency_keys::key.eq(&key.key),
            idempotency_keys::fingerprint.eq(&key.fingerprint),
            idempotency_keys::status.eq(0),
            idempotency_keys::body.eq(""),
            idempotency_keys::created_at.eq(now),
            idempotency_keys::expires_at.eq(now + TTL),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(Begin::Proceed),
        // A concurrent request with the same key committed first (PostgreSQL): the caller
        // retries and replays it.
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            Err(ApiError::Conflict {
                detail: IN_FLIGHT.into(),
                allowed: None,
            })
        }
        Err(e) => Err(e.into()),
    }
}

const IN_FLIGHT: &str = "a request with this Idempotency-Key was completed concurrently";

/// Whether an error means "retry: the same key was just completed by another request".
fn is_race(e: &ApiError) -> bool {
    matches!(e, ApiError::Conflict { detail, .. } if detail == IN_FLIGHT)
}

/// Where a stored reply lives: its body (patient data) is sealed to the user and key.
fn body_place<'a>(user_id: UserId, key: &Key, row: &'a mut String) -> vault::Place<'a> {
    *row = format!("{user_id}/{}", key.key);
    vault::Place {
        table: "idempotency_keys",
        row,
        column: "body",
    }
}

/// Stores the response under the key (same transaction as the work).
fn finish(conn: &mut DbConn, user_id: UserId, key: &Key, reply: &Reply) -> Result<(), ApiError> {
    let body = vault::seal(&reply.body, body_place(user_id, key, &mut String::new())).map_err(ApiError::internal)?;
    diesel::update(idempotency_keys::table.find((user_id, &key.key)))
        .set((
            idempotency_keys::status.eq(i32::from(reply.status)),
            idempotency_keys::body.eq(&body),
            idempotency_keys::location.eq(&reply.location),
            idempotency_keys::etag.eq(&reply.etag),
        ))
        .execute(conn)?;
    Ok(())
}
