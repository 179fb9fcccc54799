//! Roles, the authenticated caller and email normalisation. No actix, no diesel.

use std::borrow::Cow;

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::ids::{ParseError, PatientId, TextColumn, UserId};

/// What a user may do (API.md, Roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Fills in their own intake; sees only their own data.
    Patient,
    /// Reads and reviews every intake; creates intakes for patients (phone intake).
    Clinician,
    /// Manages users and reads the audit log; everything a clinician may.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Patient => "patient",
            Role::Clinician => "clinician",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "patient" => Some(Role::Patient),
            "clinician" => Some(Role::Clinician),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Clinic staff: clinicians and admins.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Clinician | Role::Admin)
    }
}

impl TextColumn for Role {
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.as_str())
    }

    fn from_text(text: String) -> Result<Self, ParseError> {
        Self::parse(&text).ok_or_else(|| format!("unknown role {text:?}").into())
    }
}

crate::text_column!(Role);

/// The signed-in user behind a request, loaded from the database on every request so that a
/// disabled account or a changed role takes effect at once.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: UserId,
    pub role: Role,
    pub display_name: String,
    /// The patient profile owned by this user, if any.
    pub patient_id: Option<PatientId>,
}

impl Actor {
    pub fn is_staff(&self) -> bool {
        self.role.is_staff()
    }

    /// Staff only. Patients are told the route does not exist for them.
    pub fn require_staff(&self) -> Result<(), ApiError> {
        if self.is_staff() {
            Ok(())
        } else {
            Err(ApiError::Forbidden("clinic staff only".into()))
        }
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(ApiError::Forbidden("administrators only".into()))
        }
    }

    /// The user a client names in `field`: a user id, or `me` for the caller.
    pub fn user_named(&self, name: &str, field: &'static str) -> Result<UserId, ApiError> {
        if name == "me" {
            return Ok(self.user_id);
        }
        uuid::Uuid::parse_str(name)
            .map(UserId)
            .map_err(|_| ApiError::invalid(field, "invalid_value", "must be a user id or `me`"))
    }

    /// May this caller see data of `patient_id`? Staff: any; a patient: only their own.
    pub fn can_access_patient(&self, patient_id: PatientId) -> bool {
        self.is_staff() || self.patient_id == Some(patient_id)
    }
}

/// Emails are compared trimmed and case-insensitively.
pub fn normalize_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in [Role::Patient, Role::Clinician, Role::Admin] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
        assert!(!Role::Patient.is_staff());
        assert!(Role::Admin.is_staff());
    }

    #[test]
    fn patients_see_only_their_own_record() {
        let own = PatientId::new();
        let patient = Actor {
            user_id: UserId::new(),
            role: Role::Patient,
            display_name: "p".into(),
            patient_id: Some(own),
        };
        assert!(patient.can_access_patient(own));
        assert!(!patient.can_access_patient(PatientId::new()));
        let clinician = Actor {
            role: Role::Clinician,
            patient_id: None,
            ..patient.clone()
        };
        assert!(clinician.can_access_patient(own));
        assert!(patient.require_staff().is_err());
        assert!(clinician.require_admin().is_err());
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(normalize_email("  Ana.Lopez@Clinic.ORG "), "ana.lopez@clinic.org");
    }
}
