//! HL7 SDC routes: the instruments as Questionnaires (public, for form renderers) and a
//! QuestionnaireResponse stored as an intake's screening.

use actix_web::{HttpRequest, HttpResponse, get, put, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationErrors};

use super::{FHIR_JSON, questionnaire, questionnaire_response};
use crate::error::{ApiError, Problem};
use crate::http::etag::{self, with_etag};
use crate::http::extract::{ValidatedJson, ValidatedQuery};
use crate::ids::IntakeId;
use crate::instruments::api::LangQuery;
use crate::instruments::service::enabled;
use crate::intake::api::IntakeResponse;
use crate::intake::draft;
use crate::screening::catalogue;
use crate::state::{AppState, Authenticated};

/// The public Questionnaire routes (under `/api/v1/fhir`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_questionnaires).service(get_questionnaire);
}

/// The screening route (under `/api/v1/intakes`).
pub fn intake_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(put_screening_response);
}

/// A FHIR resource as sent: its shape is read by the route, which names every bad element.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = Object, example = json!({"resourceType": "QuestionnaireResponse", "status": "completed",
    "questionnaire": "https://intake.example.org/fhir/Questionnaire/phq9|1.0",
    "item": [{"linkId": "1", "answer": [{"valueCoding": {"system": "https://intake.example.org/fhir/Questionnaire/phq9/answers", "code": "1"}}]},
             {"linkId": "2", "answer": [{"valueCoding": {"system": "https://intake.example.org/fhir/Questionnaire/phq9/answers", "code": "2"}}]}]}))]
pub struct FhirResource(pub serde_json::Value);

impl Validate for FhirResource {
    fn validate(&self) -> Result<(), ValidationErrors> {
        Ok(())
    }
}

fn fhir_base(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}/api/v1/fhir", info.scheme(), info.host())
}

/// The enabled instruments as FHIR R4 Questionnaires (HL7 SDC).
///
/// Public, like the instrument catalogue: form renderers (LHC-Forms, Smart Forms) load them
/// before anyone signs in. A `searchset` Bundle, one entry per instrument this clinic offers.
#[utoipa::path(
    tag = "fhir",
    params(LangQuery),
    responses(
        (status = 200, description = "FHIR R4 Bundle (type searchset) of Questionnaires", content_type = "application/fhir+json", body = Object,
         example = json!({"resourceType": "Bundle", "type": "searchset", "total": 1, "entry": [{
            "fullUrl": "http://127.0.0.1:8080/api/v1/fhir/Questionnaire/phq9", "search": {"mode": "match"},
            "resource": {"resourceType": "Questionnaire", "id": "phq9", "url": "https://intake.example.org/fhir/Questionnaire/phq9",
                "version": "1.0", "status": "active", "title": "Patient Health Questionnaire-9 (PHQ-9)"}}]})),
    )
)]
#[get("/Questionnaire")]
pub async fn list_questionnaires(
    state: web::Data<AppState>,
    req: HttpRequest,
    ValidatedQuery(q): ValidatedQuery<LangQuery>,
) -> HttpResponse {
    let cfg = &state.settings.screening;
    let offered: Vec<_> = catalogue::CATALOGUE.iter().filter(|i| cfg.is_enabled(i.code)).collect();
    let doc = questionnaire::searchset(&offered, q.lang.unwrap_or_default(), &fhir_base(&req));
    HttpResponse::Ok().content_type(FHIR_JSON).body(doc.to_string())
}

