//! What a submit needs: every required section and field, consent accepted on the current text,
//! and the required instruments (including the conditional ones). Lists everything missing at
//! once, by JSON path.

use super::sections::*;
use crate::screening::model::PainType;
use crate::validation::FieldIssue;

/// Collects missing answers.
struct Need {
    issues: Vec<FieldIssue>,
}

impl Need {
    fn present<T>(&mut self, path: &str, v: &Option<T>) -> bool {
        if v.is_none() {
            self.issues.push(FieldIssue::new(path, "required", "is required"));
        }
        v.is_some()
    }

    fn non_empty<T>(&mut self, path: &str, v: &Option<Vec<T>>) -> bool {
        match v {
            None => self.present(path, v),
            Some(list) if list.is_empty() => {
                self.issues.push(FieldIssue::new(
                    path,
                    "required",
                    "choose at least one answer (\"none\" is an answer)",
                ));
                false
            }
            Some(_) => true,
        }
    }

    fn is_true(&mut self, path: &str, v: Option<bool>, message: &str) {
        match v {
            None => self.issues.push(FieldIssue::new(path, "required", "is required")),
            Some(false) => self.issues.push(FieldIssue::new(path, "must_be_true", message)),
            Some(true) => {}
        }
    }

    fn section<T>(&mut self, name: &str, v: &Option<T>) -> bool {
        self.present(&format!("sections.{name}"), v)
    }
}

/// Required non-screening fields that are missing (instruments are checked by scoring them).
pub fn missing(s: &Sections, current_consent_version: &str) -> Vec<FieldIssue> {
    let mut n = Need { issues: Vec::new() };
    if n.section("demographics", &s.demographics) {
        demographics(&mut n, s.demographics.as_ref().unwrap_or(&Demographics::default()));
    }
    if let Some(m) = &s.medical_history {
        medical_history(&mut n, m);
    } else {
        n.section("medical_history", &s.medical_history);
    }
    if let Some(p) = &s.pain {
        pain(&mut n, p);
    } else {
        n.section("pain", &s.pain);
    }
    n.section("screenings", &s.screenings);
    if let Some(l) = &s.logistics {
        logistics(&mut n, l);
    } else {
        n.section("logistics", &s.logistics);
    }
    if let Some(c) = &s.consent {
        consent(&mut n, c, current_consent_version);
    } else {
        n.section("consent", &s.consent);
    }
    n.issues
}

fn demographics(n: &mut Need, d: &Demographics) {
    let p = |f: &str| format!("sections.demographics.{f}");
    n.present(&p("given_name"), &d.given_name);
    n.present(&p("family_name"), &d.family_name);
    n.present(&p("date_of_birth"), &d.date_of_birth);
    n.present(&p("sex_at_birth"), &d.sex_at_birth);
    n.present(&p("preferred_language"), &d.preferred_language);
    n.present(&p("interpreter_needed"), &d.interpreter_needed);
    n.present(&p("phone"), &d.phone);
    n.present(&p("address"), &d.address);
    n.present(&p("emergency_contact"), &d.emergency_contact);
    n.present(&p("height_cm"), &d.height_cm);
    if d.weight_kg.is_none() {
        n.issues.push(FieldIssue::new(
            p("weight_kg"),
            "required",
            "weight is required for dosing (mg/kg)",
        ));
    }
}

fn has_other_than_none<T: PartialEq>(list: &Option<Vec<T>>, none: T) -> bool {
    list.as_ref().is_some_and(|l| l.iter().any(|x| *x != none))
}

