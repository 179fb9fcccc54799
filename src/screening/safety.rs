//! Ketamine safety triage (CLINICAL.md checklist) and the eligibility summary.
//!
//! Input is [`SafetyFacts`]: the checklist's questions as answered in the medical history, each
//! with the JSON paths of the answers behind it (the intake module builds it). Output is flags
//! and an eligibility summary that supports, and never replaces, the clinician's decision.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::drugs;
use super::mme::{self, MmeResult, OpioidDose};
use super::model::{Cutoffs, Flag, ScoreResult, Severity, Source};

/// A checklist answer. `Unsure` goes to the clinician; it never silently becomes "no".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    No,
    Yes,
    Unsure,
}

/// The yes/no questions of the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Poorly controlled heart disease: recent MI, unstable angina, uncontrolled arrhythmia, heart failure.
    CardiovascularDisease,
    /// Aneurysm, arteriovenous malformation, brain haemorrhage.
    VascularMalformation,
    /// Pregnant or possibly pregnant.
    Pregnancy,
    Breastfeeding,
    ActivePsychosis,
    /// Past psychosis, schizophrenia, mania.
    PsychosisHistory,
    /// Raised intracranial pressure, recent head injury.
    IntracranialPressure,
    /// Glaucoma or raised eye pressure.
    IntraocularPressure,
    /// Current substance use disorder.
    ActiveSubstanceUse,
    /// Past ketamine misuse or recreational use.
    PriorKetamineMisuse,
    /// Bladder pain, urgency, frequency, blood in urine, interstitial cystitis.
    UrinarySymptoms,
    /// Psychostimulant use reported outside the medication list (e.g. prescribed ADHD stimulant).
    StimulantUse,
    SeizureDisorder,
    KetamineAllergy,
    /// Nobody adult to take the patient home (every clinic requires one).
    NoAdultEscort,
}

struct Rule {
    code: &'static str,
    severity: Severity,
    source: Source,
    message: &'static str,
}

fn rule(check: Check) -> Rule {
    use Check::*;
    use Severity::*;
    let (code, severity, source, message) = match check {
        CardiovascularDisease => (
            "cardiovascular_disease",
            Warning,
            Source::G,
            "Poorly controlled heart disease reported: ECG and cardiology review advised before ketamine",
        ),
        VascularMalformation => (
            "vascular_malformation",
            Warning,
            Source::L,
            "Aneurysm, arteriovenous malformation or brain haemorrhage reported: blood-pressure rise with ketamine is a risk",
        ),
        Pregnancy => (
            "pregnancy",
            Warning,
            Source::G,
            "Pregnant or possibly pregnant: ketamine infusion is not given in pregnancy without specialist review",
        ),
        Breastfeeding => (
            "breastfeeding",
            Warning,
            Source::L,
            "Breastfeeding: discuss timing and safety with the patient",
        ),
        ActivePsychosis => (
            "active_psychosis",
            Urgent,
            Source::G,
            "Active or recent psychosis reported: ketamine is avoided in poorly controlled psychosis",
        ),
        PsychosisHistory => (
            "psychosis_history",
            Warning,
            Source::G,
            "History of psychosis, schizophrenia or mania: psychiatric review before ketamine",
        ),
        IntracranialPressure => (
            "elevated_intracranial_pressure",
            Warning,
            Source::G,
            "Raised intracranial pressure or recent head injury: avoid or use only with extreme caution",
        ),
        IntraocularPressure => (
            "elevated_intraocular_pressure",
            Warning,
            Source::G,
            "Glaucoma or raised eye pressure: ketamine may raise intraocular pressure",
        ),
        ActiveSubstanceUse => (
            "active_substance_use",
            Warning,
            Source::G,
            "Current substance use disorder: serial infusions are not advised",
        ),
        PriorKetamineMisuse => (
            "prior_ketamine_misuse",
            Warning,
            Source::P,
            "Past ketamine misuse or recreational use: misuse risk and bladder history to review",
        ),
        UrinarySymptoms => (
            "possible_ketamine_uropathy",
            Warning,
            Source::L,
            "Bladder symptoms reported: baseline urinalysis; ketamine can cause cystitis",
        ),
        StimulantUse => (
            "bp_monitoring_interaction",
            Warning,
            Source::L,
            "Psychostimulant use: blood pressure rises more with ketamine; monitor closely",
        ),
        SeizureDisorder => ("seizure_disorder", Info, Source::P, "Seizure disorder reported"),
        KetamineAllergy => (
            "ketamine_allergy",
            Urgent,
            Source::L,
            "Ketamine or esketamine allergy reported",
        ),
        NoAdultEscort => (
            "no_adult_escort",
            Warning,
            Source::P,
            "No adult escort named to take the patient home after the infusion",
        ),
    };
    Rule {
        code,
        severity,
        source,
        message,
    }
}

