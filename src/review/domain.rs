//! The review state machine (API.md): `draft → submitted → in_review → approved | declined |
//! needs_info`, and `needs_info → submitted` again when the patient resubmits. Pure.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::intake::status::IntakeStatus;

/// What a clinician does to an intake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    /// Take a submitted intake into review.
    StartReview,
    /// Clear the patient for treatment scheduling.
    Approve,
    /// Not a candidate now (a note is required).
    Decline,
    /// Send it back to the patient with a note saying what is needed.
    RequestInfo,
    /// Hand it to a clinician (`assign_to`); the status does not change.
    Assign,
}

impl ReviewAction {
    pub const ALL: [ReviewAction; 5] = [
        ReviewAction::StartReview,
        ReviewAction::Approve,
        ReviewAction::Decline,
        ReviewAction::RequestInfo,
        ReviewAction::Assign,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewAction::StartReview => "start_review",
            ReviewAction::Approve => "approve",
            ReviewAction::Decline => "decline",
            ReviewAction::RequestInfo => "request_info",
            ReviewAction::Assign => "assign",
        }
    }

    /// The audit action for this step.
    pub fn audit_action(self) -> &'static str {
        match self {
            ReviewAction::StartReview => "intake.review.start",
            ReviewAction::Approve => "intake.review.approve",
            ReviewAction::Decline => "intake.review.decline",
            ReviewAction::RequestInfo => "intake.review.request_info",
            ReviewAction::Assign => "intake.review.assign",
        }
    }

    /// The status after this action from `from`, or `None` when not allowed.
    pub fn next(self, from: IntakeStatus) -> Option<IntakeStatus> {
        use IntakeStatus::*;
        match (self, from) {
            (ReviewAction::StartReview, Submitted) => Some(InReview),
            (ReviewAction::Approve, InReview) => Some(Approved),
            (ReviewAction::Decline, InReview) => Some(Declined),
            // Only a clinician who has the intake in review asks for more (API.md).
            (ReviewAction::RequestInfo, InReview) => Some(NeedsInfo),
            (ReviewAction::Assign, Submitted | InReview | NeedsInfo) => Some(from),
            _ => None,
        }
    }

    /// A note is required: the patient or the record must say why.
    pub fn needs_note(self) -> bool {
        matches!(self, ReviewAction::Decline | ReviewAction::RequestInfo)
    }
}

/// The actions allowed from `status`.
pub fn allowed(status: IntakeStatus) -> Vec<String> {
    ReviewAction::ALL
        .iter()
        .filter(|a| a.next(status).is_some())
        .map(|a| a.as_str().to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use IntakeStatus::*;

    #[test]
    fn every_transition() {
        let table = [
            (ReviewAction::StartReview, Submitted, Some(InReview)),
            (ReviewAction::Approve, InReview, Some(Approved)),
            (ReviewAction::Decline, InReview, Some(Declined)),
            (ReviewAction::RequestInfo, Submitted, None),
            (ReviewAction::RequestInfo, InReview, Some(NeedsInfo)),
            (ReviewAction::Assign, Submitted, Some(Submitted)),
            (ReviewAction::Assign, NeedsInfo, Some(NeedsInfo)),
        ];
        for (a, from, to) in table {
            assert_eq!(a.next(from), to, "{a:?} from {from:?}");
        }
        // Everything else is forbidden.
        let states = [Draft, Submitted, InReview, Approved, Declined, NeedsInfo];
        let allowed_count: usize = states.iter().map(|s| allowed(*s).len()).sum();
        assert_eq!(allowed_count, 7);
        assert!(allowed(Draft).is_empty());
        assert!(allowed(Approved).is_empty());
        assert!(allowed(Declined).is_empty());
        assert_eq!(allowed(Submitted), vec!["start_review", "assign"]);
        assert_eq!(allowed(InReview), vec!["approve", "decline", "request_info", "assign"]);
        assert_eq!(allowed(NeedsInfo), vec!["assign"]);
        assert!(ReviewAction::Decline.needs_note() && !ReviewAction::Approve.needs_note());
    }
}
