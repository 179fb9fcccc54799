//! Server time. Stored as naive UTC `TIMESTAMP` (the type both backends share), at microsecond
//! precision so a value reads back identically from SQLite and PostgreSQL.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// A stored UTC timestamp as an RFC 3339 instant for the API.
pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}
