//! Patient profile bodies. The demographic types are shared with the intake's `demographics`.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::http::etag::Versioned;
use crate::http::extract::present;
use crate::ids::{ParseError, TextColumn};
use crate::validation::FieldIssue;

/// Sex assigned at birth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "snake_case")]
pub enum SexAtBirth {
    Female,
    Male,
    Intersex,
    Unknown,
}

impl SexAtBirth {
    pub const ALL: [SexAtBirth; 4] = [
        SexAtBirth::Female,
        SexAtBirth::Male,
        SexAtBirth::Intersex,
        SexAtBirth::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SexAtBirth::Female => "female",
            SexAtBirth::Male => "male",
            SexAtBirth::Intersex => "intersex",
            SexAtBirth::Unknown => "unknown",
        }
    }
}

impl TextColumn for SexAtBirth {
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.as_str())
    }

    fn from_text(text: String) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| format!("unknown sex at birth {text:?}").into())
    }
}

crate::text_column!(SexAtBirth);

/// Language the patient reads forms and consent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    #[default]
    En,
    Es,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Es => "es",
        }
    }
}

impl TextColumn for Language {
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.as_str())
    }

    fn from_text(text: String) -> Result<Self, ParseError> {
        [Language::En, Language::Es]
            .into_iter()
            .find(|l| l.as_str() == text)
            .ok_or_else(|| format!("unknown language {text:?}").into())
    }
}

crate::text_column!(Language);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"line1": "1200 Alameda St", "city": "Los Angeles", "region": "CA", "postal_code": "90012", "country": "US"}))]
pub struct Address {
    #[validate(length(min = 1, max = 200), custom(function = "crate::validation::single_line"))]
    #[schema(max_length = 200, example = "1200 Alameda St")]
    pub line1: String,
    #[validate(length(max = 200), custom(function = "crate::validation::single_line"))]
    #[schema(max_length = 200, example = "Apt 4B")]
    pub line2: Option<String>,
    #[validate(length(min = 1, max = 100), custom(function = "crate::validation::single_line"))]
    #[schema(max_length = 100, example = "Los Angeles")]
    pub city: String,
    /// State, province or region.
    #[validate(length(min = 1, max = 100), custom(function = "crate::validation::single_line"))]
    #[schema(max_length = 100, example = "CA")]
    pub region: String,
    #[validate(length(min = 1, max = 20), custom(function = "crate::validation::single_line"))]
    #[schema(max_length = 20, example = "90012")]
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    #[validate(custom(function = "crate::validation::country_code"))]
    #[schema(min_length = 2, max_length = 2, example = "US")]
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"name": "Luis López", "relationship": "spouse", "phone": "+1 555 010 0142"}))]
pub struct EmergencyContact {
    #[validate(length(min = 1, max = 100), custom(function = "crate::validation::single_line"))]
    #[schema(max_length = 100, example = "Luis López")]
    pub name: String,
    /// e.g. spouse, parent, friend.
    #[validate(length(min = 1, max = 50), custom(function = "crate::validation::single_line"))]
    #[schema(max_length = 50, example = "spouse")]
    pub relationship: String,
    #[validate(custom(function = "crate::validation::phone"))]
    #[schema(example = "+1 555 010 0142")]
    pub phone: String,
}

/// A patient's demographic profile (create body, and the result of applying a patch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[schema(example = json!({
    "given_name": "Ana", "family_name": "López", "date_of_birth": "1984-03-09", "sex_at_birth": "female",
    "gender_identity": "woman", "preferred_language": "es", "email": "ana.lopez@example.org",
    "phone": "+1 555 010 0199",
    "address": {"line1": "1200 Alameda St", "city": "Los Angeles", "region": "CA", "postal_code": "90012", "country": "US"},
    "emergency_contact": {"name": "Luis López", "relationship": "spouse", "phone": "+1 555 010 0142"}}))]
pub struct PatientFields {
    #[validate(length(min = 1, max = 100), custom(function = "crate::validation::single_line"))]
    #[schema(min_length = 1, max_length = 100, example = "Ana")]
    pub given_name: String,
    #[validate(length(min = 1, max = 100), custom(function = "crate::validation::single_line"))]
    #[schema(min_length = 1, max_length = 100, example = "López")]
    pub family_name: String,
    /// Not in the future, within the last 120 years.
    #[validate(custom(function = "crate::validation::date_of_birth"))]
    #[schema(example = "1984-03-09")]
    pub date_of_birth: NaiveDate,
    pub sex_at_birth: SexAtBirth,
    #[validate(length(min = 1, max = 100), custom(function = "crate::validation::single_line"))]
    #[schema(max_length = 100, example = "woman")]
    pub gender_identity: Option<String>,
    #[serde(default)]
    pub preferred_language: Language,
    #[validate(custom(function = "crate::validation::email_address"))]
    #[schema(example = "ana.lopez@example.org")]
    pub email: Option<String>,
    #[validate(custom(function = "crate::validation::phone"))]
    #[schema(example = "+1 555 010 0199")]
    pub phone: Option<String>,
    #[validate(nested)]
    pub address: Option<Address>,
    #[validate(nested)]
    pub emergency_contact: Option<EmergencyContact>,
}

