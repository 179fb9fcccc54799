//! The outbox's closed vocabularies, stored as their wire names.

crate::wire_enum!(
    /// How a message leaves.
    Channel {
        Email = "email",
        Sms = "sms",
        Webhook = "webhook",
    }
);

crate::wire_enum!(
    /// `pending → sent`, or `pending → failed → … → sent | dead`.
    OutboxStatus {
        /// Not tried yet.
        Pending = "pending",
        Sent = "sent",
        /// The last attempt failed; tried again at `next_attempt_at`.
        Failed = "failed",
        /// Every attempt failed; only an administrator's retry sends it again.
        Dead = "dead",
    }
);

impl Channel {
    /// Whether this server can send on the channel (its settings are present).
    pub fn configured(self, settings: &crate::config::OutreachSettings) -> bool {
        match self {
            Channel::Email => settings.smtp.is_some(),
            Channel::Sms => settings.sms.is_some(),
            // Sent to registered endpoints; nothing to configure.
            Channel::Webhook => true,
        }
    }
}
