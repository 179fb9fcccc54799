//! What a course gives: drug, route and dose (FOLLOW-UP.md "Courses").

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

/// Racemic ketamine is dosed per kilogram; esketamine as a fixed dose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Drug {
    Ketamine,
    Esketamine,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    Iv,
    Im,
    Intranasal,
}

/// The course's planned dose per session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "dose_fits_drug"))]
#[schema(example = json!({"drug": "ketamine", "route": "iv", "dose_mg_per_kg": 0.5, "infusion_minutes": 40}))]
pub struct Protocol {
    pub drug: Drug,
    pub route: Route,
    /// Ketamine: mg per kg of body weight.
    #[validate(range(exclusive_min = 0.0, max = 5.0))]
    #[schema(exclusive_minimum = 0.0, maximum = 5.0, example = 0.5)]
    pub dose_mg_per_kg: Option<f64>,
    /// Esketamine: mg per session.
    #[validate(range(exclusive_min = 0.0, max = 200.0))]
    #[schema(exclusive_minimum = 0.0, maximum = 200.0, example = 56)]
    pub dose_mg: Option<f64>,
    #[validate(range(min = 1, max = 600))]
    #[schema(minimum = 1, maximum = 600, example = 40)]
    pub infusion_minutes: Option<u16>,
}

/// Ketamine takes `dose_mg_per_kg`, esketamine `dose_mg`: exactly the one that fits.
fn dose_fits_drug(p: &Protocol) -> Result<(), ValidationError> {
    let fits = match p.drug {
        Drug::Ketamine => p.dose_mg_per_kg.is_some() && p.dose_mg.is_none(),
        Drug::Esketamine => p.dose_mg.is_some() && p.dose_mg_per_kg.is_none(),
    };
    if fits {
        Ok(())
    } else {
        let mut e = ValidationError::new("dose_for_drug");
        e.message = Some("ketamine takes dose_mg_per_kg, esketamine dose_mg (one of them)".into());
        Err(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn protocol(drug: Drug, per_kg: Option<f64>, mg: Option<f64>) -> Protocol {
        Protocol {
            drug,
            route: Route::Iv,
            dose_mg_per_kg: per_kg,
            dose_mg: mg,
            infusion_minutes: Some(40),
        }
    }

    #[test]
    fn each_drug_takes_its_own_dose() {
        assert!(protocol(Drug::Ketamine, Some(0.5), None).validate().is_ok());
        assert!(protocol(Drug::Esketamine, None, Some(56.0)).validate().is_ok());
        assert!(protocol(Drug::Ketamine, None, Some(56.0)).validate().is_err());
        assert!(protocol(Drug::Esketamine, Some(0.5), None).validate().is_err());
        assert!(protocol(Drug::Ketamine, Some(0.5), Some(56.0)).validate().is_err());
        assert!(protocol(Drug::Ketamine, Some(0.0), None).validate().is_err());
    }
}