/// Changes to a profile: absent fields stay, `null` clears an optional field. The result must
/// still be a valid profile (so `null` for a required field is a 422).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[schema(example = json!({"phone": "+1 555 010 0100", "gender_identity": null}))]
pub struct PatientPatch {
    #[serde(default, deserialize_with = "present")]
    pub given_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub family_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub date_of_birth: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    pub sex_at_birth: Option<Option<SexAtBirth>>,
    #[serde(default, deserialize_with = "present")]
    pub gender_identity: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub preferred_language: Option<Option<Language>>,
    #[serde(default, deserialize_with = "present")]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub address: Option<Option<Address>>,
    #[serde(default, deserialize_with = "present")]
    pub emergency_contact: Option<Option<EmergencyContact>>,
}

/// Shape is checked on deserialization; the merged profile is validated in the service.
impl Validate for PatientPatch {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

impl PatientPatch {
    /// The profile with the changes applied, or the required fields the patch tried to clear.
    pub fn apply(self, mut p: PatientFields) -> Result<PatientFields, Vec<FieldIssue>> {
        let mut cleared = Vec::new();
        let mut required = |slot_name: &str, v: Option<Option<()>>| {
            if matches!(v, Some(None)) {
                cleared.push(FieldIssue::new(
                    slot_name,
                    "required",
                    "is required and cannot be cleared",
                ));
            }
        };
        required("given_name", self.given_name.as_ref().map(|o| o.as_ref().map(|_| ())));
        required("family_name", self.family_name.as_ref().map(|o| o.as_ref().map(|_| ())));
        required("date_of_birth", self.date_of_birth.map(|o| o.map(|_| ())));
        required("sex_at_birth", self.sex_at_birth.map(|o| o.map(|_| ())));
        required("preferred_language", self.preferred_language.map(|o| o.map(|_| ())));
        if !cleared.is_empty() {
            return Err(cleared);
        }
        fn set<T>(slot: &mut T, v: Option<Option<T>>) {
            if let Some(Some(v)) = v {
                *slot = v;
            }
        }
        fn set_optional<T>(slot: &mut Option<T>, v: Option<Option<T>>) {
            if let Some(v) = v {
                *slot = v;
            }
        }
        set(&mut p.given_name, self.given_name);
        set(&mut p.family_name, self.family_name);
        set(&mut p.date_of_birth, self.date_of_birth);
        set(&mut p.sex_at_birth, self.sex_at_birth);
        set(&mut p.preferred_language, self.preferred_language);
        set_optional(&mut p.gender_identity, self.gender_identity);
        set_optional(&mut p.email, self.email);
        set_optional(&mut p.phone, self.phone);
        set_optional(&mut p.address, self.address);
        set_optional(&mut p.emergency_contact, self.emergency_contact);
        Ok(p)
    }
}

/// A patient profile.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PatientResponse {
    #[schema(example = "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f99")]
    pub id: Uuid,
    /// The patient's own account; null for a profile staff created for a phone intake.
    pub user_id: Option<Uuid>,
    #[serde(flatten)]
    pub fields: PatientFields,
    /// Increments on every change; send it back in `If-Match`.
    #[schema(example = 1)]
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Versioned for PatientResponse {
    fn version(&self) -> i64 {
        self.version
    }
}

crate::paged_query! {
    #[derive(Debug, Deserialize, Validate, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct PatientListQuery {
        /// Name search: every word must start a word of the patient's name; case and accents are
        /// ignored ("jose gar" finds "José García"). A `q` without a letter or digit matches no name.
        #[validate(length(max = 100), custom(function = "crate::validation::single_line"))]
        #[param(example = "jose gar")]
        pub q: Option<String>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ana() -> PatientFields {
        serde_json::from_value(serde_json::json!({
            "given_name": "Ana", "family_name": "López", "date_of_birth": "1984-03-09",
            "sex_at_birth": "female", "phone": "+1 555 010 0199", "gender_identity": "woman"
        }))
        .unwrap()
    }

    #[test]
    fn patch_changes_clears_and_keeps() {
        let patch: PatientPatch =
            serde_json::from_value(serde_json::json!({"family_name": "López Díaz", "gender_identity": null})).unwrap();
        let p = patch.apply(ana()).unwrap();
        assert_eq!(p.family_name, "López Díaz");
        assert_eq!(p.gender_identity, None);
        assert_eq!(p.phone.as_deref(), Some("+1 555 010 0199"));
        assert_eq!(p.given_name, "Ana");
        let clear_required: PatientPatch = serde_json::from_value(serde_json::json!({"given_name": null})).unwrap();
        let issues = clear_required.apply(ana()).unwrap_err();
        assert_eq!(issues[0].field, "given_name");
    }
}
