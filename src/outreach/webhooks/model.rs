//! Webhook events and secrets (pure).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

crate::wire_enum!(
    /// What an endpoint may subscribe to (INTEGRATIONS.md, "Webhooks").
    WebhookEvent {
        IntakeSubmitted = "intake.submitted",
        IntakeStatusChanged = "intake.status_changed",
        IntakeUrgentFlag = "intake.urgent_flag",
        CourseCreated = "course.created",
        SessionCompleted = "session.completed",
        CheckinCompleted = "checkin.completed",
        CheckinUrgentFlag = "checkin.urgent_flag",
        CourseOutcomeChanged = "course.outcome_changed",
        Ping = "ping",
    }
);

/// A new signing secret: `whsec_` and 32 random bytes in base64 (Standard Webhooks).
pub fn new_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("whsec_{}", STANDARD.encode(bytes)))
}

/// The stored form of a subscription list: names joined by commas.
pub fn join(events: &[WebhookEvent]) -> String {
    let mut names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

/// The stored list back; names this build does not know are dropped.
pub fn split(stored: &str) -> Vec<WebhookEvent> {
    stored.split(',').filter_map(WebhookEvent::parse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_subscriptions() {
        let s = new_secret().unwrap();
        assert!(s.starts_with("whsec_"));
        assert_eq!(crate::outreach::signature::key_of(&s).unwrap().len(), 32);
        let stored = join(&[WebhookEvent::Ping, WebhookEvent::IntakeSubmitted, WebhookEvent::Ping]);
        assert_eq!(stored, "intake.submitted,ping");
        assert_eq!(split(&stored), vec![WebhookEvent::IntakeSubmitted, WebhookEvent::Ping]);
    }
}
