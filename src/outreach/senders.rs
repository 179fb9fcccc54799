//! The transports: email over SMTP (lettre) and SMS through the gateway's HTTP endpoint (ureq),
//! each a blocking call made by the delivery worker outside any database transaction.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::SmtpTransport;
use lettre::{Message, Transport};
use secrecy::ExposeSecret;
use serde::Serialize;

use super::message::Email;
use super::signature;
use crate::config::{SmsSettings, SmtpSettings};

/// The bound on one delivery attempt (connect, talk, answer).
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client of the SMS gateway and of webhooks: the system's TLS (OpenSSL) with its
/// roots, one bound on the whole exchange, no redirects (a gateway answers, and a redirect could
/// lead past a webhook's address check), and any status handed back as an answer.
pub fn http_agent(timeout: Duration, https_only: bool) -> ureq::Agent {
    http_config(timeout, https_only).into()
}

/// The configuration of [`http_agent`], for a client built with its own parts.
pub fn http_config(timeout: Duration, https_only: bool) -> ureq::config::Config {
    let tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::NativeTls)
        .root_certs(ureq::tls::RootCerts::PlatformVerifier)
        .build();
    ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_global(Some(timeout))
        .max_redirects(0)
        .http_status_as_error(false)
        .https_only(https_only)
        .build()
}

/// A failed delivery, as recorded in the message's `last_error` (no content, no recipient).
#[derive(Debug, Clone, PartialEq)]
pub struct SendError(pub String);

/// Why a message did not go out on this attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Undelivered {
    /// It must not go out any more (its link withdrawn, its work done, its endpoint deleted):
    /// recorded dead with this reason, never retried.
    Withdrawn(&'static str),
    /// The attempt failed; tried again after the backoff.
    Failed(SendError),
}

impl From<SendError> for Undelivered {
    fn from(e: SendError) -> Self {
        Undelivered::Failed(e)
    }
}

pub struct EmailSender {
    transport: SmtpTransport,
    from: Mailbox,
}

impl EmailSender {
    /// `smtps://` wraps the connection in TLS; `smtp://` upgrades with STARTTLS when the server
    /// offers it, and sends in clear otherwise only when `SMTP_REQUIRE_TLS` is off.
    pub fn new(settings: &SmtpSettings) -> anyhow::Result<Self> {
        let raw = settings.url.expose_secret();
        let url = if raw.starts_with("smtps://") || raw.contains("tls=") {
            raw.to_owned()
        } else {
            let mode = if settings.require_tls {
                "required"
            } else {
                "opportunistic"
            };
            let sep = if raw.contains('?') { '&' } else { '?' };
            format!("{raw}{sep}tls={mode}")
        };
        let transport = SmtpTransport::from_url(&url)
            .map_err(|e| anyhow::anyhow!("SMTP_URL: {e}"))?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        let from = settings.from.parse().map_err(|e| anyhow::anyhow!("EMAIL_FROM: {e}"))?;
        Ok(Self { transport, from })
    }

    /// Sends one message; `message_id` becomes its `Message-ID` so a retried send is
    /// recognisable as the same message.
    pub fn send(&self, to: &str, sender_name: &str, email: &Email, message_id: &str) -> Result<(), SendError> {
        let to: Mailbox = to
            .parse()
            .map_err(|_| SendError("recipient is not an email address".into()))?;
        let from = Mailbox::new(Some(sender_name.to_owned()), self.from.email.clone());
        let domain = self.from.email.domain().to_owned();
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(format!("<{message_id}@{domain}>")))
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .map_err(|e| SendError(format!("message: {e}")))?;
        self.transport
            .send(&message)
            .map(|_| ())
            .map_err(|e| SendError(format!("smtp: {e}")))
    }
}

#[derive(Serialize)]
struct SmsBody<'a> {
    to: &'a str,
    body: &'a str,
    message_id: &'a str,
}

pub struct SmsSender {
    agent: ureq::Agent,
    url: String,
    key: Vec<u8>,
}

impl SmsSender {
    pub fn new(settings: &SmsSettings) -> anyhow::Result<Self> {
        let key = signature::key_of(settings.secret.expose_secret())
            .ok_or_else(|| anyhow::anyhow!("SMS_WEBHOOK_SECRET: must be whsec_ followed by base64"))?;
        let agent = http_agent(SEND_TIMEOUT, false);
        Ok(Self {
            agent,
            url: settings.url.clone(),
            key,
        })
    }

    /// POSTs `{to, body, message_id}` signed like a webhook; a 2xx answer is a delivery.
    pub fn send(&self, to: &str, text: &str, message_id: &str, now: i64) -> Result<(), SendError> {
        let body = serde_json::to_vec(&SmsBody {
            to,
            body: text,
            message_id,
        })
        .map_err(|e| SendError(format!("body: {e}")))?;
        let signature = signature::sign(&self.key, message_id, now, &body);
        let response = self
            .agent
            .post(&self.url)
            .header("content-type", "application/json")
            .header("webhook-id", message_id)
            .header("webhook-timestamp", now.to_string())
            .header("webhook-signature", signature)
            .send(&body[..])
            .map_err(|e| SendError(format!("sms gateway: {e}")))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(SendError(format!("sms gateway answered {}", status.as_u16())))
        }
    }
}
