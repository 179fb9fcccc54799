//! Webhook endpoints (administrators) and the emission of events: an event becomes one outbox
//! message per subscribed endpoint, written in the transaction of the change it reports.

use chrono::NaiveDateTime;
use serde_json::{Value, json};
use uuid::Uuid;

use super::api::{
    CreateWebhookRequest, DeliveryListQuery, DeliveryResponse, PingResponse, UpdateWebhookRequest, WebhookResponse,
};
use super::guard;
use super::model::{self, WebhookEvent};
use super::repo::{self, EndpointRow};
use crate::audit::event::{self as audit, AuditEvent};
use crate::clock;
use crate::config::OutreachSettings;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::http::pagination::{self, CursorCodec, Page, Paged};
use crate::outreach::outbox::model::Channel;
use crate::outreach::outbox::repo::{self as outbox, OutboxRow};
use crate::outreach::seal::Sealer;
use crate::state::Caller;

/// How long a rotated-out secret keeps signing beside the new one.
pub const ROTATION_OVERLAP_HOURS: i64 = 24;

/// The seal context of an endpoint's secret: a sealed secret copied to another endpoint, or
/// from `previous` to `secret`, does not open.
pub fn seal_context(endpoint: &str, which: &str) -> String {
    format!("webhook:{endpoint}:{which}")
}

fn response(row: &EndpointRow, secret: Option<String>) -> Result<WebhookResponse, ApiError> {
    Ok(WebhookResponse {
        id: Uuid::parse_str(&row.id).map_err(ApiError::internal)?,
        url: row.url.clone(),
        events: model::split(&row.events),
        description: row.description.clone(),
        disabled: row.disabled,
        created_at: clock::utc(row.created_at),
        updated_at: clock::utc(row.updated_at),
        previous_secret_valid_until: secret.as_ref().and(row.previous_until).map(clock::utc),
        secret,
    })
}

/// An administrator's URL, checked (a name lookup: run it outside any transaction, so that no
/// lock waits for DNS).
pub fn checked_url(caller: &Caller, url: &str, settings: &OutreachSettings) -> Result<String, ApiError> {
    caller.actor.require_admin()?;
    let url = url.trim().to_owned();
    guard::check(&url, settings.webhook_allow_private).map_err(|why| ApiError::invalid("url", "not_allowed", why))?;
    Ok(url)
}

fn sealed(sealer: &Sealer, secret: &str, endpoint: &str, which: &str) -> Result<String, ApiError> {
    sealer
        .seal(secret, &seal_context(endpoint, which))
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))
}

fn find(conn: &mut DbConn, id: Uuid) -> Result<EndpointRow, ApiError> {
    repo::find(conn, &id.to_string())?.ok_or(ApiError::NotFound("webhook"))
}

fn audited(conn: &mut DbConn, caller: &Caller, action: &'static str, id: &str) -> Result<(), ApiError> {
    audit::record(conn, caller.origin(), &[AuditEvent::new(action, "webhook", id)])?;
    Ok(())
}

/// Registers an endpoint at `url` (from [`checked_url`]); its secret is in this answer only.
pub fn create(
    conn: &mut DbConn,
    caller: &Caller,
    req: CreateWebhookRequest,
    url: String,
    sealer: &Sealer,
) -> Result<WebhookResponse, ApiError> {
    caller.actor.require_admin()?;
    let secret = model::new_secret().map_err(|e| ApiError::internal(anyhow::anyhow!("random: {e}")))?;
    let id = Uuid::now_v7().to_string();
    let now = clock::now();
    let row = EndpointRow {
        secret: sealed(sealer, &secret, &id, "secret")?,
        id,
        url,
        events: model::join(&req.events),
        description: req.description.map(|d| d.trim().to_owned()),
        previous_secret: None,
        previous_until: None,
        disabled: false,
        created_by: caller.actor.user_id,
        created_at: now,
        updated_at: now,
    };
    repo::insert(conn, &row)?;
    audited(conn, caller, "webhook.create", &row.id)?;
    response(&row, Some(secret))
}

pub fn list(conn: &mut DbConn, caller: &Caller) -> Result<Page<WebhookResponse>, ApiError> {
    caller.actor.require_admin()?;
    let items = repo::all(conn)?
        .iter()
        .map(|r| response(r, None))
        .collect::<Result<_, _>>()?;
    Ok(Page {
        items,
        next_cursor: None,
    })
}

pub fn get(conn: &mut DbConn, caller: &Caller, id: Uuid) -> Result<WebhookResponse, ApiError> {
    caller.actor.require_admin()?;
    response(&find(conn, id)?, None)
}