fn medical_history(n: &mut Need, m: &MedicalHistory) {
    let p = |f: &str| format!("sections.medical_history.{f}");
    n.present(&p("conditions"), &m.conditions);
    if let Some(list) = &m.conditions {
        for (i, c) in list.iter().enumerate() {
            n.present(&p(&format!("conditions[{i}].name")), &c.name);
        }
    }
    if n.present(&p("hypertension"), &m.hypertension)
        && m.hypertension != Some(Hypertension::No)
        && n.present(&p("last_blood_pressure"), &m.last_blood_pressure)
    {
        let bp = m.last_blood_pressure.as_ref();
        n.present(
            &p("last_blood_pressure.systolic_mmhg"),
            &bp.and_then(|b| b.systolic_mmhg),
        );
        n.present(
            &p("last_blood_pressure.diastolic_mmhg"),
            &bp.and_then(|b| b.diastolic_mmhg),
        );
    }
    if n.non_empty(&p("cardiac_conditions"), &m.cardiac_conditions)
        && has_other_than_none(&m.cardiac_conditions, CardiacCondition::None)
    {
        n.present(&p("cardiac_condition_controlled"), &m.cardiac_condition_controlled);
        n.present(&p("cardiac_event_last_6_months"), &m.cardiac_event_last_6_months);
    }
    n.non_empty(&p("cerebrovascular_history"), &m.cerebrovascular_history);
    n.present(&p("sleep_apnea"), &m.sleep_apnea);
    n.non_empty(&p("lung_disease"), &m.lung_disease);
    n.present(&p("seizure_history"), &m.seizure_history);
    if n.present(&p("head_injury_history"), &m.head_injury_history) && m.head_injury_history != Some(HeadInjury::None) {
        n.present(&p("head_injury_recent"), &m.head_injury_recent);
    }
    n.non_empty(
        &p("intracranial_pressure_conditions"),
        &m.intracranial_pressure_conditions,
    );
    n.non_empty(&p("eye_pressure_condition"), &m.eye_pressure_condition);
    n.present(&p("thyroid_status"), &m.thyroid_status);
    if n.present(&p("liver_disease"), &m.liver_disease) {
        let l = m.liver_disease.as_ref();
        let kind = l.and_then(|l| l.kind);
        if n.present(&p("liver_disease.type"), &kind) && !matches!(kind, Some(LiverType::None | LiverType::Unsure)) {
            n.present(&p("liver_disease.severity"), &l.and_then(|l| l.severity));
        }
    }
    n.non_empty(&p("lower_urinary_symptoms"), &m.lower_urinary_symptoms);
    n.non_empty(&p("psychiatric_diagnoses"), &m.psychiatric_diagnoses);
    n.present(&p("psychosis_history"), &m.psychosis_history);
    n.present(&p("mania_hypomania_history"), &m.mania_hypomania_history);
    n.present(&p("suicide_attempt_history"), &m.suicide_attempt_history);
    if n.present(&p("mental_health_provider"), &m.mental_health_provider) {
        let has = m.mental_health_provider.as_ref().and_then(|x| x.has_provider);
        n.present(&p("mental_health_provider.has_provider"), &has);
    }
    n.present(&p("tobacco_status"), &m.tobacco_status);
    if n.present(&p("alcohol_audit_c"), &m.alcohol_audit_c) {
        let a = m.alcohol_audit_c.as_ref();
        n.present(&p("alcohol_audit_c.q1_frequency"), &a.and_then(|a| a.q1_frequency));
        n.present(
            &p("alcohol_audit_c.q2_typical_drinks"),
            &a.and_then(|a| a.q2_typical_drinks),
        );
        n.present(&p("alcohol_audit_c.q3_six_or_more"), &a.and_then(|a| a.q3_six_or_more));
    }
    n.present(&p("cannabis_use"), &m.cannabis_use);
    n.non_empty(&p("stimulant_use"), &m.stimulant_use);
    n.present(&p("nonmedical_ketamine_use"), &m.nonmedical_ketamine_use);
    n.non_empty(&p("other_substance_use"), &m.other_substance_use);
    n.present(&p("substance_use_disorder"), &m.substance_use_disorder);
    n.present(&p("pregnancy_status"), &m.pregnancy_status);
    n.present(&p("breastfeeding"), &m.breastfeeding);
    if n.present(&p("current_medications"), &m.current_medications) {
        for (i, med) in m.current_medications.iter().flatten().enumerate() {
            let q = |f: &str| p(&format!("current_medications[{i}].{f}"));
            n.present(&q("name"), &med.name);
            n.present(&q("dose_amount"), &med.dose_amount);
            n.present(&q("dose_unit"), &med.dose_unit);
            n.present(&q("route"), &med.route);
            n.present(&q("frequency"), &med.frequency);
        }
    }
    if n.present(&p("opioids"), &m.opioids) {
        for (i, o) in m.opioids.iter().flatten().enumerate() {
            let q = |f: &str| p(&format!("opioids[{i}].{f}"));
            if n.present(&q("drug"), &o.drug) {
                match o.drug {
                    Some(crate::screening::mme::Opioid::FentanylTransdermal) => {
                        n.present(&q("patch_mcg_per_hour"), &o.patch_mcg_per_hour);
                    }
                    Some(crate::screening::mme::Opioid::Other) => {
                        n.present(&q("name"), &o.name);
                        n.present(&q("dose_mg"), &o.dose_mg);
                        n.present(&q("doses_per_day"), &o.doses_per_day);
                    }
                    _ => {
                        n.present(&q("dose_mg"), &o.dose_mg);
                        n.present(&q("doses_per_day"), &o.doses_per_day);
                    }
                }
            }
        }
    }
    if n.present(&p("allergy_status"), &m.allergy_status)
        && m.allergy_status == Some(AllergyStatus::HasAllergies)
        && n.non_empty(&p("allergies"), &m.allergies)
    {
        for (i, a) in m.allergies.iter().flatten().enumerate() {
            n.present(&p(&format!("allergies[{i}].substance")), &a.substance);
        }
    }
    n.non_empty(&p("anesthesia_problems"), &m.anesthesia_problems);
    if n.present(&p("prior_ketamine_exposure"), &m.prior_ketamine_exposure)
        && m.prior_ketamine_exposure == Some(PriorKetamine::TherapeuticCourse)
        && n.non_empty(&p("prior_ketamine_courses"), &m.prior_ketamine_courses)
    {
        for (i, c) in m.prior_ketamine_courses.iter().flatten().enumerate() {
            let q = |f: &str| p(&format!("prior_ketamine_courses[{i}].{f}"));
            n.present(&q("formulation_route"), &c.formulation_route);
            n.present(&q("indication"), &c.indication);
            n.present(&q("response"), &c.response);
        }
    }
    n.non_empty(&p("limbs_to_avoid"), &m.limbs_to_avoid);
}

