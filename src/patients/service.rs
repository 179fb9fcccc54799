//! Patient profile use-cases. A patient reaches only their own profile (anyone else's is a 404,
//! never a 403); staff reach all. Every read and change is audited.

use validator::Validate;

use super::api::{PatientFields, PatientListQuery, PatientPatch, PatientResponse};
use super::repo::{self, PatientRow};
use crate::audit::event::{self as audit, AuditEvent, Outcome};
use crate::auth::domain::Role;
use crate::clock;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::http::etag::IfMatch;
use crate::http::extract::validation_issues;
use crate::http::pagination::{self, CursorCodec, Page, Paged};
use crate::ids::{Json, PatientId, UserId};
use crate::state::{Audited, Caller};
use crate::text::NameSearch;

fn to_row(
    id: PatientId,
    user_id: Option<UserId>,
    created_by: UserId,
    f: &PatientFields,
    version: i64,
) -> Result<PatientRow, ApiError> {
    let now = clock::now();
    Ok(PatientRow {
        id,
        user_id,
        given_name: f.given_name.trim().to_owned(),
        family_name: f.family_name.trim().to_owned(),
        date_of_birth: f.date_of_birth,
        sex_at_birth: f.sex_at_birth,
        gender_identity: f.gender_identity.as_ref().map(|g| g.trim().to_owned()),
        preferred_language: f.preferred_language,
        email: f.email.as_ref().map(|e| e.trim().to_owned()),
        phone: f.phone.as_ref().map(|p| p.trim().to_owned()),
        address: f.address.as_ref().map(Json::new).transpose()?,
        emergency_contact: f.emergency_contact.as_ref().map(Json::new).transpose()?,
        created_by,
        version,
        created_at: now,
        updated_at: now,
    })
}

pub fn fields_of(row: &PatientRow) -> Result<PatientFields, ApiError> {
    Ok(PatientFields {
        given_name: row.given_name.clone(),
        family_name: row.family_name.clone(),
        date_of_birth: row.date_of_birth,
        sex_at_birth: row.sex_at_birth,
        gender_identity: row.gender_identity.clone(),
        preferred_language: row.preferred_language,
        email: row.email.clone(),
        phone: row.phone.clone(),
        address: row.address.as_ref().map(Json::get).transpose()?,
        emergency_contact: row.emergency_contact.as_ref().map(Json::get).transpose()?,
    })
}

pub fn response(row: PatientRow) -> Result<PatientResponse, ApiError> {
    Ok(PatientResponse {
        id: row.id.into(),
        user_id: row.user_id.map(Into::into),
        fields: fields_of(&row)?,
        version: row.version,
        created_at: clock::utc(row.created_at),
        updated_at: clock::utc(row.updated_at),
    })
}

/// A patient creates their own profile once; staff create profiles for phone intakes.
pub fn create(conn: &mut DbConn, caller: &Caller, fields: PatientFields) -> Result<PatientResponse, ApiError> {
    let actor = &caller.actor;
    let owner = match actor.role {
        Role::Patient if actor.patient_id.is_some() => {
            return Err(ApiError::conflict(
                "you already have a patient profile; update it with PATCH",
            ));
        }
        Role::Patient => Some(actor.user_id),
        Role::Clinician | Role::Admin => None,
    };
    let id = PatientId::new();
    let row = to_row(id, owner, actor.user_id, &fields, 1)?;
    repo::insert(conn, &row)?;
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("patient.create", "patient", id).patient(id)],
    )?;
    response(row)
}

/// Finds a profile the caller may see; anything else is "not found", and the attempt is audited.
pub fn find_visible(conn: &mut DbConn, caller: &Caller, id: PatientId) -> Result<PatientRow, ApiError> {
    let row = repo::find(conn, id)?;
    check_visible(caller, id, row)
}

/// `find_visible`, for a change: the row stays locked until the transaction ends.
fn find_visible_for_update(conn: &mut DbConn, caller: &Caller, id: PatientId) -> Result<PatientRow, ApiError> {
    let row = repo::find_for_update(conn, id)?;
    check_visible(caller, id, row)
}

fn check_visible(caller: &Caller, id: PatientId, row: Option<PatientRow>) -> Result<PatientRow, ApiError> {
    match row {
        Some(row) if caller.actor.can_access_patient(id) => Ok(row),
        Some(_) => {
            caller.deny(AuditEvent::new("patient.read", "patient", id).patient(id));
            Err(ApiError::NotFound("patient"))
        }
        // Audited like another patient's profile, so the two 404s cost the same.
        None => {
            caller.record_anyway(AuditEvent::new("patient.read", "patient", id).outcome(Outcome::Failure));
            Err(ApiError::NotFound("patient"))
        }
    }
}

pub fn get(conn: &mut DbConn, caller: &Caller, id: PatientId) -> Result<Audited<PatientResponse>, ApiError> {
    let row = find_visible(conn, caller, id)?;
    Ok(Audited::new(
        response(row)?,
        vec![AuditEvent::new("patient.read", "patient", id).patient(id)],
    ))
}

/// Applies a patch when `If-Match` (if sent) names the current version; the merged profile must
/// be valid as a whole.
pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    id: PatientId,
    patch: PatientPatch,
    if_match: Option<IfMatch>,
) -> Result<PatientResponse, ApiError> {
    let current = find_visible_for_update(conn, caller, id)?;
    if let Some(m) = if_match {
        m.check(current.version)?;
    }
    let merged = patch.apply(fields_of(&current)?).map_err(ApiError::Validation)?;
    merged
        .validate()
        .map_err(|e| ApiError::Validation(validation_issues(&e)))?;
    let mut row = to_row(id, current.user_id, current.created_by, &merged, current.version + 1)?;
    row.created_at = current.created_at;
    if !repo::update_if_version(conn, &row, current.version)? {
        let now = repo::current_version(conn, row.id)?.unwrap_or(current.version);
        return Err(ApiError::PreconditionFailed { current_version: now });
    }
    audit::record(
        conn,
        caller.origin(),
        &[AuditEvent::new("patient.update", "patient", id).patient(id)],
    )?;
    response(row)
}

/// Staff search by name. Each profile disclosed in the page is an audited read of it.
pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    q: &PatientListQuery,
    codec: &CursorCodec,
) -> Result<Audited<Page<PatientResponse>>, ApiError> {
    caller.actor.require_staff()?;
    let words = match NameSearch::parse(q.q.as_deref()) {
        NameSearch::All => Vec::new(),
        NameSearch::Words(words) => words,
        NameSearch::Nothing => return Ok(Audited::new(Page::empty(), Vec::new())),
    };
    let query_key = format!("patients|q={}", words.join(" "));
    let after: Option<(chrono::NaiveDateTime, PatientId)> = codec.after(&query_key, q)?;
    let limit = q.limit();
    let rows = repo::search(conn, &words, after, limit)?;
    let mut listed = Vec::new();
    let mut failed = None;
    let page = pagination::finish_page(
        rows,
        limit,
        codec,
        &query_key,
        |r| serde_json::json!((&r.created_at, &r.id)),
        |r| {
            listed.push((r.id, Some(r.id)));
            response(r).map_err(|e| failed = Some(e)).ok()
        },
    );
    if let Some(e) = failed {
        return Err(e);
    }
    let items = page.items.into_iter().flatten().collect();
    Ok(Audited::new(
        Page {
            items,
            next_cursor: page.next_cursor,
        },
        AuditEvent::listing("patient.list", "patient", listed),
    ))
}
