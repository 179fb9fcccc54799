//! Treatment outcomes per course and instrument (CLINICAL.md "Outcomes", rule set
//! `OUTCOMES-2026.1`): the change from a baseline to the latest score and its classification.
//! Information for the clinician; a classification never ends a course by itself.
//!
//! Pure: the caller finds the baseline (the approved intake's score, else the first completed
//! pre-session check-in) and the latest completed check-in, and stores what this returns with
//! the rule set and cut-offs, so it can be recomputed under a later rule set.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::screening::instruments::code::InstrumentCode;

pub const RULE_SET: &str = "OUTCOMES-2026.1";

/// The configurable cut-offs (CLINICAL.md: 10, 5, −50, −25, −30, +30), stored with each outcome.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OutcomeCutoffs {
    /// PHQ-9 / GAD-7: a baseline below this is no depression (anxiety) to respond.
    #[schema(example = 10)]
    pub mood_baseline_min: f64,
    /// PHQ-9 / GAD-7: a latest score below this is remission.
    #[schema(example = 5)]
    pub mood_remission_below: f64,
    /// PHQ-9 / GAD-7: a percent change at or below this is a response.
    #[schema(example = -50)]
    pub mood_response_pct: f64,
    /// PHQ-9 / GAD-7: at or below this (and not a response), a partial response.
    #[schema(example = -25)]
    pub mood_partial_pct: f64,
    /// Pain NRS / PEG: at or below this, substantial improvement (IMMPACT).
    #[schema(example = -50)]
    pub pain_substantial_pct: f64,
    /// Pain NRS / PEG: at or below this, moderate improvement (IMMPACT).
    #[schema(example = -30)]
    pub pain_moderate_pct: f64,
    /// Pain NRS / PEG: at or above this, worse.
    #[schema(example = 30)]
    pub pain_worse_pct: f64,
}

impl Default for OutcomeCutoffs {
    fn default() -> Self {
        Self {
            mood_baseline_min: 10.0,
            mood_remission_below: 5.0,
            mood_response_pct: -50.0,
            mood_partial_pct: -25.0,
            pain_substantial_pct: -50.0,
            pain_moderate_pct: -30.0,
            pain_worse_pct: 30.0,
        }
    }
}

/// Which rules an instrument's outcome follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeRules {
    /// PHQ-9 (NQF 0710 and 1885) and GAD-7 (the same rules, as trials apply them).
    Mood,
    /// Pain NRS (IMMPACT, Farrar 2001) and PEG (the same thresholds).
    Pain,
    /// PGIC: the latest answer's own result; no baseline.
    GlobalImpression,
}

impl OutcomeRules {
    /// The rules of an instrument, if it has an outcome.
    pub fn of(code: InstrumentCode) -> Option<Self> {
        match code {
            InstrumentCode::Phq9 | InstrumentCode::Gad7 => Some(OutcomeRules::Mood),
            InstrumentCode::PainNrs | InstrumentCode::Peg => Some(OutcomeRules::Pain),
            InstrumentCode::Pgic => Some(OutcomeRules::GlobalImpression),
            _ => None,
        }
    }
}

/// An outcome's classification (CLINICAL.md "Outcomes"; the wire values are fixed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    NotApplicable,
    Remission,
    Response,
    PartialResponse,
    NoResponse,
    SubstantialImprovement,
    ModerateImprovement,
    NoMeaningfulChange,
    Worse,
    MuchImproved,
    MinimallyImproved,
    NoChange,
}

/// The change from baseline to latest and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Assessment {
    /// latest − baseline; none without a baseline (PGIC).
    pub change: Option<f64>,
    /// change / baseline × 100, one decimal; none without a baseline or with a baseline of 0.
    pub percent_change: Option<f64>,
    pub classification: Classification,
}

