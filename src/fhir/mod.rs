//! FHIR R4 export of an intake (`GET /api/v1/intakes/{id}/fhir`, staff).

pub mod bundle;

use actix_web::{HttpResponse, get, web};
use uuid::Uuid;

use crate::audit::event::AuditEvent;
use crate::db::DbConn;
use crate::error::{ApiError, Problem};
use crate::ids::{IntakeId, Json};
use crate::intake::access;
use crate::patients;
use crate::state::{AppState, Audited, Authenticated, Caller};

pub const FHIR_JSON: &str = "application/fhir+json";

/// The export route (under `/api/v1/intakes`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(export_intake_fhir);
}

fn export(conn: &mut DbConn, caller: &Caller, id: IntakeId) -> Result<Audited<serde_json::Value>, ApiError> {
    let row = access::staff(conn, caller, id, "intake.export_fhir")?;
    let patient_row = patients::repo::find(conn, row.patient_id)?.ok_or(ApiError::NotFound("patient"))?;
    let patient = patients::service::fields_of(&patient_row)?;
    let sections = row.sections.get()?;
    let scores = row.scores.as_ref().map(Json::get).transpose()?.unwrap_or_default();
    let assessment = row.assessment.as_ref().map(Json::get).transpose()?;
    let patient_id = row.patient_id;
    let doc = bundle::bundle(&bundle::Export {
        intake_id: id.into(),
        patient_id: patient_id.into(),
        patient: &patient,
        sections: &sections,
        scores: &scores,
        assessment: assessment.as_ref(),
        submitted_at: row.submitted_at.map(crate::clock::utc),
        generated_at: chrono::Utc::now(),
    });
    Ok(Audited::new(
        doc,
        vec![AuditEvent::new("intake.export_fhir", "intake", id).patient(patient_id)],
    ))
}

/// The intake as a FHIR R4 Bundle (staff).
///
/// Patient, Condition (per pain condition), AllergyIntolerance, MedicationStatement,
/// QuestionnaireResponse (per instrument), Observation (per score, LOINC where one exists: PHQ-9
/// total 44261-6, PHQ-2 55758-7, GAD-7 total 70274-6, pain 72514-3), the opioid load, and each
/// safety flag as a Flag with its priority.
#[utoipa::path(
    tag = "intakes",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Intake id")),
    responses(
        (status = 200, description = "FHIR R4 Bundle (type collection)", content_type = "application/fhir+json", body = Object,
         example = json!({"resourceType": "Bundle", "type": "collection", "timestamp": "2026-11-27T14:00:00Z",
            "entry": [{"fullUrl": "urn:uuid:6f1c…", "resource": {"resourceType": "Patient", "name": [{"family": "López", "given": ["Ana"]}]}}]})),
        (status = 403, description = "Staff only: a patient gets this on their own intake, and 404 on anyone else's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/{id}/fhir")]
pub async fn export_intake_fhir(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = IntakeId::from(id.into_inner());
    let doc = state.read(auth, move |conn, caller| export(conn, caller, id)).await?;
    Ok(HttpResponse::Ok().content_type(FHIR_JSON).body(doc.to_string()))
}
