//! Roles, the authenticated caller and email normalisation. No actix, no diesel.

use std::borrow::Cow;

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use unicode_normalization::UnicodeNormalization;
use unicode_script::{Script, UnicodeScript};

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

/// An email as accounts compare it (SECURITY.md): Unicode NFKC, lower case, the domain in IDNA
/// ASCII (punycode). An address carrying an invisible character, or whose local part or a
/// domain label mixes scripts, is refused: it could only be a lookalike of another address
/// (`ana@exаmple.org` with a Cyrillic а). Fullwidth or decomposed forms fold to the plain one.
pub fn canonical_email(raw: &str) -> Result<String, &'static str> {
    let folded: String = raw.trim().nfkc().collect::<String>().to_lowercase();
    if folded
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || is_invisible(c))
    {
        return Err("must not contain invisible characters or spaces");
    }
    let (local, domain) = folded.rsplit_once('@').ok_or("must be a valid email address")?;
    if local.is_empty() || domain.is_empty() {
        return Err("must be a valid email address");
    }
    if mixes_scripts(local) || domain.split('.').any(mixes_scripts) {
        return Err("must not mix alphabets within the name or a part of the domain");
    }
    let domain = idna::domain_to_ascii(domain).map_err(|_| "must have a valid domain")?;
    Ok(format!("{local}@{domain}"))
}

/// Default-ignorable code points (Unicode DerivedCoreProperties): they render as nothing.
fn is_invisible(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF)
}

/// More than one script among the letters (digits and punctuation are script-neutral).
fn mixes_scripts(s: &str) -> bool {
    let mut first = None;
    for script in s.chars().map(|c| c.script()) {
        if matches!(script, Script::Common | Script::Inherited | Script::Unknown) {
            continue;
        }
        match first {
            None => first = Some(script),
            Some(f) if f != script => return true,
            Some(_) => {}
        }
    }
    false
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
        assert_eq!(
            canonical_email("  Ana.Lopez@Clinic.ORG ").unwrap(),
            "ana.lopez@clinic.org"
        );
        // Fullwidth letters, decomposed accents and an upper-case IDN all fold to one form.
        assert_eq!(canonical_email("ana@ｅｘａｍｐｌｅ.org").unwrap(), "ana@example.org");
        assert_eq!(
            canonical_email("jose\u{301}@example.org").unwrap(),
            "jos\u{e9}@example.org"
        );
        assert_eq!(canonical_email("ana@BÜCHER.de").unwrap(), "ana@xn--bcher-kva.de");
        assert_eq!(
            canonical_email("ana@bu\u{308}cher.de").unwrap(),
            canonical_email("ana@b\u{fc}cher.de").unwrap()
        );
    }

    #[test]
    fn lookalike_emails_are_refused() {
        for lookalike in [
            "ana@ex\u{430}mple.org",   // Cyrillic а in a Latin label
            "\u{430}na@example.org",   // Cyrillic а in a Latin name
            "ana@example.org\u{200b}", // zero-width space
            "an\u{200d}a@example.org", // zero-width joiner
            "ana@exa mple.org",
            "ana.example.org",
        ] {
            assert!(canonical_email(lookalike).is_err(), "{lookalike:?}");
        }
        // One script throughout is fine, whichever it is.
        assert_eq!(canonical_email("иван@пример.рф").unwrap(), "иван@xn--e1afmkfd.xn--p1ai");
    }
}
