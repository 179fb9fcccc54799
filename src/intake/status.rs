//! Where an intake is in its life (API.md status machine), stored as its name.

use std::borrow::Cow;

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{ParseError, TextColumn};

/// Where an intake is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "snake_case")]
pub enum IntakeStatus {
    /// Being filled in; may be incomplete.
    Draft,
    /// Complete and scored; waiting for a clinician.
    Submitted,
    InReview,
    Approved,
    Declined,
    /// Sent back to the patient for more information; editable, then submitted again.
    NeedsInfo,
}

impl IntakeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IntakeStatus::Draft => "draft",
            IntakeStatus::Submitted => "submitted",
            IntakeStatus::InReview => "in_review",
            IntakeStatus::Approved => "approved",
            IntakeStatus::Declined => "declined",
            IntakeStatus::NeedsInfo => "needs_info",
        }
    }

    pub const ALL: [IntakeStatus; 6] = [
        IntakeStatus::Draft,
        IntakeStatus::Submitted,
        IntakeStatus::InReview,
        IntakeStatus::Approved,
        IntakeStatus::Declined,
        IntakeStatus::NeedsInfo,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// The patient (or staff for them) may change the answers.
    pub fn editable(self) -> bool {
        matches!(self, IntakeStatus::Draft | IntakeStatus::NeedsInfo)
    }
}

impl TextColumn for IntakeStatus {
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.as_str())
    }

    fn from_text(text: String) -> Result<Self, ParseError> {
        Self::parse(&text).ok_or_else(|| format!("unknown intake status {text:?}").into())
    }
}

crate::text_column!(IntakeStatus);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_stored_by_their_wire_names() {
        for status in IntakeStatus::ALL {
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.as_str())
            );
            assert_eq!(IntakeStatus::from_text(status.as_str().into()).unwrap(), status);
        }
        assert!(IntakeStatus::from_text("archived".into()).is_err());
        assert!(IntakeStatus::Draft.editable() && IntakeStatus::NeedsInfo.editable());
        assert!(!IntakeStatus::Submitted.editable());
    }
}
