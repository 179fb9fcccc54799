//! The intake document's sections: typed, validated, documented.
//!
//! A draft may hold any subset of sections, and a section may be partly filled in; every value
//! it holds must be valid in shape (type, enum, range, length). Completeness is checked at submit
//! (`completeness.rs`). Safety answers are tri-state or carry `unsure`, so "don't know" reaches
//! the clinician instead of silently becoming "no" (INTAKE-FIELDS.md).

#[macro_use]
mod choice;
pub mod consent;
pub mod demographics;
pub mod logistics;
pub mod medical_history;
pub mod pain;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use self::choice::{NoneAnswer, YesNoUnsure, exclusive_none, partial_date};
pub use self::consent::*;
pub use self::demographics::*;
pub use self::logistics::*;
pub use self::medical_history::*;
pub use self::pain::*;
use crate::error::ApiError;
use crate::ids::Json;
use crate::screening::model::PainType;

/// Answers by instrument code, in the wire format of CLINICAL.md.
pub type Screenings = crate::screening::policy::Answers;

/// The whole intake document. Every section is optional in a draft.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Sections {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demographics: Option<Demographics>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medical_history: Option<MedicalHistory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pain: Option<Pain>,
    /// Answers by instrument code (`phq9`, `gad7`, …), each in the wire format.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>, example = json!({"phq9": {"1": 1, "2": 2, "3": 3, "4": 2, "5": 1, "6": 1, "7": 1, "8": 0, "9": 0}}))]
    pub screenings: Option<Screenings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logistics: Option<Logistics>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
}

impl Sections {
    /// The document as stored and returned: every field never answered left out (so a `null`
    /// sent for an optional field and a field never sent read back the same).
    pub fn document(&self) -> Result<serde_json::Value, ApiError> {
        fn strip(v: &mut serde_json::Value) {
            match v {
                serde_json::Value::Object(m) => {
                    m.retain(|_, x| !x.is_null());
                    m.values_mut().for_each(strip);
                }
                serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
                _ => {}
            }
        }
        let mut v = serde_json::to_value(self).map_err(ApiError::internal)?;
        strip(&mut v);
        Ok(v)
    }

    /// The stored form of [`Sections::document`].
    pub fn to_json(&self) -> Result<Json<Sections>, ApiError> {
        Json::from_value(&self.document()?)
    }

    /// The kinds of the pain conditions (each once): they decide the conditional instruments.
    pub fn pain_types(&self) -> Vec<PainType> {
        let mut types: Vec<PainType> = self
            .pain
            .as_ref()
            .and_then(|p| p.conditions.as_ref())
            .into_iter()
            .flatten()
            .filter_map(|c| c.kind)
            .collect();
        types.sort();
        types.dedup();
        types
    }
}