/// Liver disease as the patient reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiverSeverity {
    Mild,
    Moderate,
    Severe,
    /// Liver disease present, severity not known.
    Unknown,
    /// The patient is unsure whether they have liver disease.
    Unsure,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BloodPressure {
    pub systolic: u16,
    pub diastolic: u16,
    pub path: String,
}

/// What the checklist needs from the medical history.
#[derive(Debug, Clone, Default)]
pub struct SafetyFacts {
    /// Each question with its answer and the paths that gave it.
    pub findings: Vec<(Check, Answer, Vec<String>)>,
    pub liver: Option<(LiverSeverity, String)>,
    pub blood_pressure: Option<BloodPressure>,
    /// Current medications by name, with their paths (for MAOI, stimulant and buprenorphine).
    pub medications: Vec<(String, String)>,
    pub opioids: Vec<OpioidDose>,
}

/// The overall picture for the clinician.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EligibilityStatus {
    /// Nothing on the checklist or the screens needs attention (the clinician still decides).
    NoConcernsFound,
    /// At least one warning: a clinician reviews before scheduling.
    ClinicianReviewRequired,
    /// At least one urgent flag: review today.
    UrgentReviewRequired,
}

impl EligibilityStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EligibilityStatus::NoConcernsFound => "no_concerns_found",
            EligibilityStatus::ClinicianReviewRequired => "clinician_review_required",
            EligibilityStatus::UrgentReviewRequired => "urgent_review_required",
        }
    }
}

/// Decision support: never a decision. The server does not decline anyone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"status": "urgent_review_required", "flag_codes": ["suicidal_ideation", "bp_above_threshold"],
    "info_codes": ["high_opioid_dose"], "note": "Decision support only: a clinician reviews every intake and decides."}))]
pub struct Eligibility {
    pub status: EligibilityStatus,
    /// The urgent and warning flags behind the status, most severe first.
    pub flag_codes: Vec<String>,
    /// Informational flags (they do not change the status).
    pub info_codes: Vec<String>,
    pub note: String,
}

/// Everything the server computes from a complete intake's answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Assessment {
    /// Every flag: checklist, opioid load and instrument flags, most severe first.
    pub flags: Vec<Flag>,
    pub mme: MmeResult,
    pub eligibility: Eligibility,
}

