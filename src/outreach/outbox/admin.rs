//! What administrators see of the outbox and the retry they may ask for. A message's recipient
//! and content are never shown: an address is patient data, and the content carries a link.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::model::{Channel, OutboxStatus};
use super::repo::{self, OutboxRow};
use crate::audit::event::{self as audit, AuditEvent};
use crate::clock;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::http::pagination::{self, CursorCodec, Page, Paged};
use crate::state::Caller;

/// One message's delivery state.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01935b8e-6f1a-7c3e-9d2b-4a5f6e7d8c9b", "channel": "email", "status": "failed", "attempts": 2,
    "last_error": "smtp: Connection refused (os error 111)", "next_attempt_at": "2026-12-02T10:00:15Z",
    "created_at": "2026-12-02T10:00:00Z", "sent_at": null
}))]
pub struct OutboxMessage {
    /// Also the id receivers deduplicate by (`webhook-id`, the email's `Message-ID`).
    pub id: Uuid,
    pub channel: Channel,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// When a pending or failed message is tried next.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

crate::paged_query! {
    /// Filters of `GET /api/v1/outbox`.
    #[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
    #[serde(deny_unknown_fields)]
    #[into_params(parameter_in = Query)]
    pub struct OutboxListQuery {
        pub status: Option<OutboxStatus>,
        pub channel: Option<Channel>,
    }
}

fn message(row: OutboxRow) -> Result<OutboxMessage, ApiError> {
    let waiting = matches!(row.status, OutboxStatus::Pending | OutboxStatus::Failed);
    Ok(OutboxMessage {
        id: Uuid::parse_str(&row.id).map_err(ApiError::internal)?,
        channel: row.channel,
        status: row.status,
        attempts: row.attempts,
        last_error: row.last_error,
        next_attempt_at: waiting.then(|| clock::utc(row.next_attempt_at)),
        created_at: clock::utc(row.created_at),
        sent_at: row.sent_at.map(clock::utc),
    })
}

/// Messages, newest first (administrators).
pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    q: &OutboxListQuery,
    codec: &CursorCodec,
) -> Result<Page<OutboxMessage>, ApiError> {
    caller.actor.require_admin()?;
    let query_key = format!(
        "outbox|status={}|channel={}",
        q.status.map_or("", |s| s.as_str()),
        q.channel.map_or("", |c| c.as_str())
    );
    let after: Option<(NaiveDateTime, String)> = codec.after(&query_key, q)?;
    let limit = q.limit();
    let rows = repo::list(conn, q.status, q.channel, after, limit + 1)?;
    let page = pagination::finish_page(
        rows,
        limit,
        codec,
        &query_key,
        |r| serde_json::json!((r.created_at, &r.id)),
        message,
    );
    Ok(Page {
        items: page.items.into_iter().collect::<Result<_, _>>()?,
        next_cursor: page.next_cursor,
    })
}

/// Sends a failed or dead message again now, with a fresh set of attempts (audited).
pub fn retry(conn: &mut DbConn, caller: &Caller, id: Uuid) -> Result<OutboxMessage, ApiError> {
    caller.actor.require_admin()?;
    let id = id.to_string();
    let row = repo::find(conn, &id)?.ok_or(ApiError::NotFound("message"))?;
    if !repo::retry(conn, &id, clock::now())? {
        return Err(ApiError::conflict(format!(
            "only a failed or dead message is retried; this one is {}",
            row.status.as_str()
        )));
    }
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("outbox.retry", "outbox_message", &id)],
    )?;
    message(repo::find(conn, &id)?.ok_or(ApiError::NotFound("message"))?)
}
