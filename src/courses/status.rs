//! The course's closed vocabularies (FOLLOW-UP.md fixes them), each stored as its wire name.

crate::wire_enum!(
    /// `active → completed | stopped`.
    CourseStatus {
        Active = "active",
        Completed = "completed",
        Stopped = "stopped",
    }
);

crate::wire_enum!(
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

crate::wire_enum!(
    /// Why a course ended: `completed` ends it `completed`, the others `stopped`.
    EndReason {
        Completed = "completed",
        StoppedAdverseEvent = "stopped_adverse_event",
        StoppedNoResponse = "stopped_no_response",
        StoppedPatientChoice = "stopped_patient_choice",
        Other = "other",
    }
);

crate::wire_enum!(
    /// `planned → completed | cancelled`.
    SessionStatus {
        Planned = "planned",
        Completed = "completed",
        Cancelled = "cancelled",
    }
);

crate::wire_enum!(
    /// Before a session, or after the course.
    CheckinKind {
        PreSession = "pre_session",
        FollowUp = "follow_up",
    }
);

crate::wire_enum!(
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
