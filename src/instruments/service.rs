//! The catalogue as this clinic offers it, and score previews.

use super::api::{BandDto, InstrumentDetail, InstrumentSummary, ItemDto, OptionDto, ScoringDto};
use crate::error::ApiError;
use crate::screening::catalogue::{self, Instrument};
use crate::screening::model::{Cutoffs, Lang, ScoreResult};
use crate::screening::policy::ScreeningConfig;
use crate::screening::scoring;

/// An instrument this clinic offers: unknown codes are 404; restricted ones that are off say why.
pub fn enabled(cfg: &ScreeningConfig, code: &str) -> Result<&'static Instrument, ApiError> {
    let inst = catalogue::lookup(code).ok_or(ApiError::NotFound("instrument"))?;
    if cfg.is_enabled(inst.code) {
        return Ok(inst);
    }
    Err(ApiError::NotEnabled(if inst.restricted {
        format!(
            "{} is restricted ({}); an administrator enables it with INSTRUMENTS_ENABLED once the clinic holds the licence",
            inst.code, inst.licence
        )
    } else {
        format!("{} is not enabled at this clinic (INSTRUMENTS_ENABLED)", inst.code)
    }))
}

pub fn list(cfg: &ScreeningConfig) -> Vec<InstrumentSummary> {
    catalogue::CATALOGUE
        .iter()
        .filter(|i| cfg.is_enabled(i.code))
        .map(InstrumentSummary::new)
        .collect()
}

pub fn detail(inst: &Instrument, lang: Lang, cutoffs: &Cutoffs) -> InstrumentDetail {
    InstrumentDetail {
        code: inst.code.as_str().into(),
        name: inst.name.get(lang).into(),
        version: inst.version.into(),
        lang,
        licence: inst.licence.into(),
        citation: inst.citation.into(),
        recall_period: inst.recall_period.get(lang).into(),
        instructions: inst.instructions.get(lang).into(),
        official_translation: inst.official_translation,
        items: inst
            .items
            .iter()
            .map(|it| ItemDto {
                id: it.id.into(),
                text: it.text.get(lang).into(),
                kind: it.kind.as_str().into(),
                options: it
                    .options
                    .iter()
                    .map(|o| OptionDto {
                        value: o.value.clone(),
                        label: o.label.get(lang).into(),
                    })
                    .collect(),
                required: !it.optional,
                shown_when: it.shown_when.map(str::to_owned),
                answered_by: if it.clinician { "clinician" } else { "patient" }.into(),
                minimum: it.min,
                maximum: it.max,
            })
            .collect(),
        scoring: ScoringDto {
            rule_set: inst.rule_set.into(),
            description: inst.scoring.into(),
            total_min: inst.total_range.map(|r| r.0),
            total_max: inst.total_range.map(|r| r.1),
            bands: inst
                .bands
                .iter()
                .map(|(b, min, max)| BandDto {
                    band: (*b).into(),
                    min: *min,
                    max: *max,
                })
                .collect(),
            cutoffs: scoring::cutoffs(inst.code, cutoffs),
        },
    }
}

/// Scores answers without storing anything; invalid answers are a 422 naming every bad item.
pub fn preview(inst: &Instrument, answers: &serde_json::Value, cutoffs: &Cutoffs) -> Result<ScoreResult, ApiError> {
    scoring::score(inst.code, answers, "answers", cutoffs).map_err(ApiError::Validation)
}
