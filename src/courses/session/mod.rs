//! One infusion session: its blocks (`blocks`), the pure rules over them — the dose
//! arithmetic, completeness and the session flags (`flags`) — and the service (`service`).

pub mod blocks;
pub mod flags;
pub mod service;
