//! Bodies of the instrument routes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::screening::catalogue::Instrument;
use crate::screening::model::Lang;

/// A catalogue entry.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": "phq9", "name": "Patient Health Questionnaire-9 (PHQ-9)", "version": "1.0",
    "item_count": 10, "languages": ["en", "es"], "licence": "public domain", "official_translation": true}))]
pub struct InstrumentSummary {
    pub code: String,
    pub name: String,
    pub version: String,
    pub item_count: usize,
    pub languages: Vec<Lang>,
    pub licence: String,
    /// Whether the Spanish text is the developers' official translation.
    pub official_translation: bool,
}

impl InstrumentSummary {
    pub fn new(i: &Instrument) -> Self {
        Self {
            code: i.code.as_str().into(),
            name: i.name.en.into(),
            version: i.version.into(),
            item_count: i.items.len(),
            languages: vec![Lang::En, Lang::Es],
            licence: i.licence.into(),
            official_translation: i.official_translation,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OptionDto {
    /// The value to send in `answers` (number, string or boolean).
    #[schema(schema_with = scalar, example = 2)]
    pub value: serde_json::Value,
    #[schema(example = "More than half the days")]
    pub label: String,
}

/// One question.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemDto {
    /// Key in `answers`; `a.b` means key `b` inside object `a`.
    #[schema(example = "9")]
    pub id: String,
    pub text: String,
    /// `single_choice`, `multi_choice` (a list of option values), `boolean` or `integer`.
    #[serde(rename = "type")]
    #[schema(example = "single_choice")]
    pub kind: String,
    pub options: Vec<OptionDto>,
    /// Must be answered (when shown).
    pub required: bool,
    /// When the item is asked; absent means always.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shown_when: Option<String>,
    /// `patient`, or `clinician` for examination findings.
    #[schema(example = "patient")]
    pub answered_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BandDto {
    pub band: String,
    pub min: i64,
    pub max: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoringDto {
    pub rule_set: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_min: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_max: Option<i64>,
    pub bands: Vec<BandDto>,
    /// The cut-offs this clinic uses.
    #[schema(value_type = Object)]
    pub cutoffs: BTreeMap<String, serde_json::Value>,
}

/// Everything a frontend needs to render the questionnaire.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstrumentDetail {
    pub code: String,
    pub name: String,
    pub version: String,
    pub lang: Lang,
    pub licence: String,
    pub citation: String,
    pub recall_period: String,
    pub instructions: String,
    pub official_translation: bool,
    pub items: Vec<ItemDto>,
    pub scoring: ScoringDto,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// `en` (default) or `es`.
    pub lang: Option<Lang>,
}

/// Answers to one instrument, in the wire format of CLINICAL.md.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"answers": {"1": 1, "2": 2, "3": 3, "4": 2, "5": 1, "6": 1, "7": 1, "8": 0, "9": 1, "10": 1}}))]
pub struct ScoreRequest {
    /// Item id → answer.
    #[schema(value_type = Object)]
    pub answers: serde_json::Value,
}

/// A JSON number, string or boolean.
fn scalar() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Number, Type::String, Type::Boolean]))
        .build()
}
