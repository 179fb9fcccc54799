//! Treatment courses after an approved intake (FOLLOW-UP.md): the course and its protocol,
//! infusion sessions with monitoring, follow-up check-ins and outcomes.
//!
//! Built in steps (issue 13). So far the pure parts: the protocol, a session's blocks with
//! their validation, the dose arithmetic and the session flags. Outcome rules live in
//! `screening::outcomes` (pure clinical rules, like scoring).

pub mod protocol;
pub mod session;
pub mod status;
