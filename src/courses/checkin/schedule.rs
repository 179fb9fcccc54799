//! The check-in rows the plan creates: one before each session, the follow-ups after the course.

use chrono::NaiveDateTime;

use crate::config::CourseSettings;
use crate::courses::repo::{CheckinRow, CourseRow, SessionRow};
use crate::courses::status::{CheckinKind, CheckinStatus};
use crate::error::ApiError;
use crate::ids::{CheckinId, Json};
use crate::screening::instruments::InstrumentCode;
use crate::screening::policy::ScreeningConfig;

/// A due check-in of `course`, open during `window`.
pub fn row(
    course: &CourseRow,
    kind: CheckinKind,
    window: (NaiveDateTime, NaiveDateTime),
    instruments: &[InstrumentCode],
    now: NaiveDateTime,
) -> Result<CheckinRow, ApiError> {
    let codes: Vec<String> = instruments.iter().map(|c| c.as_str().to_owned()).collect();
    Ok(CheckinRow {
        id: CheckinId::new(),
        course_id: course.id,
        patient_id: course.patient_id,
        session_id: None,
        kind,
        day_offset: None,
        status: CheckinStatus::Due,
        version: 1,
        due_from: window.0,
        due_by: window.1,
        top_severity: None,
        late: false,
        created_at: now,
        updated_at: now,
        completed_at: None,
        completed_by: None,
        instruments: Json::new(&codes)?,
        answers: None,
        scores: None,
        flags: None,
    })
}

/// The check-in before `session`.
pub fn pre_session(
    course: &CourseRow,
    session: &SessionRow,
    settings: &CourseSettings,
    screening: &ScreeningConfig,
) -> Result<CheckinRow, ApiError> {
    let instruments = super::plan::pre_session(&course.indications.get()?, &screening.enabled);
    let window = super::plan::pre_session_window(session.scheduled_at, settings.pre_session_hours);
    let mut r = row(
        course,
        CheckinKind::PreSession,
        window,
        &instruments,
        session.created_at,
    )?;
    r.session_id = Some(session.id);
    Ok(r)
}

/// The follow-up check-ins after a course ended at `ended_at`.
pub fn follow_ups(
    course: &CourseRow,
    ended_at: NaiveDateTime,
    settings: &CourseSettings,
    screening: &ScreeningConfig,
) -> Result<Vec<CheckinRow>, ApiError> {
    let instruments = super::plan::follow_up(&screening.enabled);
    super::plan::follow_up_windows(ended_at, &settings.follow_up_days, settings.follow_up_window_days)
        .into_iter()
        .map(|(day, from, by)| {
            let mut r = row(course, CheckinKind::FollowUp, (from, by), &instruments, ended_at)?;
            r.day_offset = Some(day);
            Ok(r)
        })
        .collect()
}
