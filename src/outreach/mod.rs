//! Reaching patients (INTEGRATIONS.md): invitations by link, reminders, and the transactional
//! outbox that carries every message.
//!
//! A change that causes a message writes it to the [`outbox`] in its own transaction; the
//! [`worker`] inside `serve` delivers it afterwards through the [`senders`] (SMTP, the SMS
//! gateway), with retries and a dead state. Invitation tokens exist in clear only in the
//! response that creates them and in the message that carries them: stored as hashes, and sealed
//! ([`seal`]) in the outbox until sent. [`reminders`] are rules that each name what is
//! unfinished; the outbox's dedupe key keeps them to one per rule and step.

pub mod invitations;
pub mod message;
pub mod outbox;
pub mod reminders;
pub mod seal;
pub mod senders;
pub mod signature;
pub mod webhooks;
pub mod worker;
