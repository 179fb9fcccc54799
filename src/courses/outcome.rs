//! A course's outcomes from its measurements (CLINICAL.md "Outcomes"): the baseline (the
//! approved intake's score, else the first completed pre-session check-in), the latest completed
//! check-in, and the classification of `screening::outcomes`. Pure, like scoring: the service
//! loads the measurements and stores what this returns.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::api::{Baseline, BaselineSource, CourseOutcome, Latest, SeriesPoint};
use crate::screening::instruments::InstrumentCode;
use crate::screening::outcomes::{self, OutcomeCutoffs, OutcomeRules, RULE_SET};
use crate::screening::policy::Scores;

/// Scores measured at one time: the intake's, or a completed check-in's.
pub struct Measurement<'a> {
    pub source: BaselineSource,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub pre_session: bool,
    pub scores: &'a Scores,
}

impl Measurement<'_> {
    fn value(&self, code: InstrumentCode) -> Option<f64> {
        self.scores.get(&code)?.total.as_ref()?.as_f64()
    }
}

pub type Series = BTreeMap<String, Vec<SeriesPoint>>;

/// Every instrument with an outcome rule that was measured: its outcome and its series.
/// `checkins` are in the order they were completed.
pub fn compute(
    intake: Option<&Measurement<'_>>,
    checkins: &[Measurement<'_>],
    cutoffs: &OutcomeCutoffs,
) -> (BTreeMap<String, CourseOutcome>, Series) {
    let mut outcomes = BTreeMap::new();
    let mut series = Series::new();
    for code in InstrumentCode::ALL {
        let Some(rules) = OutcomeRules::of(code) else {
            continue;
        };
        let measured: Vec<(&Measurement<'_>, f64)> =
            checkins.iter().filter_map(|m| m.value(code).map(|v| (m, v))).collect();
        let from_intake = intake.and_then(|m| m.value(code).map(|v| (m, v)));
        let points: Vec<SeriesPoint> = from_intake
            .iter()
            .map(|(m, v)| SeriesPoint {
                at: m.at,
                value: *v,
                checkin_id: None,
            })
            .chain(measured.iter().map(|(m, v)| SeriesPoint {
                at: m.at,
                value: *v,
                checkin_id: Some(m.id),
            }))
            .collect();
        if !points.is_empty() {
            series.insert(code.as_str().to_owned(), points);
        }
        let Some((latest, latest_value)) = measured.last() else {
            continue;
        };
        let baseline = match rules {
            OutcomeRules::GlobalImpression => None,
            _ => match from_intake.or_else(|| measured.iter().find(|(m, _)| m.pre_session).copied()) {
                Some((m, value)) => Some(Baseline {
                    value,
                    source: m.source,
                    source_id: m.id,
                    at: m.at,
                }),
                // No baseline to compare with yet.
                None => continue,
            },
        };
        let a = outcomes::assess(rules, baseline.as_ref().map(|b| b.value), *latest_value, cutoffs);
        outcomes.insert(
            code.as_str().to_owned(),
            CourseOutcome {
                instrument: code.as_str().to_owned(),
                rule_set: RULE_SET.to_owned(),
                baseline,
                latest: Latest {
                    value: *latest_value,
                    checkin_id: latest.id,
                    at: latest.at,
                },
                change: a.change,
                percent_change: a.percent_change,
                classification: a.classification,
                cutoffs: *cutoffs,
            },
        );
    }
    (outcomes, series)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::screening::model::ScoreResult;
    use crate::screening::outcomes::Classification;

    fn scores(pairs: &[(InstrumentCode, i64)]) -> Scores {
        pairs
            .iter()
            .map(|(c, v)| (*c, ScoreResult::new(*c, "1.0", "x").total_int(*v)))
            .collect()
    }

    fn m(source: BaselineSource, day: u32, pre_session: bool, scores: &Scores) -> Measurement<'_> {
        Measurement {
            source,
            id: Uuid::from_u128(u128::from(day)),
            at: Utc.with_ymd_and_hms(2026, 12, day, 9, 0, 0).unwrap(),
            pre_session,
            scores,
        }
    }

    #[test]
    fn baseline_from_the_intake_latest_from_the_last_checkin() {
        use InstrumentCode::*;
        let intake = scores(&[(Phq9, 20), (PainNrs, 10)]);
        let first = scores(&[(Phq9, 15), (PainNrs, 8)]);
        let last = scores(&[(Phq9, 10), (PainNrs, 7), (Pgic, 3)]);
        let checkins = [
            m(BaselineSource::Checkin, 5, true, &first),
            m(BaselineSource::Checkin, 20, false, &last),
        ];
        let (outcomes, series) = compute(
            Some(&m(BaselineSource::Intake, 1, false, &intake)),
            &checkins,
            &OutcomeCutoffs::default(),
        );
        let phq9 = &outcomes["phq9"];
        assert_eq!(phq9.baseline.as_ref().unwrap().source, BaselineSource::Intake);
        assert_eq!((phq9.change, phq9.percent_change), (Some(-10.0), Some(-50.0)));
        assert_eq!(phq9.classification, Classification::Response);
        assert_eq!(phq9.latest.checkin_id, Uuid::from_u128(20));
        assert_eq!(outcomes["pain_nrs"].classification, Classification::ModerateImprovement);
        let pgic = &outcomes["pgic"];
        assert_eq!(
            (pgic.baseline.is_none(), pgic.classification),
            (true, Classification::MinimallyImproved)
        );
        assert_eq!(
            series["phq9"].iter().map(|p| p.value).collect::<Vec<_>>(),
            vec![20.0, 15.0, 10.0]
        );
        assert_eq!(series["phq9"][0].checkin_id, None);
        assert!(!outcomes.contains_key("gad7") && !series.contains_key("gad7"));
    }

    #[test]
    fn without_an_intake_score_the_first_pre_session_checkin_is_the_baseline() {
        use InstrumentCode::*;
        let intake = scores(&[(Phq9, 12)]);
        let follow = scores(&[(Gad7, 3)]);
        let pre = scores(&[(Gad7, 12)]);
        let later = scores(&[(Gad7, 6)]);
        let checkins = [
            m(BaselineSource::Checkin, 3, false, &follow),
            m(BaselineSource::Checkin, 4, true, &pre),
            m(BaselineSource::Checkin, 9, true, &later),
        ];
        let (outcomes, _) = compute(
            Some(&m(BaselineSource::Intake, 1, false, &intake)),
            &checkins,
            &OutcomeCutoffs::default(),
        );
        let gad7 = &outcomes["gad7"];
        let baseline = gad7.baseline.as_ref().unwrap();
        assert_eq!(
            (baseline.source, baseline.value, baseline.source_id),
            (BaselineSource::Checkin, 12.0, Uuid::from_u128(4))
        );
        assert_eq!(gad7.classification, Classification::Response);
        // The intake's PHQ-9 with no check-in measuring it: no outcome yet.
        assert!(!outcomes.contains_key("phq9"));
    }
}
