//! The OpenAPI document shows each instrument's example answers (from its module) with the
//! result the server computes for them, so the documentation cannot drift from the rules.

use serde_json::{Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::example::ExampleBuilder;

use crate::screening::instruments::InstrumentCode;
use crate::screening::model::Cutoffs;
use crate::screening::scoring;

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
    let codes = InstrumentCode::ALL;
    let example =
        |summary: String, value: Value| RefOr::T(ExampleBuilder::new().summary(summary).value(Some(value)).build());
    if let Some(RefOr::T(body)) = op.request_body.as_mut()
        && let Some(RefOr::T(content)) = body.content.get_mut("application/json")
    {
        content.example = None;
        for code in codes {
            content.examples.insert(
                code.as_str().to_owned(),
                example(format!("{code} answers"), json!({"answers": (code.module().example)()})),
            );
        }
    }
    if let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200")
        && let Some(RefOr::T(content)) = ok.content.get_mut("application/json")
    {
        for code in codes {
            if let Ok(result) = scoring::score(code, &(code.module().example)(), "answers", &cutoffs) {
                let value = serde_json::to_value(result).unwrap_or_default();
                content
                    .examples
                    .insert(code.as_str().to_owned(), example(format!("{code} result"), value));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_is_valid() {
        for code in InstrumentCode::ALL {
            let r = scoring::score(code, &(code.module().example)(), "answers", &Cutoffs::default());
            assert!(r.is_ok(), "{code}: {r:?}");
        }
    }
}
