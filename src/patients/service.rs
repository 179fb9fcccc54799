//! Patient profile use-cases. A patient reaches only their own profile (anyone else's is a 404,
//! never a 403); staff reach all. Every read and change is audited.

use uuid::Uuid;
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
use crate::http::pagination::{self, CursorCodec, Page};
use crate::state::{Audited, Caller};
use crate::text;

fn to_row(
    id: Uuid,
    user_id: Option<Uuid>,
    created_by: Uuid,
    f: &PatientFields,
    version: i64,
) -> Result<PatientRow, ApiError> {
    let now = clock::now();
    Ok(PatientRow {
        id: id.to_string(),
        user_id: user_id.map(|u| u.to_string()),
        given_name: f.given_name.trim().to_owned(),
        family_name: f.family_name.trim().to_owned(),
        sort_name: text::fold(&format!("{} {}", f.family_name, f.given_name)),
        date_of_birth: f.date_of_birth,
        sex_at_birth: enum_str(&f.sex_at_birth)?,
        gender_identity: f.gender_identity.as_ref().map(|g| g.trim().to_owned()),
        preferred_language: f.preferred_language.as_str().to_owned(),
        email: f.email.as_ref().map(|e| e.trim().to_owned()),
        phone: f.phone.as_ref().map(|p| p.trim().to_owned()),
        address: f
            .address
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(ApiError::internal)?,
        emergency_contact: f
            .emergency_contact
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(ApiError::internal)?,
        created_by: created_by.to_string(),
        version,
        created_at: now,
        updated_at: now,
    })
}

/// The JSON string of a unit enum variant (`"female"` → `female`).
fn enum_str<T: serde::Serialize>(v: &T) -> Result<String, ApiError> {
    match serde_json::to_value(v).map_err(ApiError::internal)? {
        serde_json::Value::String(s) => Ok(s),
        other => Err(ApiError::internal(anyhow::anyhow!("not a unit enum: {other}"))),
    }
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, ApiError> {
    serde_json::from_str(s).map_err(ApiError::internal)
}

pub fn fields_of(row: &PatientRow) -> Result<PatientFields, ApiError> {
    Ok(PatientFields {
        given_name: row.given_name.clone(),
        family_name: row.family_name.clone(),
        date_of_birth: row.date_of_birth,
        sex_at_birth: from_json(&format!("\"{}\"", row.sex_at_birth))?,
        gender_identity: row.gender_identity.clone(),
        preferred_language: from_json(&format!("\"{}\"", row.preferred_language))?,
        email: row.email.clone(),
        phone: row.phone.clone(),
        address: row.address.as_deref().map(from_json).transpose()?,
        emergency_contact: row.emergency_contact.as_deref().map(from_json).transpose()?,
    })
}

pub fn response(row: PatientRow) -> Result<PatientResponse, ApiError> {
    Ok(PatientResponse {
        id: Uuid::parse_str(&row.id).map_err(ApiError::internal)?,
        user_id: row
            .user_id
            .as_deref()
            .map(Uuid::parse_str)
            .transpose()
            .map_err(ApiError::internal)?,
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
    let id = Uuid::now_v7();
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
pub fn find_visible(conn: &mut DbConn, caller: &Caller, id: Uuid) -> Result<PatientRow, ApiError> {
    let row = repo::find(conn, &id.to_string())?;
    check_visible(conn, caller, id, row)
}

/// `find_visible`, for a change: the row stays locked until the transaction ends.
fn find_visible_for_update(conn: &mut DbConn, caller: &Caller, id: Uuid) -> Result<PatientRow, ApiError> {
    let row = repo::find_for_update(conn, &id.to_string())?;
    check_visible(conn, caller, id, row)
}

fn check_visible(
    conn: &mut DbConn,
    caller: &Caller,
    id: Uuid,
    row: Option<PatientRow>,
) -> Result<PatientRow, ApiError> {
    match row {
        Some(row) if caller.actor.can_access_patient(id) => Ok(row),
        Some(_) => {
            let denied = AuditEvent::new("patient.read", "patient", id)
                .patient(id)
                .outcome(Outcome::Denied);
            audit::record(conn, caller.origin(), &[denied])?;
            Err(ApiError::NotFound("patient"))
        }
        None => Err(ApiError::NotFound("patient")),
    }
}

pub fn get(conn: &mut DbConn, caller: &Caller, id: Uuid) -> Result<Audited<PatientResponse>, ApiError> {
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
    id: Uuid,
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
    let owner = current
        .user_id
        .as_deref()
        .map(Uuid::parse_str)
        .transpose()
        .map_err(ApiError::internal)?;
    let created_by = Uuid::parse_str(&current.created_by).map_err(ApiError::internal)?;
    let mut row = to_row(id, owner, created_by, &merged, current.version + 1)?;
    row.created_at = current.created_at;
    if !repo::update_if_version(conn, &row, current.version)? {
        let now = repo::find(conn, &row.id)?.map_or(current.version, |r| r.version);
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
    let words = q.q.as_deref().map(text::tokens).unwrap_or_default();
    let query_key = format!("patients|q={}", words.join(" "));
    let after: Option<(String, String)> = q.cursor.as_deref().map(|c| codec.decode(&query_key, c)).transpose()?;
    let limit = q.limit.unwrap_or(pagination::DEFAULT_LIMIT);
    let rows = repo::search(conn, &words, after, limit)?;
    let mut events = Vec::new();
    let mut failed = None;
    let page = pagination::finish_page(
        rows,
        limit,
        codec,
        &query_key,
        |r| serde_json::json!((&r.sort_name, &r.id)),
        |r| {
            let id = Uuid::parse_str(&r.id).unwrap_or_default();
            events.push(AuditEvent::new("patient.list", "patient", id).patient(id));
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
        events,
    ))
}