fn one_decimal(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Classifies the change from `baseline` to `latest` (for PGIC, `latest` is the answer, 1–7).
/// The percent change is rounded to one decimal before it is compared, so the stored value
/// explains the classification (and −30 % is −30 %, not −29.999… in binary).
pub fn assess(rules: OutcomeRules, baseline: Option<f64>, latest: f64, cutoffs: &OutcomeCutoffs) -> Assessment {
    let change = baseline.map(|b| one_decimal(latest - b));
    let percent_change = baseline
        .filter(|b| *b != 0.0)
        .map(|b| one_decimal((latest - b) / b * 100.0));
    let classification = match rules {
        OutcomeRules::GlobalImpression => pgic_result(latest),
        OutcomeRules::Mood => match (baseline, percent_change) {
            (Some(b), Some(pct)) if b >= cutoffs.mood_baseline_min => {
                if latest < cutoffs.mood_remission_below {
                    Classification::Remission
                } else if pct <= cutoffs.mood_response_pct {
                    Classification::Response
                } else if pct <= cutoffs.mood_partial_pct {
                    Classification::PartialResponse
                } else {
                    Classification::NoResponse
                }
            }
            _ => Classification::NotApplicable,
        },
        OutcomeRules::Pain => match percent_change {
            None => Classification::NotApplicable,
            Some(pct) if pct <= cutoffs.pain_substantial_pct => Classification::SubstantialImprovement,
            Some(pct) if pct <= cutoffs.pain_moderate_pct => Classification::ModerateImprovement,
            Some(pct) if pct >= cutoffs.pain_worse_pct => Classification::Worse,
            Some(_) => Classification::NoMeaningfulChange,
        },
    };
    Assessment {
        change: if rules == OutcomeRules::GlobalImpression {
            None
        } else {
            change
        },
        percent_change: if rules == OutcomeRules::GlobalImpression {
            None
        } else {
            percent_change
        },
        classification,
    }
}

/// PGIC (Guy 1976): 1–2 much improved, 3 minimally improved, 4 no change, 5–7 worse.
fn pgic_result(answer: f64) -> Classification {
    match answer {
        a if a <= 2.0 => Classification::MuchImproved,
        a if a <= 3.0 => Classification::MinimallyImproved,
        a if a <= 4.0 => Classification::NoChange,
        _ => Classification::Worse,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Classification::*;

    fn mood(baseline: f64, latest: f64) -> Assessment {
        assess(OutcomeRules::Mood, Some(baseline), latest, &OutcomeCutoffs::default())
    }

    fn pain(baseline: f64, latest: f64) -> Assessment {
        assess(OutcomeRules::Pain, Some(baseline), latest, &OutcomeCutoffs::default())
    }

    #[test]
    fn mood_baseline_below_ten_is_not_applicable() {
        assert_eq!(mood(9.0, 2.0).classification, NotApplicable);
        assert_eq!(mood(10.0, 4.0).classification, Remission);
        // The change is still reported.
        assert_eq!(mood(9.0, 2.0).change, Some(-7.0));
        assert_eq!(mood(9.0, 2.0).percent_change, Some(-77.8));
    }

    #[test]
    fn mood_remission_is_a_latest_score_below_five() {
        assert_eq!(mood(12.0, 4.0).classification, Remission);
        // 12 → 5 is −58.3 %: a response, not a remission.
        assert_eq!(mood(12.0, 5.0).classification, Response);
    }

    #[test]
    fn mood_response_at_a_fifty_percent_drop() {
        // 20 → 10: −50.0 % exactly.
        let at = mood(20.0, 10.0);
        assert_eq!(
            (at.change, at.percent_change, at.classification),
            (Some(-10.0), Some(-50.0), Response)
        );
        // −49.9 % (not reachable with PHQ-9's integer totals; the rule's boundary itself).
        let just_short = assess(OutcomeRules::Mood, Some(1000.0), 501.0, &OutcomeCutoffs::default());
        assert_eq!(just_short.percent_change, Some(-49.9));
        assert_eq!(just_short.classification, PartialResponse);
    }

    #[test]
    fn mood_partial_response_at_a_quarter() {
        // 20 → 15: −25.0 %.
        assert_eq!(mood(20.0, 15.0).classification, PartialResponse);
        // 20 → 16: −20.0 %.
        assert_eq!(mood(20.0, 16.0).classification, NoResponse);
        // Worse is no response too.
        assert_eq!(mood(14.0, 20.0).classification, NoResponse);
    }

    #[test]
    fn pain_thresholds_follow_immpact() {
        assert_eq!(pain(8.0, 4.0).classification, SubstantialImprovement); // −50 %
        assert_eq!(pain(10.0, 7.0).classification, ModerateImprovement); // −30 %, not −29.999…
        assert_eq!(pain(10.0, 7.0).percent_change, Some(-30.0));
        let short = pain(1000.0, 701.0);
        assert_eq!(
            (short.percent_change, short.classification),
            (Some(-29.9), NoMeaningfulChange)
        );
        assert_eq!(pain(10.0, 13.0).classification, Worse); // +30 %
        assert_eq!(pain(1000.0, 1299.0).classification, NoMeaningfulChange); // +29.9 %
        assert_eq!(pain(0.0, 3.0).classification, NotApplicable);
        assert_eq!(pain(0.0, 3.0).percent_change, None);
    }

    #[test]
    fn peg_means_are_compared_after_rounding() {
        // PEG is a mean of three items: 6.0 → 4.2 is −30.0 %.
        let a = pain(6.0, 4.2);
        assert_eq!(a.percent_change, Some(-30.0));
        assert_eq!(a.classification, ModerateImprovement);
        assert_eq!(a.change, Some(-1.8));
    }

    #[test]
    fn pgic_is_the_latest_answer() {
        let cut = OutcomeCutoffs::default();
        let pgic = |answer: f64| assess(OutcomeRules::GlobalImpression, None, answer, &cut);
        assert_eq!(pgic(1.0).classification, MuchImproved);
        assert_eq!(pgic(2.0).classification, MuchImproved);
        assert_eq!(pgic(3.0).classification, MinimallyImproved);
        assert_eq!(pgic(4.0).classification, NoChange);
        assert_eq!(pgic(5.0).classification, Worse);
        assert_eq!(pgic(7.0).classification, Worse);
        assert_eq!((pgic(2.0).change, pgic(2.0).percent_change), (None, None));
    }

    #[test]
    fn configured_cutoffs_apply() {
        let strict = OutcomeCutoffs {
            mood_response_pct: -60.0,
            ..OutcomeCutoffs::default()
        };
        assert_eq!(
            assess(OutcomeRules::Mood, Some(20.0), 10.0, &strict).classification,
            PartialResponse
        );
    }

    #[test]
    fn rules_by_instrument() {
        assert_eq!(OutcomeRules::of(InstrumentCode::Phq9), Some(OutcomeRules::Mood));
        assert_eq!(OutcomeRules::of(InstrumentCode::Gad7), Some(OutcomeRules::Mood));
        assert_eq!(OutcomeRules::of(InstrumentCode::PainNrs), Some(OutcomeRules::Pain));
        assert_eq!(OutcomeRules::of(InstrumentCode::Peg), Some(OutcomeRules::Pain));
        assert_eq!(OutcomeRules::of(InstrumentCode::Asq), None);
    }
}
