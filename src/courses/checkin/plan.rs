//! The check-in plan (FOLLOW-UP.md "Check-ins"): which instruments each kind asks, when it is
//! due, its status at a given time, and which answers a submit needs. Pure: no storage or HTTP.

use chrono::{Duration, NaiveDateTime};
use serde_json::Value;

use crate::courses::status::{CheckinStatus, Indication};
use crate::screening::instruments::InstrumentCode;
use crate::screening::policy::Scores;
use crate::validation::FieldIssue;

/// Before each session: PHQ-9, pain NRS, PEG and side effects; GAD-7 when the course treats
/// anxiety, PCL-5 when it treats PTSD. Only instruments the clinic has enabled.
pub fn pre_session(indications: &[Indication], enabled: &[InstrumentCode]) -> Vec<InstrumentCode> {
    use InstrumentCode::*;
    let mut codes = vec![Phq9, PainNrs, Peg, KetamineSideEffects];
    if indications.contains(&Indication::Anxiety) {
        codes.push(Gad7);
    }
    if indications.contains(&Indication::Ptsd) {
        codes.push(Pcl5);
    }
    codes.retain(|c| enabled.contains(c));
    codes
}

/// After the course: PHQ-9, GAD-7, pain NRS, PEG, PGIC and side effects (those enabled).
pub fn follow_up(enabled: &[InstrumentCode]) -> Vec<InstrumentCode> {
    use InstrumentCode::*;
    let mut codes = vec![Phq9, Gad7, PainNrs, Peg, Pgic, KetamineSideEffects];
    codes.retain(|c| enabled.contains(c));
    codes
}

/// A pre-session check-in is due from `hours` before the session until it starts.
pub fn pre_session_window(scheduled_at: NaiveDateTime, hours: u16) -> (NaiveDateTime, NaiveDateTime) {
    (scheduled_at - Duration::hours(i64::from(hours)), scheduled_at)
}

/// Follow-ups: `(day, due_from, due_by)` for each planned day after the course ended, each due
/// for `window_days`.
pub fn follow_up_windows(
    ended_at: NaiveDateTime,
    days: &[u16],
    window_days: u16,
) -> Vec<(i32, NaiveDateTime, NaiveDateTime)> {
    days.iter()
        .map(|d| {
            let from = ended_at + Duration::days(i64::from(*d));
            (i32::from(*d), from, from + Duration::days(i64::from(window_days)))
        })
        .collect()
}

/// The status a client sees: a stored `due` past its `due_by` is `missed` (still accepted).
pub fn status_at(stored: CheckinStatus, due_by: NaiveDateTime, now: NaiveDateTime) -> CheckinStatus {
    match stored {
        CheckinStatus::Due if now > due_by => CheckinStatus::Missed,
        other => other,
    }
}

/// Which answers a submit takes: every planned instrument, plus the ASQ when PHQ-9 item 9 is
/// answered 1 or more (the intake's conditional rule; the ASQ's own follow-up item is required
/// by its scoring when it is positive). Anything else is not part of this check-in.
pub fn check_answers(
    planned: &[InstrumentCode],
    given: &std::collections::BTreeMap<String, Value>,
    scores: &Scores,
) -> Vec<FieldIssue> {
    let item9 = scores
        .get(&InstrumentCode::Phq9)
        .and_then(|s| s.subscales.get("item9"))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let mut expected = planned.to_vec();
    if item9 >= 1 && !expected.contains(&InstrumentCode::Asq) {
        expected.push(InstrumentCode::Asq);
    }
    let mut issues: Vec<FieldIssue> = expected
        .iter()
        .filter(|c| !given.contains_key(c.as_str()))
        .map(|c| {
            let why = if *c == InstrumentCode::Asq && !planned.contains(c) {
                "PHQ-9 item 9 was answered 1 or more: answer the ASQ suicide risk screen"
            } else {
                "answer this questionnaire"
            };
            FieldIssue::new(format!("screenings.{c}"), "required", why)
        })
        .collect();
    issues.extend(
        given
            .keys()
            .filter(|k| !expected.iter().any(|c| c.as_str() == k.as_str()))
            .map(|k| FieldIssue::new(format!("screenings.{k}"), "not_asked", "not part of this check-in")),
    );
    issues
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::NaiveDate;
    use serde_json::json;

    use super::*;
    use crate::screening::model::ScoreResult;
    use InstrumentCode::*;

    fn at(d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    #[test]
    fn pre_session_adds_gad7_and_pcl5_by_indication() {
        let all = InstrumentCode::ALL.to_vec();
        assert_eq!(
            pre_session(&[Indication::Crps], &all),
            vec![Phq9, PainNrs, Peg, KetamineSideEffects]
        );
        assert_eq!(
            pre_session(&[Indication::Depression, Indication::Anxiety, Indication::Ptsd], &all),
            vec![Phq9, PainNrs, Peg, KetamineSideEffects, Gad7, Pcl5]
        );
        assert_eq!(
            follow_up(&all),
            vec![Phq9, Gad7, PainNrs, Peg, Pgic, KetamineSideEffects]
        );
        assert_eq!(follow_up(&[Phq9, Peg]), vec![Phq9, Peg]);
    }

    #[test]
    fn windows() {
        assert_eq!(pre_session_window(at(10, 9), 72), (at(7, 9), at(10, 9)));
        assert_eq!(
            follow_up_windows(at(1, 12), &[7, 30], 7),
            vec![
                (7, at(8, 12), at(15, 12)),
                (30, at(31, 12), at(31, 12) + Duration::days(7))
            ]
        );
    }

    #[test]
    fn missed_is_due_past_due_by() {
        assert_eq!(status_at(CheckinStatus::Due, at(10, 9), at(10, 9)), CheckinStatus::Due);
        assert_eq!(
            status_at(CheckinStatus::Due, at(10, 9), at(10, 9) + Duration::seconds(1)),
            CheckinStatus::Missed
        );
        assert_eq!(
            status_at(CheckinStatus::Completed, at(1, 0), at(20, 0)),
            CheckinStatus::Completed
        );
    }

    #[test]
    fn asq_is_required_when_item_9_is_positive() {
        let planned = [Phq9, Peg];
        let given: BTreeMap<String, Value> = [("phq9".to_owned(), json!({})), ("peg".to_owned(), json!({}))].into();
        let phq9 = |item9: i64| Scores::from([(Phq9, ScoreResult::new(Phq9, "1.0", "x").sub("item9", item9))]);
        assert!(check_answers(&planned, &given, &phq9(0)).is_empty());
        let issues = check_answers(&planned, &given, &phq9(1));
        assert_eq!(issues.len(), 1);
        assert_eq!(
            (issues[0].field.as_str(), issues[0].code.as_str()),
            ("screenings.asq", "required")
        );
        let mut with_asq = given.clone();
        with_asq.insert("asq".into(), json!({}));
        assert!(check_answers(&planned, &with_asq, &phq9(2)).is_empty());
        // Not asked without the rule; unknown codes are named.
        let issues = check_answers(&planned, &with_asq, &phq9(0));
        assert_eq!(issues[0].code, "not_asked");
        let only_phq9: BTreeMap<String, Value> = [("phq9".to_owned(), json!({}))].into();
        assert_eq!(check_answers(&planned, &only_phq9, &phq9(0))[0].field, "screenings.peg");
    }
}