/// Changes an endpoint; a new URL comes checked ([`checked_url`]).
pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    id: Uuid,
    req: UpdateWebhookRequest,
    url: Option<String>,
) -> Result<WebhookResponse, ApiError> {
    caller.actor.require_admin()?;
    let mut row = find(conn, id)?;
    if let Some(url) = url {
        row.url = url;
    }
    if let Some(events) = &req.events {
        row.events = model::join(events);
    }
    if let Some(d) = req.description {
        row.description = Some(d.trim().to_owned());
    }
    if let Some(disabled) = req.disabled {
        row.disabled = disabled;
    }
    row.updated_at = clock::now();
    repo::update(conn, &row)?;
    audited(conn, caller, "webhook.update", &row.id)?;
    response(&row, None)
}

/// Removes an endpoint and its delivery log; its undelivered messages are not sent.
pub fn delete(conn: &mut DbConn, caller: &Caller, id: Uuid) -> Result<(), ApiError> {
    caller.actor.require_admin()?;
    if !repo::delete(conn, &id.to_string())? {
        return Err(ApiError::NotFound("webhook"));
    }
    audited(conn, caller, "webhook.delete", &id.to_string())
}

/// A new secret; the old one keeps signing beside it for [`ROTATION_OVERLAP_HOURS`].
pub fn rotate(conn: &mut DbConn, caller: &Caller, id: Uuid, sealer: &Sealer) -> Result<WebhookResponse, ApiError> {
    caller.actor.require_admin()?;
    let mut row = find(conn, id)?;
    let old = sealer
        .open(&row.secret, &seal_context(&row.id, "secret"))
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
    let secret = model::new_secret().map_err(|e| ApiError::internal(anyhow::anyhow!("random: {e}")))?;
    let now = clock::now();
    row.previous_secret = Some(sealed(sealer, &old, &row.id, "previous")?);
    row.previous_until = Some(now + chrono::Duration::hours(ROTATION_OVERLAP_HOURS));
    row.secret = sealed(sealer, &secret, &row.id, "secret")?;
    row.updated_at = now;
    repo::update(conn, &row)?;
    audited(conn, caller, "webhook.rotate_secret", &row.id)?;
    response(&row, Some(secret))
}

pub fn deliveries(
    conn: &mut DbConn,
    caller: &Caller,
    id: Uuid,
    q: &DeliveryListQuery,
    codec: &CursorCodec,
) -> Result<Page<DeliveryResponse>, ApiError> {
    caller.actor.require_admin()?;
    let row = find(conn, id)?;
    let query_key = format!("webhook-deliveries|{}", row.id);
    let after: Option<(NaiveDateTime, String)> = codec.after(&query_key, q)?;
    let limit = q.limit();
    let rows = repo::deliveries(conn, &row.id, after, limit + 1)?;
    let page = pagination::finish_page(
        rows,
        limit,
        codec,
        &query_key,
        |r| json!((r.attempted_at, &r.id)),
        |r| -> Result<DeliveryResponse, ApiError> {
            Ok(DeliveryResponse {
                message_id: Uuid::parse_str(&r.message_id).map_err(ApiError::internal)?,
                event: r.event_type,
                status_code: r.status_code,
                duration_ms: r.duration_ms,
                error: r.error,
                attempted_at: clock::utc(r.attempted_at),
            })
        },
    );
    Ok(Page {
        items: page.items.into_iter().collect::<Result<_, _>>()?,
        next_cursor: page.next_cursor,
    })
}

fn message(endpoint: &str, event: WebhookEvent, data: &Value, now: NaiveDateTime) -> OutboxRow {
    let payload = json!({"type": event.as_str(), "timestamp": clock::utc(now), "data": data});
    OutboxRow::new(Channel::Webhook, endpoint.to_owned(), payload.to_string(), now)
}

/// Sends a `ping` to one endpoint (through the outbox, like every event).
pub fn ping(conn: &mut DbConn, caller: &Caller, id: Uuid) -> Result<PingResponse, ApiError> {
    caller.actor.require_admin()?;
    let row = find(conn, id)?;
    let now = clock::now();
    let m = message(&row.id, WebhookEvent::Ping, &json!({"webhook_id": row.id}), now);
    outbox::enqueue(conn, &m)?;
    audited(conn, caller, "webhook.test", &row.id)?;
    Ok(PingResponse {
        message_id: Uuid::parse_str(&m.id).map_err(ApiError::internal)?,
    })
}

/// Writes `event` for every endpoint subscribed to it, in the caller's transaction. `data` holds
/// ids and statuses only: never a name, an answer or a note. Returns how many were written.
pub fn emit(conn: &mut DbConn, event: WebhookEvent, data: Value, now: NaiveDateTime) -> diesel::QueryResult<usize> {
    let mut written = 0;
    for (endpoint, events) in repo::subscriptions(conn)? {
        if model::split(&events).contains(&event) {
            outbox::enqueue(conn, &message(&endpoint, event, &data, now))?;
            written += 1;
        }
    }
    Ok(written)
}
