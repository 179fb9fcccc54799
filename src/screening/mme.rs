//! Morphine milligram equivalents per CDC 2022 (Dowell et al., MMWR 2022;71(3)).
//! Daily doses are mg/day, except transdermal fentanyl in mcg/h. Buprenorphine has no factor:
//! it is not counted and is flagged. An opioid without a factor is listed as unconverted.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const RULE_SET: &str = "CDC2022";

/// Opioids with a CDC 2022 conversion factor, plus buprenorphine and "other".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Opioid {
    Codeine,
    /// Dose in mcg/h (patch strength).
    FentanylTransdermal,
    Hydrocodone,
    Hydromorphone,
    Methadone,
    Morphine,
    Oxycodone,
    Oxymorphone,
    Tapentadol,
    Tramadol,
    Buprenorphine,
    /// Any other opioid: listed as unconverted for the clinician.
    Other,
}

impl Opioid {
    /// CDC 2022 conversion factor (per mg/day; fentanyl per mcg/h).
    pub fn factor(self) -> Option<f64> {
        Some(match self {
            Opioid::Codeine => 0.15,
            Opioid::FentanylTransdermal => 2.4,
            Opioid::Hydrocodone => 1.0,
            Opioid::Hydromorphone => 5.0,
            Opioid::Methadone => 4.7,
            Opioid::Morphine => 1.0,
            Opioid::Oxycodone => 1.5,
            Opioid::Oxymorphone => 3.0,
            Opioid::Tapentadol => 0.4,
            Opioid::Tramadol => 0.2,
            Opioid::Buprenorphine | Opioid::Other => return None,
        })
    }

    pub fn unit(self) -> &'static str {
        if self == Opioid::FentanylTransdermal {
            "mcg/h"
        } else {
            "mg/day"
        }
    }
}

/// One opioid as the patient takes it, reduced to a daily amount.
#[derive(Debug, Clone, PartialEq)]
pub struct OpioidDose {
    pub drug: Opioid,
    /// As the patient named it.
    pub name: String,
    /// mg/day, or mcg/h for transdermal fentanyl.
    pub daily_dose: f64,
    /// JSON path of the entry.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MmeLine {
    pub drug: Opioid,
    pub name: String,
    pub daily_dose: f64,
    /// `mg/day` or `mcg/h`.
    pub unit: String,
    pub factor: f64,
    pub mme: f64,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Unconverted {
    pub name: String,
    pub reason: String,
    pub path: String,
}

/// Daily opioid load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"rule_set": "CDC2022", "total_mme_per_day": 90.0,
    "lines": [{"drug": "fentanyl_transdermal", "name": "Duragesic", "daily_dose": 25.0, "unit": "mcg/h", "factor": 2.4, "mme": 60.0, "path": "sections.medical_history.opioids[0]"},
              {"drug": "oxycodone", "name": "oxycodone", "daily_dose": 20.0, "unit": "mg/day", "factor": 1.5, "mme": 30.0, "path": "sections.medical_history.opioids[1]"}],
    "unconverted": [], "buprenorphine_present": false}))]
pub struct MmeResult {
    pub rule_set: String,
    /// Sum of converted opioids, 2 decimals.
    pub total_mme_per_day: f64,
    pub lines: Vec<MmeLine>,
    /// Opioids not counted (buprenorphine, unknown opioids), for the clinician to see.
    pub unconverted: Vec<Unconverted>,
    pub buprenorphine_present: bool,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub fn calculate(doses: &[OpioidDose]) -> MmeResult {
    let mut lines = Vec::new();
    let mut unconverted = Vec::new();
    for d in doses {
        match d.drug.factor() {
            Some(factor) => lines.push(MmeLine {
                drug: d.drug,
                name: d.name.clone(),
                daily_dose: d.daily_dose,
                unit: d.drug.unit().into(),
                factor,
                mme: round2(d.daily_dose * factor),
                path: d.path.clone(),
            }),
            None => unconverted.push(Unconverted {
                name: d.name.clone(),
                reason: if d.drug == Opioid::Buprenorphine {
                    "buprenorphine has no MME factor (CDC 2022); not counted".into()
                } else {
                    "no CDC 2022 conversion factor for this opioid; not counted".into()
                },
                path: d.path.clone(),
            }),
        }
    }
    MmeResult {
        rule_set: RULE_SET.into(),
        total_mme_per_day: round2(lines.iter().map(|l| l.daily_dose * l.factor).sum()),
        lines,
        unconverted,
        buprenorphine_present: doses.iter().any(|d| d.drug == Opioid::Buprenorphine),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dose(drug: Opioid, daily: f64) -> OpioidDose {
        OpioidDose {
            drug,
            name: format!("{drug:?}"),
            daily_dose: daily,
            path: "p".into(),
        }
    }

    #[test]
    fn cdc_examples() {
        // Oxycodone 10 mg twice daily → 30.
        assert_eq!(calculate(&[dose(Opioid::Oxycodone, 20.0)]).total_mme_per_day, 30.0);
        // Fentanyl 25 mcg/h + oxycodone 5 mg four times daily → 90.
        assert_eq!(
            calculate(&[dose(Opioid::FentanylTransdermal, 25.0), dose(Opioid::Oxycodone, 20.0)]).total_mme_per_day,
            90.0
        );
        // Morphine 25 mg twice daily → 50.
        assert_eq!(calculate(&[dose(Opioid::Morphine, 50.0)]).total_mme_per_day, 50.0);
    }

    #[test]
    fn every_factor() {
        let cases = [
            (Opioid::Codeine, 100.0, 15.0),
            (Opioid::FentanylTransdermal, 12.0, 28.8),
            (Opioid::Hydrocodone, 30.0, 30.0),
            (Opioid::Hydromorphone, 8.0, 40.0),
            (Opioid::Methadone, 10.0, 47.0),
            (Opioid::Morphine, 60.0, 60.0),
            (Opioid::Oxycodone, 15.0, 22.5),
            (Opioid::Oxymorphone, 10.0, 30.0),
            (Opioid::Tapentadol, 100.0, 40.0),
            (Opioid::Tramadol, 200.0, 40.0),
        ];
        for (drug, daily, expected) in cases {
            let r = calculate(&[dose(drug, daily)]);
            assert_eq!(r.total_mme_per_day, expected, "{drug:?}");
            assert_eq!(
                r.lines[0].unit,
                if drug == Opioid::FentanylTransdermal {
                    "mcg/h"
                } else {
                    "mg/day"
                }
            );
        }
    }

    #[test]
    fn buprenorphine_and_unknown_are_listed_not_counted() {
        let r = calculate(&[
            dose(Opioid::Buprenorphine, 16.0),
            dose(Opioid::Other, 10.0),
            dose(Opioid::Morphine, 30.0),
        ]);
        assert_eq!(r.total_mme_per_day, 30.0);
        assert!(r.buprenorphine_present);
        assert_eq!(r.unconverted.len(), 2);
        assert_eq!(r.rule_set, "CDC2022");
    }
}
