//! The transactional outbox (INTEGRATIONS.md, "The outbox"): every message (email, SMS,
//! webhook) is written in the transaction of the change that causes it, then delivered by a
//! worker with retries ([`backoff`]); several instances on one PostgreSQL never take the same
//! message ([`repo::lease`]). Delivery is at least once: the message id lets receivers
//! deduplicate.

pub mod backoff;
pub mod model;
pub mod repo;