/// One instrument as a FHIR R4 Questionnaire (HL7 SDC), in English or Spanish.
///
/// Canonical `url` and `version`; items with our item ids as `linkId`, LOINC codes where they
/// exist, answer options coded with their values and the SDC `itemWeight`, `enableWhen` for
/// in-form conditions, `required`. The path takes the instrument code (`pc_ptsd5`) or the
/// resource id (`pc-ptsd5`).
#[utoipa::path(
    tag = "fhir",
    params(("code" = String, Path, description = "Instrument code or Questionnaire id", example = "phq9"), LangQuery),
    responses(
        (status = 200, description = "FHIR R4 Questionnaire", content_type = "application/fhir+json", body = Object,
         example = json!({"resourceType": "Questionnaire", "id": "phq9", "language": "en",
            "url": "https://intake.example.org/fhir/Questionnaire/phq9", "version": "1.0", "name": "Phq9",
            "status": "active", "code": [{"system": "http://loinc.org", "code": "44249-1"}],
            "item": [{"linkId": "1", "type": "choice", "required": true, "text": "Little interest or pleasure in doing things",
                "code": [{"system": "http://loinc.org", "code": "44250-9"}],
                "answerOption": [{"valueCoding": {"system": "https://intake.example.org/fhir/Questionnaire/phq9/answers", "code": "0", "display": "Not at all"},
                    "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/itemWeight", "valueDecimal": 0}]}]}]})),
        (status = 404, description = "Unknown instrument, or not enabled at this clinic (the detail says why)", body = Problem,
         content_type = "application/problem+json"),
    )
)]
#[get("/Questionnaire/{code}")]
pub async fn get_questionnaire(
    state: web::Data<AppState>,
    code: web::Path<String>,
    ValidatedQuery(q): ValidatedQuery<LangQuery>,
) -> Result<HttpResponse, ApiError> {
    let code = questionnaire::parse_id(&code).ok_or(ApiError::NotFound("instrument"))?;
    let inst = enabled(&state.settings.screening, code.as_str())?;
    let doc = questionnaire::questionnaire(inst, q.lang.unwrap_or_default());
    Ok(HttpResponse::Ok().content_type(FHIR_JSON).body(doc.to_string()))
}

/// Store a QuestionnaireResponse as the intake's screening for that instrument.
///
/// The body is a FHIR R4 `QuestionnaireResponse` for `GET /fhir/Questionnaire/{code}`
/// (`application/fhir+json`); its answers replace that instrument's answers and nothing else,
/// under the same rules as `PATCH /intakes/{id}` (`If-Match`, drafts and `needs_info` only,
/// validated like JSON answers). Unknown `linkId`s and answers that are not one of the item's
/// options are a 422 naming the element (`item[2].linkId`).
#[utoipa::path(
    tag = "intakes",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Intake id"),
        ("code" = String, Path, description = "Instrument code", example = "phq9"),
        ("If-Match" = String, Header, description = "ETag of the version being changed"),
    ),
    request_body(content = FhirResource, content_type = "application/fhir+json", description = "A QuestionnaireResponse"),
    responses(
        (status = 200, description = "Updated", body = IntakeResponse, headers(("ETag" = String, description = "New version"))),
        (status = 404, description = "No such intake, or an unknown instrument or one not enabled here", body = Problem,
         content_type = "application/problem+json"),
        (status = 409, description = "The status does not allow edits", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match: someone else changed it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad linkIds or answers, named by their path in the resource", body = Problem,
         content_type = "application/problem+json",
         example = json!({"type": "/problems/validation", "title": "Validation failed", "status": 422,
            "detail": "1 field is invalid", "instance": "/api/v1/intakes/0193a0c4-…/screenings/phq9",
            "errors": [{"field": "item[9].linkId", "code": "unknown_item", "message": "\"11\" is not an item of phq9"}]})),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/{id}/screenings/{code}")]
pub async fn put_screening_response(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    path: web::Path<(Uuid, String)>,
    ValidatedJson(body): ValidatedJson<FhirResource>,
) -> Result<HttpResponse, ApiError> {
    let (id, code) = path.into_inner();
    let if_match = etag::require_if_match(&req)?;
    let cfg = state.settings.screening.clone();
    // Inside the unit of work: the caller is known to be signed in before anything is answered.
    let intake = state
        .write(auth, move |conn, caller| {
            let inst = enabled(&cfg, &code)?;
            let answers = questionnaire_response::answers(inst, &body.0, "").map_err(ApiError::Validation)?;
            draft::put_screening(conn, caller, IntakeId::from(id), if_match, inst.code, answers, &cfg)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &intake))
}
