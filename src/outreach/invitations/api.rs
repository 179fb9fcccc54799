//! Request and response types of `/api/v1/invitations`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::model::{InvitationChannel, InvitationPurpose, InvitationStatus};
use crate::patients::api::PatientFields;

/// Invite an existing patient (`patient_id`) or a new one (`patient`, which creates the
/// profile): exactly one of the two.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "patient": {"given_name": "Ana", "family_name": "García", "date_of_birth": "1984-03-09",
                "sex_at_birth": "female", "preferred_language": "es", "email": "ana@example.org"},
    "purpose": "intake", "channel": "email"
}))]
pub struct CreateInvitationRequest {
    pub patient_id: Option<Uuid>,
    #[validate(nested)]
    pub patient: Option<PatientFields>,
    pub purpose: InvitationPurpose,
    /// Required when `purpose` is `checkin`: the patient's due check-in.
    pub checkin_id: Option<Uuid>,
    pub channel: InvitationChannel,
}

/// An invitation. `link` appears only in the response that creates it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01935b8e-6f1a-7c3e-9d2b-4a5f6e7d8c9b", "patient_id": "01935b8e-6f1a-7c3e-9d2b-4a5f6e7d8c00",
    "purpose": "intake", "intake_id": "01935b8e-6f1a-7c3e-9d2b-4a5f6e7d8c01", "checkin_id": null,
    "channel": "email", "status": "pending", "expires_at": "2026-12-09T10:00:00Z",
    "created_at": "2026-12-02T10:00:00Z", "redeemed_at": null, "revoked_at": null, "reminder_of": null,
    "link": "https://app.clinic.example.org/invite#token=q7Yc0m2u3W9xVn1JbKd8sT4fGh6LpZrA5eXyN0oQwEs"
}))]
pub struct InvitationResponse {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub purpose: InvitationPurpose,
    /// The draft the link opens (purpose `intake`).
    pub intake_id: Option<Uuid>,
    pub checkin_id: Option<Uuid>,
    pub channel: InvitationChannel,
    pub status: InvitationStatus,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub redeemed_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// For a reminder's fresh link: the invitation it reminds of.
    pub reminder_of: Option<Uuid>,
    /// The link to hand to the patient; returned only when the invitation is created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

crate::paged_query! {
    /// Filters of `GET /api/v1/invitations`.
    #[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
    #[serde(deny_unknown_fields)]
    #[into_params(parameter_in = Query)]
    pub struct InvitationListQuery {
        pub status: Option<InvitationStatus>,
        pub patient_id: Option<Uuid>,
    }
}

/// The link's token and the patient's date of birth.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "q7Yc0m2u3W9xVn1JbKd8sT4fGh6LpZrA5eXyN0oQwEs", "date_of_birth": "1984-03-09"}))]
pub struct RedeemRequest {
    #[validate(length(min = 1, max = 200))]
    pub token: String,
    pub date_of_birth: NaiveDate,
}

/// A patient session for the invited patient only; no refresh token (set a password with
/// `POST /api/v1/auth/password` to sign in normally later).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9…", "token_type": "Bearer", "expires_in": 3600,
    "patient_id": "01935b8e-6f1a-7c3e-9d2b-4a5f6e7d8c00", "intake_id": "01935b8e-6f1a-7c3e-9d2b-4a5f6e7d8c01",
    "checkin_id": null
}))]
pub struct RedeemResponse {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds the session lasts (`INVITATION_SESSION_MINUTES`).
    pub expires_in: i64,
    pub patient_id: Uuid,
    pub intake_id: Option<Uuid>,
    pub checkin_id: Option<Uuid>,
}