fn pain(n: &mut Need, pain: &Pain) {
    let path = "sections.pain.conditions";
    if !n.non_empty(path, &pain.conditions) {
        return;
    }
    let conditions = pain.conditions.as_deref().unwrap_or_default();
    for (i, c) in conditions.iter().enumerate() {
        let q = |f: &str| format!("{path}[{i}].{f}");
        if n.present(&q("type"), &c.kind) && c.kind == Some(PainType::Other) {
            n.present(&q("other_description"), &c.other_description);
        }
        if c.kind == Some(PainType::Crps) {
            n.present(&q("affected_limb"), &c.affected_limb);
        }
        n.present(&q("is_treatment_target"), &c.is_treatment_target);
        n.present(&q("diagnosis_status"), &c.diagnosis_status);
        n.present(&q("onset"), &c.onset);
        n.present(&q("inciting_event"), &c.inciting_event);
        if n.non_empty(&q("locations"), &c.locations) {
            for (j, l) in c.locations.iter().flatten().enumerate() {
                n.present(&q(&format!("locations[{j}].region")), &l.region);
                n.present(&q(&format!("locations[{j}].side")), &l.side);
            }
        }
        if n.present(&q("intensity"), &c.intensity) {
            let it = c.intensity.as_ref();
            n.present(&q("intensity.now"), &it.and_then(|x| x.now));
            n.present(&q("intensity.average"), &it.and_then(|x| x.average));
            n.present(&q("intensity.worst"), &it.and_then(|x| x.worst));
        }
        n.non_empty(&q("qualities"), &c.qualities);
        if n.present(&q("prior_treatments"), &c.prior_treatments) {
            for (j, t) in c.prior_treatments.iter().flatten().enumerate() {
                n.present(&q(&format!("prior_treatments[{j}].treatment_type")), &t.treatment_type);
                n.present(&q(&format!("prior_treatments[{j}].relief_percent")), &t.relief_percent);
            }
        }
    }
    if !conditions.iter().any(|c| c.is_treatment_target == Some(true))
        && conditions.iter().all(|c| c.is_treatment_target.is_some())
    {
        n.issues.push(FieldIssue::new(
            path,
            "treatment_target_required",
            "mark the condition the infusion course is for",
        ));
    }
}

