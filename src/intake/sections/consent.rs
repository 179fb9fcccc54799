//! The `consent` section: what the patient signs, and the evidence the server records with it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::choice::NoneAnswer;
use crate::patients::api::Language;

choice!(SignerRole {
    /// The patient signs for themself.
    #[serde(rename = "self")]
    SelfSigned,
    LegalGuardian,
    HealthcarePoa,
    /// Clinic staff type the patient's attestation on an intake they fill in for the patient
    /// (phone intake); the staff member is recorded in the evidence.
    StaffOnBehalf
});
choice!(SessionRecording { Declined, Audio, Video });

/// Each statement of the consent text the patient affirms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
pub struct ConsentAcknowledgements {
    pub off_label_no_guarantee: Option<bool>,
    pub controlled_substance: Option<bool>,
    pub acute_effects: Option<bool>,
    pub monitoring_and_rescue: Option<bool>,
    pub longer_term_risks: Option<bool>,
    pub post_infusion_restrictions: Option<bool>,
    pub right_to_withdraw: Option<bool>,
    pub continuing_care_and_crisis_plan: Option<bool>,
    pub privacy_notice: Option<bool>,
    pub financial_responsibility: Option<bool>,
}

/// What the patient signs. The server adds the evidence (`signed_at`, `text_sha256`,
/// `client_addr`, `user_agent`) when the section is saved with `accepted: true`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"accepted": true, "signer_name": "Ana López", "signer_role": "self", "consent_version": "2026-11-01",
    "lang": "es", "acknowledgements": {"off_label_no_guarantee": true, "controlled_substance": true, "acute_effects": true,
    "monitoring_and_rescue": true, "longer_term_risks": true, "post_infusion_restrictions": true, "right_to_withdraw": true,
    "continuing_care_and_crisis_plan": true, "privacy_notice": true, "financial_responsibility": true},
    "session_recording": "declined"}))]
pub struct ConsentInput {
    pub accepted: Option<bool>,
    /// Typed full name as signature.
    #[validate(length(min = 1, max = 200), custom(function = "crate::validation::single_line"))]
    pub signer_name: Option<String>,
    pub signer_role: Option<SignerRole>,
    /// Version from `GET /api/v1/consent/current`.
    #[validate(length(min = 1, max = 40), custom(function = "crate::validation::single_line"))]
    pub consent_version: Option<String>,
    pub lang: Option<Language>,
    #[validate(nested)]
    pub acknowledgements: Option<ConsentAcknowledgements>,
    pub session_recording: Option<SessionRecording>,
}

/// Evidence the server records with an accepted consent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConsentEvidence {
    pub signed_at: chrono::DateTime<chrono::Utc>,
    /// SHA-256 (hex) of the exact consent text of that version and language.
    pub text_sha256: String,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
    /// The staff member who typed the patient's attestation (signer role `staff_on_behalf`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<uuid::Uuid>,
}

/// The stored consent section: the patient's input and the server's evidence.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Consent {
    #[serde(flatten)]
    pub input: ConsentInput,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<ConsentEvidence>,
}
