//! Server-side scoring of every instrument, exactly as CLINICAL.md specifies (each instrument's
//! rules live in its module under `instruments/`). Invalid answers are a list of field issues
//! (422), never clamped, never prorated.

use std::collections::BTreeMap;

use serde_json::Value;

use super::answers::Reader;
use super::instruments::InstrumentCode;
use super::model::{Cutoffs, ScoreResult};
use crate::validation::FieldIssue;

pub type Scored = Result<ScoreResult, Vec<FieldIssue>>;

/// Scores `answers` for `code`; paths in issues start at `prefix`.
pub fn score(code: InstrumentCode, answers: &Value, prefix: &str, c: &Cutoffs) -> Scored {
    let mut r = Reader::new(answers, prefix);
    let result = (code.module().score)(&mut r, c);
    r.finish()?;
    // Every item read without issue, so scoring had all it needed.
    let mut result = result.ok_or_else(|| vec![FieldIssue::new(prefix, "invalid", "answers could not be scored")])?;
    result.cutoffs = cutoffs(code, c);
    Ok(result)
}

/// The cut-offs an instrument's rules use, as recorded on each result.
pub fn cutoffs(code: InstrumentCode, c: &Cutoffs) -> BTreeMap<String, Value> {
    (code.module().cutoffs)(c)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

#[cfg(test)]
mod tests;
