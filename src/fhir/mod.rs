//! FHIR R4: export of an intake (`GET /api/v1/intakes/{id}/fhir`) and of a treatment course
//! (`GET /api/v1/courses/{id}/fhir`), staff only; the instruments as SDC Questionnaires and
//! QuestionnaireResponses taken in as screenings ([`sdc`]).

pub mod bundle;
pub mod course;
pub mod questionnaire;
pub mod questionnaire_response;
pub mod sdc;
pub mod systems;

use actix_web::{HttpResponse, get, web};
use uuid::Uuid;

use crate::audit::event::AuditEvent;
use crate::db::DbConn;
use crate::error::{ApiError, Problem};
use crate::ids::{CourseId, IntakeId, Json};
use crate::intake::access;
use crate::state::{AppState, Audited, Authenticated, Caller};
use crate::{clock, courses, patients};

pub const FHIR_JSON: &str = "application/fhir+json";

/// The export and screening routes (under `/api/v1/intakes`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(export_intake_fhir).configure(sdc::intake_routes);
}

/// The course export route (under `/api/v1/courses`).
pub fn course_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(export_course_fhir);
}

fn export_course(conn: &mut DbConn, caller: &Caller, id: CourseId) -> Result<Audited<serde_json::Value>, ApiError> {
    let row = courses::access::staff_course(conn, caller, id, "course.export_fhir")?;
    let patient_row = patients::repo::find(conn, row.patient_id)?.ok_or(ApiError::NotFound("patient"))?;
    let patient = patients::service::fields_of(&patient_row)?;
    let sessions = courses::repo::sessions_of(conn, row.id)?;
    let blocks = sessions.iter().map(|s| s.blocks.get()).collect::<Result<Vec<_>, _>>()?;
    let checkins = courses::repo::completed_checkins(conn, row.id)?;
    let answered = checkins
        .iter()
        .filter_map(|c| Some((c, c.answers.as_ref()?, c.scores.as_ref()?)))
        .map(|(c, a, s)| Ok((c, a.get()?, s.get()?)))
        .collect::<Result<Vec<_>, ApiError>>()?;
    let (indications, protocol) = (row.indications.get()?, row.protocol.get()?);
    let doc = course::bundle(&course::CourseExport {
        course_id: row.id.into(),
        patient_id: row.patient_id.into(),
        patient: &patient,
        status: row.status,
        indications: &indications,
        protocol: &protocol,
        planned_sessions: row.planned_sessions,
        created_at: clock::utc(row.created_at),
        ended_at: row.ended_at.map(clock::utc),
        end_reason: row.end_reason,
        sessions: sessions
            .iter()
            .zip(&blocks)
            .map(|(s, blocks)| course::SessionExport {
                id: s.id.into(),
                status: s.status,
                scheduled_at: clock::utc(s.scheduled_at),
                completed_at: s.completed_at.map(clock::utc),
                blocks,
            })
            .collect(),
        checkins: answered
            .iter()
            .map(|(c, answers, scores)| course::CheckinExport {
                id: c.id.into(),
                completed_at: clock::utc(c.completed_at.unwrap_or(c.updated_at)),
                answers,
                scores,
            })
            .collect(),
        generated_at: chrono::Utc::now(),
    });
    Ok(Audited::new(
        doc,
        vec![AuditEvent::new("course.export_fhir", "course", id).patient(row.patient_id)],
    ))
}

/// A treatment course as a FHIR R4 Bundle (staff).
///
/// CarePlan (the course), MedicationAdministration per completed session (ketamine: RxNorm 6130),
/// vital-sign Observations (LOINC 85354-9 with 8480-6 and 8462-4, 8867-4, 59408-5, 9279-1), and
/// per completed check-in a QuestionnaireResponse per instrument with its score Observations.
#[utoipa::path(
    tag = "courses",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Course id")),
    responses(
        (status = 200, description = "FHIR R4 Bundle (type collection)", content_type = "application/fhir+json", body = Object,
         example = json!({"resourceType": "Bundle", "type": "collection", "timestamp": "2026-12-20T10:00:00Z",
            "entry": [{"fullUrl": "urn:uuid:0b7e…", "resource": {"resourceType": "CarePlan", "status": "active", "intent": "plan"}},
                      {"fullUrl": "urn:uuid:4c2a…", "resource": {"resourceType": "MedicationAdministration", "status": "completed",
                       "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "6130", "display": "ketamine"}]}}}]})),
        (status = 403, description = "Staff only: a patient gets this on their own course, and 404 on anyone else's", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such course, or not the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/{id}/fhir")]
pub async fn export_course_fhir(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = CourseId::from(id.into_inner());
    let doc = state
        .read(auth, move |conn, caller| export_course(conn, caller, id))
        .await?;
    Ok(HttpResponse::Ok().content_type(FHIR_JSON).body(doc.to_string()))
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