/// Applies the checklist to `facts` (and collects the instruments' own flags from `scores`).
pub fn assess(facts: &SafetyFacts, scores: &[ScoreResult], cutoffs: &Cutoffs) -> Assessment {
    let mut flags: Vec<Flag> = Vec::new();
    let mut unsure: Vec<String> = Vec::new();
    for (check, answer, paths) in &facts.findings {
        match (check, answer) {
            (_, Answer::No) => {}
            // "Possibly pregnant" is the pregnancy flag itself.
            (Check::Pregnancy, Answer::Unsure) | (_, Answer::Yes) => add(&mut flags, *check, paths.clone()),
            (_, Answer::Unsure) => unsure.extend(paths.iter().cloned()),
        }
    }
    match &facts.liver {
        Some((LiverSeverity::Severe, path)) => flags.push(Flag::new(
            "severe_hepatic_disease",
            Severity::Warning,
            Source::G,
            "Severe liver disease reported: ketamine is avoided in severe hepatic dysfunction",
            vec![path.clone()],
        )),
        Some((LiverSeverity::Moderate | LiverSeverity::Unknown, path)) => flags.push(Flag::new(
            "hepatic_disease",
            Severity::Warning,
            Source::G,
            "Liver disease reported: check liver function tests before ketamine",
            vec![path.clone()],
        )),
        Some((LiverSeverity::Unsure, path)) => unsure.push(path.clone()),
        Some((LiverSeverity::Mild, _)) | None => {}
    }
    if let Some(bp) = &facts.blood_pressure
        && (bp.systolic > cutoffs.bp_systolic || bp.diastolic > cutoffs.bp_diastolic)
    {
        flags.push(Flag::new(
            "bp_above_threshold",
            Severity::Warning,
            Source::LP,
            format!(
                "Last blood pressure {}/{} mmHg is above {}/{}: recheck and control before infusion",
                bp.systolic, bp.diastolic, cutoffs.bp_systolic, cutoffs.bp_diastolic
            ),
            vec![bp.path.clone()],
        ));
    }
    let interacting: Vec<String> = facts
        .medications
        .iter()
        .filter(|(name, _)| drugs::is_maoi(name) || drugs::is_psychostimulant(name))
        .map(|(_, p)| p.clone())
        .collect();
    if !interacting.is_empty() {
        add(&mut flags, Check::StimulantUse, interacting);
        if let Some(f) = flags.iter_mut().find(|f| f.code == "bp_monitoring_interaction") {
            f.message = "MAOI or psychostimulant in the medication list: blood pressure rises more with ketamine; monitor closely".into();
        }
    }
    let mme = mme::calculate(&facts.opioids);
    let mut bup_paths: Vec<String> = facts
        .medications
        .iter()
        .filter(|(n, _)| drugs::is_buprenorphine(n))
        .map(|(_, p)| p.clone())
        .collect();
    bup_paths.extend(
        facts
            .opioids
            .iter()
            .filter(|o| o.drug == mme::Opioid::Buprenorphine)
            .map(|o| o.path.clone()),
    );
    if !bup_paths.is_empty() {
        flags.push(Flag::new(
            "buprenorphine_present",
            Severity::Info,
            Source::G,
            "Buprenorphine in the medication list: not counted in MME; coordinate with the prescriber",
            dedup(bup_paths),
        ));
    }
    if mme.total_mme_per_day >= f64::from(cutoffs.high_mme) {
        flags.push(Flag::new(
            "high_opioid_dose",
            Severity::Info,
            Source::G,
            format!(
                "Opioid load {} MME/day (CDC 2022), at or above {}",
                mme.total_mme_per_day, cutoffs.high_mme
            ),
            mme.lines.iter().map(|l| l.path.clone()).collect(),
        ));
    }
    if !unsure.is_empty() {
        flags.push(Flag::new(
            "safety_answer_unsure",
            Severity::Warning,
            Source::P,
            "The patient answered \"unsure\" to safety questions: clarify with the patient",
            dedup(unsure),
        ));
    }
    for s in scores {
        flags.extend(s.flags.iter().cloned());
    }
    // Most severe first; stable by code for reproducible output.
    flags.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.code.cmp(&b.code)));
    let eligibility = eligibility(&flags);
    Assessment {
        flags,
        mme,
        eligibility,
    }
}

fn add(flags: &mut Vec<Flag>, check: Check, paths: Vec<String>) {
    let r = rule(check);
    match flags.iter_mut().find(|f| f.code == r.code) {
        Some(existing) => {
            existing.triggered_by.extend(paths);
            existing.triggered_by = dedup(std::mem::take(&mut existing.triggered_by));
        }
        None => flags.push(Flag::new(r.code, r.severity, r.source, r.message, dedup(paths))),
    }
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

pub fn eligibility(flags: &[Flag]) -> Eligibility {
    let codes = |sev: Severity| -> Vec<String> {
        let mut c: Vec<String> = flags
            .iter()
            .filter(|f| f.severity == sev)
            .map(|f| f.code.clone())
            .collect();
        c.dedup();
        c
    };
    let (urgent, warning, info) = (codes(Severity::Urgent), codes(Severity::Warning), codes(Severity::Info));
    let status = if !urgent.is_empty() {
        EligibilityStatus::UrgentReviewRequired
    } else if !warning.is_empty() {
        EligibilityStatus::ClinicianReviewRequired
    } else {
        EligibilityStatus::NoConcernsFound
    };
    Eligibility {
        status,
        flag_codes: urgent.into_iter().chain(warning).collect(),
        info_codes: info,
        note: "Decision support only: a clinician reviews every intake and decides.".into(),
    }
}

#[cfg(test)]
mod tests;
