//! What every instrument module provides, and the reading and banding helpers their scoring
//! shares.

use serde_json::Value;

use super::form::Instrument;
use crate::screening::answers::Reader;
use crate::screening::model::{Cutoffs, ScoreResult};

/// What every instrument module provides.
pub struct Module {
    /// The questionnaire as it is shown and documented.
    pub definition: fn() -> Instrument,
    /// Reads the answers (every bad item is recorded on the reader) and scores them; `None`
    /// when something needed is missing or invalid.
    pub score: fn(&mut Reader<'_>, &Cutoffs) -> Option<ScoreResult>,
    /// The configurable cut-offs its rules use, as recorded on each result.
    pub cutoffs: fn(&Cutoffs) -> Vec<(&'static str, Value)>,
    /// A realistic answer set, shown in the OpenAPI document with its computed result.
    pub example: fn() -> Value,
}

/// Reads items `first..=last` as integers in `min..=max`; `None` if any is missing or invalid.
pub(super) fn items(r: &mut Reader<'_>, first: u32, last: u32, min: i64, max: i64) -> Option<Vec<i64>> {
    let values: Vec<Option<i64>> = (first..=last).map(|i| r.int(&i.to_string(), min, max)).collect();
    values.into_iter().collect()
}

pub(super) fn band(total: i64, bands: &[(i64, &'static str)]) -> &'static str {
    // `bands` holds (upper bound inclusive, name) in ascending order.
    bands
        .iter()
        .find(|(max, _)| total <= *max)
        .map_or("severe", |(_, name)| name)
}
