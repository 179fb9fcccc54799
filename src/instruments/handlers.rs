//! `/api/v1/instruments`: the catalogue (public) and score previews (signed in).

use actix_web::{HttpResponse, get, post, web};

use super::api::{InstrumentDetail, InstrumentSummary, LangQuery, ScoreRequest};
use super::service;
use crate::error::{ApiError, Problem};
use crate::http::extract::{ValidatedJson, ValidatedQuery};
use crate::screening::model::ScoreResult;
use crate::state::AppState;
use crate::state::Authenticated;

/// The instruments this clinic offers.
///
/// Public: frontends render forms before sign-in. Restricted instruments appear only when the
/// clinic has enabled them.
#[utoipa::path(tag = "instruments", responses((status = 200, description = "Enabled instruments", body = Vec<InstrumentSummary>)))]
#[get("")]
pub async fn list_instruments(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(service::list(&state.settings.screening))
}

/// One instrument: items, answer options and scoring rules, in English or Spanish.
#[utoipa::path(
    tag = "instruments",
    params(("code" = String, Path, description = "Instrument code", example = "phq9"), LangQuery),
    responses(
        (status = 200, description = "The questionnaire", body = InstrumentDetail),
        (status = 404, description = "Unknown instrument, or not enabled at this clinic (the detail says why)", body = Problem,
         content_type = "application/problem+json",
         example = json!({"type": "/problems/not-enabled", "title": "Not enabled at this clinic", "status": 404,
            "detail": "dn4 is restricted (restricted: requires a licence from the copyright holder); an administrator enables it with INSTRUMENTS_ENABLED once the clinic holds the licence",
            "instance": "/api/v1/instruments/dn4"})),
    )
)]
#[get("/{code}")]
pub async fn get_instrument(
    state: web::Data<AppState>,
    code: web::Path<String>,
    ValidatedQuery(q): ValidatedQuery<LangQuery>,
) -> Result<HttpResponse, ApiError> {
    let inst = service::enabled(&state.settings.screening, &code)?;
    Ok(HttpResponse::Ok().json(service::detail(
        inst,
        q.lang.unwrap_or_default(),
        &state.settings.screening.cutoffs,
    )))
}

/// Score answers without storing them.
///
/// Returns the same score object a submitted intake stores. Invalid answers (out of range,
/// missing, or forbidden by the skip logic) are a 422 naming every bad item.
#[utoipa::path(
    tag = "instruments",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Instrument code", example = "phq9")),
    request_body = ScoreRequest,
    responses(
        (status = 200, description = "The score", body = ScoreResult),
        (status = 404, description = "Unknown instrument, or not enabled at this clinic", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/{code}/score")]
pub async fn score_instrument(
    state: web::Data<AppState>,
    auth: Authenticated,
    code: web::Path<String>,
    ValidatedJson(body): ValidatedJson<ScoreRequest>,
) -> Result<HttpResponse, ApiError> {
    // Any signed-in (and not disabled) user may preview; nothing is stored or disclosed.
    state.query(auth, |_, _| Ok(())).await?;
    let inst = service::enabled(&state.settings.screening, &code)?;
    Ok(HttpResponse::Ok().json(service::preview(
        inst,
        &body.answers,
        &state.settings.screening.cutoffs,
    )?))
}
