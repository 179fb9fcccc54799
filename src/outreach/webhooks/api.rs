//! Request and response types of `/api/v1/webhooks`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::model::WebhookEvent;

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://ehr.clinic.example.org/hooks/intake", "events": ["intake.submitted", "intake.urgent_flag"], "description": "EHR inbox"}))]
pub struct CreateWebhookRequest {
    /// `https`, resolving to a public address (unless `WEBHOOK_ALLOW_PRIVATE=true`).
    #[validate(length(min = 1, max = 2000))]
    pub url: String,
    #[validate(length(min = 1, max = 16))]
    pub events: Vec<WebhookEvent>,
    #[validate(length(max = 200), custom(function = "crate::validation::single_line"))]
    pub description: Option<String>,
}

/// Absent fields stay.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"disabled": true}))]
pub struct UpdateWebhookRequest {
    #[validate(length(min = 1, max = 2000))]
    pub url: Option<String>,
    #[validate(length(min = 1, max = 16))]
    pub events: Option<Vec<WebhookEvent>>,
    #[validate(length(max = 200), custom(function = "crate::validation::single_line"))]
    pub description: Option<String>,
    /// `true` pauses deliveries (they wait and retry); `false` resumes.
    pub disabled: Option<bool>,
}

/// An endpoint. `secret` appears only when it is created or rotated.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01935b8e-6f1a-7c3e-9d2b-4a5f6e7d8c9b", "url": "https://ehr.clinic.example.org/hooks/intake",
    "events": ["intake.submitted"], "description": "EHR inbox", "disabled": false,
    "created_at": "2026-12-02T10:00:00Z", "updated_at": "2026-12-02T10:00:00Z",
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
}))]
pub struct WebhookResponse {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub description: Option<String>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The signing secret (Standard Webhooks `whsec_…`); shown only here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// After a rotation: the previous secret also signs until then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
}

/// One delivery attempt.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"message_id": "01935b8e-6f1a-7c3e-9d2b-4a5f6e7d8c01", "event": "intake.submitted",
    "status_code": 204, "duration_ms": 38, "error": null, "attempted_at": "2026-12-02T10:00:01Z"}))]
pub struct DeliveryResponse {
    /// The `webhook-id` the receiver got (the same on every attempt of one event).
    pub message_id: Uuid,
    pub event: String,
    pub status_code: Option<i32>,
    pub duration_ms: i32,
    pub error: Option<String>,
    pub attempted_at: DateTime<Utc>,
}

crate::paged_query! {
    #[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
    #[serde(deny_unknown_fields)]
    #[into_params(parameter_in = Query)]
    pub struct DeliveryListQuery {}
}

/// The ping that was queued.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"message_id": "01935b8e-6f1a-7c3e-9d2b-4a5f6e7d8c01"}))]
pub struct PingResponse {
    pub message_id: Uuid,
}
