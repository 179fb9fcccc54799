//! The pure rules over a session's blocks: the dose arithmetic, the ceiling, completeness and
//! the session flags of FOLLOW-UP.md. No storage, HTTP or configuration reads: the thresholds
//! come in as [`SessionRules`].

use super::blocks::{AeSeverity, Dose, Phase, PregnancyTest, SessionBlocks};
use crate::courses::protocol::{Drug, Protocol};
use crate::screening::model::{Flag, Severity, Source};
use crate::validation::FieldIssue;

/// ASA practice guideline on preoperative fasting: solids 6 h, clear liquids 2 h.
pub const FASTING_SOLIDS_HOURS: f64 = 6.0;
pub const FASTING_CLEAR_HOURS: f64 = 2.0;
/// SpO2 below this (percent) raises `spo2_low`.
pub const SPO2_LOW_BELOW: u8 = 92;

/// The configurable thresholds a session is checked against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SessionRules {
    /// The intake's blood-pressure threshold (`BP_THRESHOLD_SYSTOLIC` / `_DIASTOLIC`).
    pub bp_systolic: u16,
    pub bp_diastolic: u16,
    /// `KETAMINE_MAX_MG_PER_KG`: above it a dose needs an override reason.
    pub max_mg_per_kg: f64,
}

impl Default for SessionRules {
    fn default() -> Self {
        Self {
            bp_systolic: 140,
            bp_diastolic: 90,
            max_mg_per_kg: 1.0,
        }
    }
}

/// The total dose in mg: ketamine `dose_mg_per_kg × weight_kg` rounded to 0.1 mg (unknown until
/// the weight is recorded); esketamine its fixed `dose_mg`.
pub fn total_mg(dose: &Dose, weight_kg: Option<f64>) -> Option<f64> {
    match dose.drug {
        Drug::Ketamine => {
            let per_kg = dose.dose_mg_per_kg?;
            Some((per_kg * weight_kg? * 10.0).round() / 10.0)
        }
        Drug::Esketamine => dose.dose_mg,
    }
}

/// Fills in the server's `total_mg` from the blocks' weight.
pub fn compute_total(blocks: &mut SessionBlocks) {
    let weight = blocks.pre_checks.as_ref().and_then(|p| p.weight_kg);
    if let Some(dose) = blocks.dose.as_mut() {
        dose.total_mg = total_mg(dose, weight);
    }
}

/// The dose's own shape (the drug's dose field) and the ceiling: a ketamine dose above
/// `max_mg_per_kg` is refused unless it carries an `override_reason`.
pub fn check_dose(dose: &Dose, rules: &SessionRules) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    match dose.drug {
        Drug::Ketamine if dose.dose_mg_per_kg.is_none() || dose.dose_mg.is_some() => issues.push(FieldIssue::new(
            "dose.dose_mg_per_kg",
            "dose_for_drug",
            "ketamine is dosed with dose_mg_per_kg (and no dose_mg)",
        )),
        Drug::Esketamine if dose.dose_mg.is_none() || dose.dose_mg_per_kg.is_some() => issues.push(FieldIssue::new(
            "dose.dose_mg",
            "dose_for_drug",
            "esketamine is dosed with dose_mg (and no dose_mg_per_kg)",
        )),
        _ => {}
    }
    if above_ceiling(dose, rules) && dose.override_reason.is_none() {
        issues.push(FieldIssue::new(
            "dose.override_reason",
            "required",
            format!(
                "{} mg/kg is above the ceiling of {} mg/kg: give an override_reason to record it",
                dose.dose_mg_per_kg.unwrap_or_default(),
                rules.max_mg_per_kg
            ),
        ));
    }
    if let (Some(start), Some(end)) = (dose.started_at, dose.ended_at)
        && end < start
    {
        issues.push(FieldIssue::new(
            "dose.ended_at",
            "before_start",
            "ended_at is before started_at",
        ));
    }
    issues
}

fn above_ceiling(dose: &Dose, rules: &SessionRules) -> bool {
    dose.drug == Drug::Ketamine && dose.dose_mg_per_kg.is_some_and(|d| d > rules.max_mg_per_kg)
}

