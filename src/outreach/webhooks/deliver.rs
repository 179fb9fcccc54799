//! Delivering one webhook message: the endpoint's URL checked again (it may resolve elsewhere
//! now), the body signed with the current secret and, during a rotation's overlap, the previous
//! one too (Standard Webhooks: space-separated signatures), a 2xx within 10 s is success. Every
//! attempt is logged for `GET /webhooks/{id}/deliveries`.

use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use serde::Deserialize;

use super::guard;
use super::repo::{self, DeliveryRow};
use super::service::seal_context;
use crate::db::DbConn;
use crate::outreach::outbox::repo::OutboxRow;
use crate::outreach::seal::Sealer;
use crate::outreach::senders::{SendError, Undelivered, http_agent, http_config};
use crate::outreach::signature;

const TIMEOUT: Duration = Duration::from_secs(10);

pub struct WebhookSender {
    agent: ureq::Agent,
    allow_private: bool,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    event: String,
}

impl WebhookSender {
    pub fn new(allow_private: bool) -> Self {
        let agent = agent(TIMEOUT, allow_private);
        Self { agent, allow_private }
    }

    pub fn send(
        &self,
        conn: &mut DbConn,
        sealer: &Sealer,
        row: &OutboxRow,
        now: NaiveDateTime,
    ) -> Result<(), Undelivered> {
        let endpoint = repo::find(conn, &row.recipient)
            .map_err(|e| SendError(format!("database: {e}")))?
            .ok_or(Undelivered::Withdrawn("not sent: the endpoint was deleted"))?;
        if endpoint.disabled {
            return Err(SendError("the endpoint is paused (disabled)".into()).into());
        }
        let event = serde_json::from_str::<Envelope>(&row.payload)
            .map(|e| e.event)
            .unwrap_or_default();
        let started = Instant::now();
        let result = self.post(&endpoint, sealer, row, now);
        let (status_code, error) = match &result {
            Ok(code) => (Some(i32::from(*code)), None),
            Err((code, e)) => (code.map(i32::from), Some(e.clone())),
        };
        let log = DeliveryRow {
            id: uuid::Uuid::now_v7().to_string(),
            endpoint_id: endpoint.id.clone(),
            message_id: row.id.clone(),
            event_type: event,
            status_code,
            duration_ms: i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX),
            error: error.clone(),
            attempted_at: now,
        };
        repo::record_delivery(conn, &log).map_err(|e| SendError(format!("database: {e}")))?;
        match error {
            None => Ok(()),
            Some(e) => Err(SendError(e).into()),
        }
    }

    /// The status code of a 2xx answer, or what went wrong (with the code, if there was one).
    fn post(
        &self,
        endpoint: &repo::EndpointRow,
        sealer: &Sealer,
        row: &OutboxRow,
        now: NaiveDateTime,
    ) -> Result<u16, (Option<u16>, String)> {
        // The addresses are checked by the client's resolver, on the ones it connects to.
        guard::check_form(&endpoint.url, self.allow_private).map_err(|why| (None, format!("url {why}")))?;
        let mut secrets = vec![
            sealer
                .open(&endpoint.secret, &seal_context(&endpoint.id, "secret"))
                .map_err(|e| (None, e))?,
        ];
        if let (Some(previous), Some(until)) = (&endpoint.previous_secret, endpoint.previous_until)
            && until > now
        {
            secrets.push(
                sealer
                    .open(previous, &seal_context(&endpoint.id, "previous"))
                    .map_err(|e| (None, e))?,
            );
        }
        let timestamp = chrono::Utc::now().timestamp();
        let body = row.payload.as_bytes();
        let signatures: Vec<String> = secrets
            .iter()
            .filter_map(|s| signature::key_of(s))
            .map(|key| signature::sign(&key, &row.id, timestamp, body))
            .collect();
        let response = self
            .agent
            .post(&endpoint.url)
            .header("content-type", "application/json")
            .header("webhook-id", &row.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signatures.join(" "))
            .send(body)
            .map_err(|e| (None, format!("request: {e}")))?;
        let code = response.status().as_u16();
        if response.status().is_success() {
            Ok(code)
        } else {
            Err((Some(code), format!("the endpoint answered {code}")))
        }
    }
}

/// The webhook client: unless `allow_private`, only `https`, and only to public addresses,
/// checked by its resolver on the addresses it then connects to ([`guard::PublicOnly`]).
fn agent(timeout: Duration, allow_private: bool) -> ureq::Agent {
    if allow_private {
        return http_agent(timeout, false);
    }
    ureq::Agent::with_parts(
        http_config(timeout, true),
        ureq::unversioned::transport::DefaultConnector::new(),
        guard::PublicOnly,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_refuses_internal_addresses_it_resolves() {
        // The URLs pass the checks that need no lookup; the client's own lookup refuses them,
        // before any connection is made.
        let agent = agent(Duration::from_secs(2), false);
        for url in [
            "https://localhost:9/hook",
            "https://127.0.0.1:9/hook",
            "https://[::1]:9/hook",
        ] {
            assert_eq!(guard::check_form(url, false), Ok(()));
            let err = agent.post(url).send("{}").unwrap_err().to_string();
            assert!(
                err.contains("a loopback, private or link-local address"),
                "{url}: {err}"
            );
        }
    }
}
