//! One realistic answer set per instrument. The OpenAPI document shows each with the result the
//! server computes for it (generated here, so the documentation cannot drift from the rules).

use serde_json::{Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::example::ExampleBuilder;

use super::model::Cutoffs;
use super::scoring;

pub fn answers(code: &str) -> Value {
    match code {
        "phq9" => json!({"1": 1, "2": 2, "3": 3, "4": 2, "5": 1, "6": 1, "7": 1, "8": 0, "9": 1, "10": 1}),
        "gad7" => json!({"1": 2, "2": 2, "3": 1, "4": 2, "5": 1, "6": 1, "7": 0}),
        "pc_ptsd5" => json!({"trauma_exposure": true, "1": true, "2": true, "3": true, "4": false, "5": false}),
        "pcl5" => json!({"1": 2, "2": 1, "3": 1, "4": 3, "5": 2, "6": 3, "7": 2, "8": 0, "9": 2, "10": 2,
                         "11": 3, "12": 2, "13": 2, "14": 1, "15": 1, "16": 0, "17": 3, "18": 2, "19": 2, "20": 3}),
        "asq" => json!({"1": "yes", "2": "no", "3": "no", "4": "no", "5": "no"}),
        "pain_nrs" => json!({"now": 6, "average": 7, "worst": 9}),
        "peg" => json!({"pain": 7, "enjoyment": 6, "activity": 8}),
        "fm2016" => {
            json!({"painful_areas": ["shoulder_girdle_left", "shoulder_girdle_right", "upper_arm_left", "hip_left",
                                             "hip_right", "lower_leg_right", "neck", "upper_back", "lower_back", "jaw_left"],
                           "fatigue": 3, "waking_unrefreshed": 2, "cognitive": 2, "headaches": true,
                           "lower_abdominal_pain": false, "depression": true, "symptom_duration_months": 26})
        }
        "crps_budapest" => json!({"disproportionate_pain": true,
                                  "symptoms": {"sensory": true, "vasomotor": true, "sudomotor_edema": true, "motor_trophic": false},
                                  "signs": null, "other_diagnosis_explains": null}),
        "dn4" => json!({"burning": true, "painful_cold": false, "electric_shocks": true, "tingling": true,
                        "pins_and_needles": false, "numbness": false, "itching": false, "exam": null}),
        _ => json!({"1": true, "2": false, "6": false}),
    }
}

/// Adds per-instrument request and response examples to `POST /instruments/{code}/score`.
pub fn document(api: &mut utoipa::openapi::OpenApi) {
    let Some(op) = api
        .paths
        .paths
        .get_mut("/api/v1/instruments/{code}/score")
        .and_then(|p| p.post.as_mut())
    else {
        return;
    };
    let cutoffs = Cutoffs::default();
    let codes: Vec<&str> = super::catalogue::CATALOGUE.iter().map(|i| i.code).collect();
    let example =
        |summary: String, value: Value| RefOr::T(ExampleBuilder::new().summary(summary).value(Some(value)).build());
    if let Some(RefOr::T(body)) = op.request_body.as_mut()
        && let Some(RefOr::T(content)) = body.content.get_mut("application/json")
    {
        content.example = None;
        for code in &codes {
            content.examples.insert(
                (*code).to_owned(),
                example(format!("{code} answers"), json!({"answers": answers(code)})),
            );
        }
    }
    if let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200")
        && let Some(RefOr::T(content)) = ok.content.get_mut("application/json")
    {
        for code in &codes {
            if let Ok(result) = scoring::score(code, &answers(code), "answers", &cutoffs) {
                let value = serde_json::to_value(result).unwrap_or_default();
                content
                    .examples
                    .insert((*code).to_owned(), example(format!("{code} result"), value));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_is_valid() {
        for inst in super::super::catalogue::CATALOGUE.iter() {
            let r = scoring::score(inst.code, &answers(inst.code), "answers", &Cutoffs::default());
            assert!(r.is_ok(), "{}: {r:?}", inst.code);
        }
    }
}