/// What `complete` needs: weight, dose, at least one `pre` and one `post` vital-sign set, and
/// the discharge. Every missing part is named.
pub fn missing_for_completion(blocks: &SessionBlocks) -> Vec<FieldIssue> {
    let mut missing = Vec::new();
    if blocks.pre_checks.as_ref().and_then(|p| p.weight_kg).is_none() {
        missing.push(FieldIssue::new("pre_checks.weight_kg", "required", "record the weight"));
    }
    if blocks.dose.is_none() {
        missing.push(FieldIssue::new("dose", "required", "record the dose given"));
    }
    for (phase, name) in [(Phase::Pre, "pre"), (Phase::Post, "post")] {
        if !blocks.vitals.iter().any(|v| v.phase == phase) {
            missing.push(FieldIssue::new(
                "vitals",
                "required",
                format!("record at least one `{name}` vital-sign set"),
            ));
        }
    }
    if blocks.discharge.is_none() {
        missing.push(FieldIssue::new("discharge", "required", "record the discharge"));
    }
    missing
}

/// The session flags of FOLLOW-UP.md, each with the JSON paths that raised it.
pub fn flags(blocks: &SessionBlocks, protocol: &Protocol, rules: &SessionRules) -> Vec<Flag> {
    let mut flags = Vec::new();
    let high_bp: Vec<String> = blocks
        .vitals
        .iter()
        .enumerate()
        .filter(|(_, v)| v.phase == Phase::Pre && (v.systolic > rules.bp_systolic || v.diastolic > rules.bp_diastolic))
        .map(|(i, _)| format!("vitals[{i}]"))
        .collect();
    if !high_bp.is_empty() {
        flags.push(Flag::new(
            "bp_above_threshold_before_dose",
            Severity::Urgent,
            Source::L,
            format!(
                "A pre-infusion blood pressure is above {}/{} mmHg: recheck and control before dosing",
                rules.bp_systolic, rules.bp_diastolic
            ),
            high_bp,
        ));
    }
    let low_spo2: Vec<String> = blocks
        .vitals
        .iter()
        .enumerate()
        .filter(|(_, v)| v.spo2 < SPO2_LOW_BELOW)
        .map(|(i, _)| format!("vitals[{i}].spo2"))
        .collect();
    if !low_spo2.is_empty() {
        flags.push(Flag::new(
            "spo2_low",
            Severity::Warning,
            Source::P,
            format!("Oxygen saturation below {SPO2_LOW_BELOW} %"),
            low_spo2,
        ));
    }
    if let Some(pre) = &blocks.pre_checks {
        let mut fasting = Vec::new();
        if pre.fasting_solids_hours.is_some_and(|h| h < FASTING_SOLIDS_HOURS) {
            fasting.push("pre_checks.fasting_solids_hours".to_owned());
        }
        if pre.fasting_clear_liquids_hours.is_some_and(|h| h < FASTING_CLEAR_HOURS) {
            fasting.push("pre_checks.fasting_clear_liquids_hours".to_owned());
        }
        if !fasting.is_empty() {
            flags.push(Flag::new(
                "fasting_not_met",
                Severity::Warning,
                Source::G,
                "Fasting below the ASA guideline (solids 6 h, clear liquids 2 h)",
                fasting,
            ));
        }
    }
    let mut escort = Vec::new();
    if blocks.pre_checks.as_ref().and_then(|p| p.escort_confirmed) == Some(false) {
        escort.push("pre_checks.escort_confirmed".to_owned());
    }
    if blocks.discharge.as_ref().is_some_and(|d| !d.escort_present) {
        escort.push("discharge.escort_present".to_owned());
    }
    if !escort.is_empty() {
        flags.push(Flag::new(
            "no_escort",
            Severity::Warning,
            Source::L,
            "No escort confirmed: the patient must not drive or leave alone after ketamine",
            escort,
        ));
    }
    if blocks.pre_checks.as_ref().and_then(|p| p.pregnancy_test) == Some(PregnancyTest::Positive) {
        flags.push(Flag::new(
            "pregnancy_test_positive",
            Severity::Urgent,
            Source::L,
            "Pregnancy test positive: ketamine is not given in pregnancy without specialist review",
            vec!["pre_checks.pregnancy_test".to_owned()],
        ));
    }
    if let Some(dose) = &blocks.dose {
        if let (Some(given), Some(planned)) = (dose.dose_mg_per_kg, protocol.dose_mg_per_kg)
            && given > planned
        {
            flags.push(Flag::new(
                "dose_above_protocol",
                Severity::Warning,
                Source::P,
                format!("{given} mg/kg is above the course protocol's {planned} mg/kg"),
                vec!["dose.dose_mg_per_kg".to_owned()],
            ));
        }
        if above_ceiling(dose, rules) && dose.override_reason.is_some() {
            flags.push(Flag::new(
                "dose_above_ceiling_overridden",
                Severity::Warning,
                Source::P,
                format!(
                    "{} mg/kg is above the ceiling of {} mg/kg, given with an override reason",
                    dose.dose_mg_per_kg.unwrap_or_default(),
                    rules.max_mg_per_kg
                ),
                vec!["dose.dose_mg_per_kg".to_owned(), "dose.override_reason".to_owned()],
            ));
        }
    }
    let severe: Vec<String> = blocks
        .adverse_events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.severity == AeSeverity::Severe)
        .map(|(i, _)| format!("adverse_events[{i}].severity"))
        .collect();
    if !severe.is_empty() {
        flags.push(Flag::new(
            "severe_adverse_event",
            Severity::Urgent,
            Source::P,
            "A severe adverse event was recorded",
            severe,
        ));
    }
    if blocks.discharge.as_ref().is_some_and(|d| !d.criteria_met) {
        flags.push(Flag::new(
            "discharge_criteria_not_met",
            Severity::Warning,
            Source::P,
            "Discharged without meeting the discharge criteria",
            vec!["discharge.criteria_met".to_owned()],
        ));
    }
    flags
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::courses::protocol::Route;
    use crate::courses::session::blocks::{AdverseEvent, AdverseEventCode, Discharge, PreChecks, VitalSigns};

    fn protocol() -> Protocol {
        Protocol {
            drug: Drug::Ketamine,
            route: Route::Iv,
            dose_mg_per_kg: Some(0.5),
            dose_mg: None,
            infusion_minutes: Some(40),
        }
    }

    fn dose(per_kg: f64, reason: Option<&str>) -> Dose {
        Dose {
            drug: Drug::Ketamine,
            route: Route::Iv,
            dose_mg_per_kg: Some(per_kg),
            dose_mg: None,
            started_at: None,
            ended_at: None,
            lot: None,
            override_reason: reason.map(str::to_owned),
            total_mg: None,
        }
    }

    fn vitals(phase: Phase, systolic: u16, diastolic: u16, spo2: u8) -> VitalSigns {
        VitalSigns {
            at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
            phase,
            systolic,
            diastolic,
            heart_rate: 70,
            spo2,
            respiratory_rate: None,
        }
    }

    fn pre(solids: f64, clear: f64, escort: bool, test: PregnancyTest) -> PreChecks {
        PreChecks {
            weight_kg: Some(72.5),
            fasting_solids_hours: Some(solids),
            fasting_clear_liquids_hours: Some(clear),
            escort_confirmed: Some(escort),
            pregnancy_test: Some(test),
            consent_confirmed: Some(true),
        }
    }

    fn discharge(criteria_met: bool, escort_present: bool) -> Discharge {
        Discharge {
            at: Utc.with_ymd_and_hms(2026, 12, 1, 11, 0, 0).unwrap(),
            criteria_met,
            escort_present,
            iv_site_ok: true,
            instructions_given: true,
        }
    }

    fn codes(blocks: &SessionBlocks) -> Vec<String> {
        flags(blocks, &protocol(), &SessionRules::default())
            .into_iter()
            .map(|f| f.code)
            .collect()
    }

    fn one(blocks: &SessionBlocks, code: &str) -> Option<Flag> {
        flags(blocks, &protocol(), &SessionRules::default())
            .into_iter()
            .find(|f| f.code == code)
    }

    #[test]
    fn total_is_per_kg_times_weight_to_a_tenth_of_a_mg() {
        assert_eq!(total_mg(&dose(0.5, None), Some(72.5)), Some(36.3)); // 36.25 rounds up
        assert_eq!(total_mg(&dose(0.75, None), Some(80.0)), Some(60.0));
        assert_eq!(total_mg(&dose(0.35, None), Some(63.3)), Some(22.2)); // 22.155
        assert_eq!(total_mg(&dose(0.5, None), None), None);
        let mut eske = dose(0.5, None);
        (eske.drug, eske.dose_mg_per_kg, eske.dose_mg) = (Drug::Esketamine, None, Some(56.0));
        assert_eq!(total_mg(&eske, Some(72.5)), Some(56.0));
    }

    #[test]
    fn compute_total_uses_the_recorded_weight() {
        let mut blocks = SessionBlocks {
            pre_checks: Some(pre(8.0, 3.0, true, PregnancyTest::NotApplicable)),
            dose: Some(dose(0.5, None)),
            ..Default::default()
        };
        blocks.dose.as_mut().unwrap().total_mg = Some(999.0);
        compute_total(&mut blocks);
        assert_eq!(blocks.dose.unwrap().total_mg, Some(36.3));
    }

    #[test]
    fn the_ceiling_needs_a_reason_only_above_it() {
        let rules = SessionRules::default();
        assert!(check_dose(&dose(1.0, None), &rules).is_empty());
        let refused = check_dose(&dose(1.01, None), &rules);
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].field, "dose.override_reason");
        assert!(check_dose(&dose(1.01, Some("treatment-resistant, protocol B")), &rules).is_empty());
        let lower = SessionRules {
            max_mg_per_kg: 0.8,
            ..rules
        };
        assert_eq!(check_dose(&dose(0.81, None), &lower).len(), 1);
    }

    #[test]
    fn a_dose_must_fit_its_drug() {
        let mut d = dose(0.5, None);
        d.dose_mg = Some(30.0);
        assert_eq!(check_dose(&d, &SessionRules::default())[0].field, "dose.dose_mg_per_kg");
        d.drug = Drug::Esketamine;
        assert_eq!(check_dose(&d, &SessionRules::default())[0].field, "dose.dose_mg");
    }

    #[test]
    fn bp_before_dose_is_strictly_above_the_threshold_and_only_pre() {
        let at = |s, d| SessionBlocks {
            vitals: vec![vitals(Phase::Pre, s, d, 98)],
            ..Default::default()
        };
        assert!(!codes(&at(140, 90)).contains(&"bp_above_threshold_before_dose".into()));
        let f = one(&at(141, 90), "bp_above_threshold_before_dose").unwrap();
        assert_eq!((f.severity, f.source), (Severity::Urgent, Source::L));
        assert_eq!(f.triggered_by, vec!["vitals[0]"]);
        assert!(one(&at(140, 91), "bp_above_threshold_before_dose").is_some());
        let during = SessionBlocks {
            vitals: vec![vitals(Phase::Pre, 120, 80, 98), vitals(Phase::During, 170, 100, 98)],
            ..Default::default()
        };
        assert!(one(&during, "bp_above_threshold_before_dose").is_none());
        let custom = SessionRules {
            bp_systolic: 160,
            ..Default::default()
        };
        assert!(flags(&at(150, 85), &protocol(), &custom).is_empty());
    }

    #[test]
    fn spo2_low_is_below_92_in_any_phase() {
        let at = |spo2| SessionBlocks {
            vitals: vec![vitals(Phase::Pre, 120, 80, 98), vitals(Phase::During, 120, 80, spo2)],
            ..Default::default()
        };
        assert!(one(&at(92), "spo2_low").is_none());
        let f = one(&at(91), "spo2_low").unwrap();
        assert_eq!((f.severity, f.source), (Severity::Warning, Source::P));
        assert_eq!(f.triggered_by, vec!["vitals[1].spo2"]);
    }

    #[test]
    fn fasting_at_6_and_2_hours_is_met() {
        let at = |solids, clear| SessionBlocks {
            pre_checks: Some(pre(solids, clear, true, PregnancyTest::Negative)),
            ..Default::default()
        };
        assert!(codes(&at(6.0, 2.0)).is_empty());
        let f = one(&at(5.9, 2.0), "fasting_not_met").unwrap();
        assert_eq!((f.severity, f.source), (Severity::Warning, Source::G));
        assert_eq!(f.triggered_by, vec!["pre_checks.fasting_solids_hours"]);
        let f = one(&at(6.0, 1.5), "fasting_not_met").unwrap();
        assert_eq!(f.triggered_by, vec!["pre_checks.fasting_clear_liquids_hours"]);
    }

    #[test]
    fn no_escort_before_or_at_discharge() {
        let before = SessionBlocks {
            pre_checks: Some(pre(8.0, 3.0, false, PregnancyTest::NotApplicable)),
            ..Default::default()
        };
        let f = one(&before, "no_escort").unwrap();
        assert_eq!((f.severity, f.source), (Severity::Warning, Source::L));
        assert_eq!(f.triggered_by, vec!["pre_checks.escort_confirmed"]);
        let at_discharge = SessionBlocks {
            pre_checks: Some(pre(8.0, 3.0, true, PregnancyTest::NotApplicable)),
            discharge: Some(discharge(true, false)),
            ..Default::default()
        };
        assert_eq!(
            one(&at_discharge, "no_escort").unwrap().triggered_by,
            vec!["discharge.escort_present"]
        );
        let fine = SessionBlocks {
            pre_checks: Some(pre(8.0, 3.0, true, PregnancyTest::NotApplicable)),
            discharge: Some(discharge(true, true)),
            ..Default::default()
        };
        assert!(codes(&fine).is_empty());
    }

    #[test]
    fn pregnancy_test_positive_is_urgent() {
        let with = |t| SessionBlocks {
            pre_checks: Some(pre(8.0, 3.0, true, t)),
            ..Default::default()
        };
        assert!(codes(&with(PregnancyTest::Negative)).is_empty());
        let f = one(&with(PregnancyTest::Positive), "pregnancy_test_positive").unwrap();
        assert_eq!((f.severity, f.source), (Severity::Urgent, Source::L));
    }

    #[test]
    fn dose_above_protocol_and_overridden_ceiling() {
        let with = |d| SessionBlocks {
            dose: Some(d),
            ..Default::default()
        };
        assert!(codes(&with(dose(0.5, None))).is_empty());
        assert_eq!(codes(&with(dose(0.51, None))), vec!["dose_above_protocol"]);
        assert_eq!(codes(&with(dose(1.0, None))), vec!["dose_above_protocol"]);
        assert_eq!(
            codes(&with(dose(1.2, Some("protocol B")))),
            vec!["dose_above_protocol", "dose_above_ceiling_overridden"]
        );
        let f = one(&with(dose(1.2, Some("protocol B"))), "dose_above_ceiling_overridden").unwrap();
        assert_eq!((f.severity, f.source), (Severity::Warning, Source::P));
    }

    #[test]
    fn severe_adverse_events_only() {
        let event = |severity| AdverseEvent {
            code: AdverseEventCode::Nausea,
            text: None,
            severity,
            onset_at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap(),
            action: None,
            resolved: true,
        };
        let with = |s| SessionBlocks {
            adverse_events: vec![event(AeSeverity::Mild), event(s)],
            ..Default::default()
        };
        assert!(codes(&with(AeSeverity::Moderate)).is_empty());
        let f = one(&with(AeSeverity::Severe), "severe_adverse_event").unwrap();
        assert_eq!((f.severity, f.source), (Severity::Urgent, Source::P));
        assert_eq!(f.triggered_by, vec!["adverse_events[1].severity"]);
    }

    #[test]
    fn discharge_criteria_not_met() {
        let with = |met| SessionBlocks {
            discharge: Some(discharge(met, true)),
            ..Default::default()
        };
        assert!(codes(&with(true)).is_empty());
        let f = one(&with(false), "discharge_criteria_not_met").unwrap();
        assert_eq!((f.severity, f.source), (Severity::Warning, Source::P));
    }

    #[test]
    fn completion_names_everything_missing() {
        let fields =
            |b: &SessionBlocks| -> Vec<String> { missing_for_completion(b).into_iter().map(|i| i.field).collect() };
        assert_eq!(
            fields(&SessionBlocks::default()),
            vec!["pre_checks.weight_kg", "dose", "vitals", "vitals", "discharge"]
        );
        let done = SessionBlocks {
            pre_checks: Some(pre(8.0, 3.0, true, PregnancyTest::NotApplicable)),
            vitals: vec![vitals(Phase::Pre, 120, 80, 98), vitals(Phase::Post, 118, 78, 97)],
            dose: Some(dose(0.5, None)),
            discharge: Some(discharge(true, true)),
            ..Default::default()
        };
        assert!(fields(&done).is_empty());
        let no_post = SessionBlocks {
            vitals: vec![vitals(Phase::Pre, 120, 80, 98)],
            ..done
        };
        assert_eq!(fields(&no_post), vec!["vitals"]);
    }
}
