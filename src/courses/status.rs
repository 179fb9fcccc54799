//! The course's closed vocabularies (FOLLOW-UP.md fixes them), each stored as its wire name.

use std::borrow::Cow;

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{ParseError, TextColumn};

/// An enum whose wire, query-string and stored form is one name per variant.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, AsExpression, FromSqlRow)]
        #[diesel(sql_type = Text)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl TextColumn for $name {
            fn to_text(&self) -> Cow<'_, str> {
                Cow::Borrowed(self.as_str())
            }

            fn from_text(text: String) -> Result<Self, ParseError> {
                Self::parse(&text).ok_or_else(|| format!("unknown {} {text:?}", stringify!($name)).into())
            }
        }

        crate::text_column!($name);
    };
}

wire_enum!(
    /// `active → completed | stopped`.
    CourseStatus {
        Active = "active",
        Completed = "completed",
        Stopped = "stopped",
    }
);

wire_enum!(
    /// What a course treats.
    Indication {
        Fibromyalgia = "fibromyalgia",
        Crps = "crps",
        Neuropathic = "neuropathic",
        Postoperative = "postoperative",
        OtherPain = "other_pain",
        Depression = "depression",
        Anxiety = "anxiety",
        Ptsd = "ptsd",
    }
);

wire_enum!(
    /// Why a course ended: `completed` ends it `completed`, the others `stopped`.
    EndReason {
        Completed = "completed",
        StoppedAdverseEvent = "stopped_adverse_event",
        StoppedNoResponse = "stopped_no_response",
        StoppedPatientChoice = "stopped_patient_choice",
        Other = "other",
    }
);

wire_enum!(
    /// `planned → completed | cancelled`.
    SessionStatus {
        Planned = "planned",
        Completed = "completed",
        Cancelled = "cancelled",
    }
);

wire_enum!(
    /// Before a session, or after the course.
    CheckinKind {
        PreSession = "pre_session",
        FollowUp = "follow_up",
    }
);

wire_enum!(
    /// `due → completed | missed | cancelled`. `missed` is not stored: it is a `due` check-in
    /// past its `due_by` (still accepted, then `completed` and `late`).
    CheckinStatus {
        Due = "due",
        Completed = "completed",
        Missed = "missed",
        Cancelled = "cancelled",
    }
);

impl EndReason {
    pub fn status(self) -> CourseStatus {
        match self {
            EndReason::Completed => CourseStatus::Completed,
            _ => CourseStatus::Stopped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_and_wire_names_agree() {
        for s in CourseStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(CourseStatus::parse(s.as_str()), Some(*s));
        }
        for i in Indication::ALL {
            assert_eq!(serde_json::to_value(i).unwrap(), i.as_str());
        }
        assert_eq!(EndReason::Completed.status(), CourseStatus::Completed);
        assert_eq!(EndReason::StoppedNoResponse.status(), CourseStatus::Stopped);
        assert_eq!(CheckinStatus::parse("missed"), Some(CheckinStatus::Missed));
    }
}