fn logistics(n: &mut Need, l: &Logistics) {
    let p = |f: &str| format!("sections.logistics.{f}");
    n.is_true(
        &p("fasting_instructions_acknowledged"),
        l.fasting_instructions_acknowledged,
        "the fasting instructions must be acknowledged",
    );
    n.is_true(
        &p("substance_instructions_acknowledged"),
        l.substance_instructions_acknowledged,
        "the alcohol and drug instructions must be acknowledged",
    );
    if n.present(&p("escort"), &l.escort) {
        let e = l.escort.as_ref();
        n.present(&p("escort.name"), &e.and_then(|e| e.name.clone()));
        n.present(&p("escort.relationship"), &e.and_then(|e| e.relationship));
        n.present(&p("escort.phone"), &e.and_then(|e| e.phone.clone()));
        n.present(&p("escort.is_adult"), &e.and_then(|e| e.is_adult));
    }
    if n.present(&p("goals"), &l.goals) {
        n.non_empty(&p("goals.domains"), &l.goals.as_ref().and_then(|g| g.domains.clone()));
    }
    if n.present(&p("referral_source"), &l.referral_source) && l.referral_source != Some(ReferralSource::SelfReferred) {
        let name = l.referring_provider.as_ref().and_then(|r| r.name.clone());
        n.present(&p("referring_provider.name"), &name);
    }
}

fn consent(n: &mut Need, c: &Consent, current_version: &str) {
    let p = |f: &str| format!("sections.consent.{f}");
    let i = &c.input;
    n.is_true(&p("accepted"), i.accepted, "the consent must be accepted to submit");
    n.present(&p("signer_name"), &i.signer_name);
    n.present(&p("signer_role"), &i.signer_role);
    n.present(&p("lang"), &i.lang);
    if n.present(&p("consent_version"), &i.consent_version) && i.consent_version.as_deref() != Some(current_version) {
        n.issues.push(FieldIssue::new(
            p("consent_version"),
            "outdated",
            format!("the consent text has changed (current version {current_version}); read and sign it again"),
        ));
    }
    let a = i.acknowledgements.clone().unwrap_or_default();
    let message = "each statement of the consent must be acknowledged";
    for (name, value) in [
        ("off_label_no_guarantee", a.off_label_no_guarantee),
        ("controlled_substance", a.controlled_substance),
        ("acute_effects", a.acute_effects),
        ("monitoring_and_rescue", a.monitoring_and_rescue),
        ("longer_term_risks", a.longer_term_risks),
        ("post_infusion_restrictions", a.post_infusion_restrictions),
        ("right_to_withdraw", a.right_to_withdraw),
        ("continuing_care_and_crisis_plan", a.continuing_care_and_crisis_plan),
        ("privacy_notice", a.privacy_notice),
        ("financial_responsibility", a.financial_responsibility),
    ] {
        n.is_true(&p(&format!("acknowledgements.{name}")), value, message);
    }
}
