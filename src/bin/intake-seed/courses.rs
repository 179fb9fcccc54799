//! Treatment courses for the benchmarks: courses on approved intakes with their sessions (blocks
//! and flags computed by the service's own rules), check-ins scored by the service's own scoring,
//! and the outcomes computed from them. Active courses keep one pre-session check-in open: the
//! check-in submit scenario answers those.

use std::collections::HashSet;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::Rng;
use intake_api::config::Settings;
use intake_api::courses::api::BaselineSource;
use intake_api::courses::checkin::{plan, schedule, service as checkins};
use intake_api::courses::outcome::{self, Measurement};
use intake_api::courses::protocol::{Drug, Protocol, Route};
use intake_api::courses::repo::{CheckinRow, CourseRow, OutcomeRow, SessionRow};
use intake_api::courses::session::blocks::SessionBlocks;
use intake_api::courses::session::{flags, service as sessions};
use intake_api::courses::status::{CheckinKind, CheckinStatus, CourseStatus, EndReason, Indication, SessionStatus};
use intake_api::db::{self, DbConn};
use intake_api::ids::{CheckinId, CourseId, InfusionId, IntakeId, Json, PatientId, UserId};
use intake_api::on_backend;
use intake_api::schema::{checkins as checkins_t, course_flags, course_outcomes, course_sessions, courses};
use intake_api::screening::model::Flag;
use intake_api::screening::policy::{Answers, Scores};

/// An approved intake to start a course from: its id, patient and scores.
pub struct Approved<'a> {
    pub intake: IntakeId,
    pub patient: PatientId,
    pub scores: &'a Scores,
    pub at: NaiveDateTime,
}

pub struct Seeded {
    pub courses: usize,
    pub sessions: usize,
    pub checkins: usize,
    /// Open pre-session check-ins of active courses (the submit scenario's targets).
    pub open_checkins: Vec<CheckinId>,
}

/// A pre-session answer set with these PHQ-9 and pain totals (side effects mostly mild).
pub fn answers(phq9: i64, pain: i64, bladder: i64) -> Answers {
    let mut items = serde_json::Map::new();
    let mut left = phq9;
    for i in 1..=9 {
        let v = if i == 9 { 0 } else { left.min(3) };
        left -= v;
        items.insert(i.to_string(), json!(v));
    }
    Answers::from([
        ("phq9".to_owned(), serde_json::Value::Object(items)),
        (
            "pain_nrs".to_owned(),
            json!({"now": pain, "average": pain, "worst": (pain + 2).min(10)}),
        ),
        ("peg".to_owned(), json!({"pain": pain, "enjoyment": 5, "activity": 4})),
        (
            "ketamine_side_effects".to_owned(),
            json!({"nausea": 1, "vomiting": 0, "dizziness": 1, "headache": 0, "drowsiness": 1, "blurred_vision": 0,
                "feeling_unreal": 1, "anxiety": 0, "hallucinations": 0, "bladder": bladder, "blood_in_urine": 0, "other": 0}),
        ),
    ])
}

fn blocks(at: NaiveDateTime, systolic: u16, severe: bool) -> anyhow::Result<SessionBlocks> {
    let t = |m: i64| (at + Duration::minutes(m)).and_utc().to_rfc3339();
    Ok(serde_json::from_value(json!({
        "pre_checks": {"weight_kg": 72.5, "fasting_solids_hours": 8, "fasting_clear_liquids_hours": 3,
            "escort_confirmed": true, "pregnancy_test": "not_applicable", "consent_confirmed": true},
        "vitals": [
            {"at": t(0), "phase": "pre", "systolic": systolic, "diastolic": 82, "heart_rate": 74, "spo2": 98, "respiratory_rate": 14},
            {"at": t(20), "phase": "during", "systolic": 138, "diastolic": 86, "heart_rate": 82, "spo2": 97},
            {"at": t(90), "phase": "post", "systolic": 126, "diastolic": 80, "heart_rate": 72, "spo2": 98}],
        "dose": {"drug": "ketamine", "route": "iv", "dose_mg_per_kg": 0.5, "started_at": t(10), "ended_at": t(50), "lot": "KX2291"},
        "sedation_moaas": 4, "dissociation": 3,
        "adverse_events": [{"code": if severe { "emergence_reaction" } else { "nausea" },
            "severity": if severe { "severe" } else { "mild" }, "onset_at": t(30), "resolved": true}],
        "discharge": {"at": t(120), "criteria_met": true, "escort_present": true, "iv_site_ok": true, "instructions_given": true}
    }))?)
}

/// A scored answer set as stored: answers, scores, flags.
type Stored = (Json<Answers>, Json<Scores>, Json<Vec<Flag>>);

/// What one course writes, before it is inserted.
#[derive(Default)]
struct Batch {
    courses: Vec<CourseRow>,
    sessions: Vec<SessionRow>,
    checkins: Vec<CheckinRow>,
    flags: Vec<(CourseId, String, String, i32)>,
    outcomes: Vec<OutcomeRow>,
}

impl Batch {
    fn write(&mut self, conn: &mut DbConn) -> QueryResult<()> {
        let flags: Vec<_> = self
            .flags
            .iter()
            .map(|(c, s, code, sev)| {
                (
                    course_flags::course_id.eq(*c),
                    course_flags::source_id.eq(s.clone()),
                    course_flags::code.eq(code.clone()),
                    course_flags::severity.eq(*sev),
                )
            })
            .collect();
        db::write_tx(conn, |c| -> QueryResult<()> {
            for r in self.courses.chunks(200) {
                let r: Vec<_> = r.iter().map(CourseRow::seal).collect::<Result<_, _>>()?;
                on_backend!(c, c => diesel::insert_into(courses::table).values(&r).execute(c))?;
            }
            for r in self.sessions.chunks(200) {
                let r: Vec<_> = r.iter().map(SessionRow::seal).collect::<Result<_, _>>()?;
                on_backend!(c, c => diesel::insert_into(course_sessions::table).values(&r).execute(c))?;
            }
            for r in self.checkins.chunks(200) {
                let r: Vec<_> = r.iter().map(CheckinRow::seal).collect::<Result<_, _>>()?;
                on_backend!(c, c => diesel::insert_into(checkins_t::table).values(&r).execute(c))?;
            }
            for r in flags.chunks(1000) {
                on_backend!(c, c => diesel::insert_into(course_flags::table).values(r).execute(c))?;
            }
            for r in self.outcomes.chunks(500) {
                on_backend!(c, c => diesel::insert_into(course_outcomes::table).values(r).execute(c))?;
            }
            Ok(())
        })?;
        *self = Batch::default();
        Ok(())
    }
}

/// Seeds `n` courses: two in three active (one per patient), the rest completed or stopped.
/// Each has 4 sessions; active courses 3 completed and 1 planned with its check-in open;
/// ended ones 4 completed and 3 follow-ups (7, 30 and 90 days), the last one still due.
pub fn seed(
    conn: &mut DbConn,
    approved: &[Approved<'_>],
    n: usize,
    settings: &Settings,
    clinician: UserId,
    rng: &mut Rng,
) -> anyhow::Result<Seeded> {
    let cfg = &settings.screening;
    let rules = sessions::rules(&settings.courses, &cfg.cutoffs);
    let protocol = Protocol {
        drug: Drug::Ketamine,
        route: Route::Iv,
        dose_mg_per_kg: Some(0.5),
        dose_mg: None,
        infusion_minutes: Some(40),
    };
    let indications = [Indication::Crps, Indication::Depression];
    let pre_plan = plan::pre_session(&indications, &cfg.enabled);
    // Scored once per answer set with the service's own scoring.
    let templates: Vec<(Answers, Scores, Vec<Flag>)> = [(16, 8, 0), (12, 7, 0), (9, 6, 1), (6, 5, 0), (3, 3, 0)]
        .iter()
        .map(|(p, n, b)| {
            let a = answers(*p, *n, *b);
            let (s, f) = checkins::score(&pre_plan, &a, cfg).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            Ok((a, s, f))
        })
        .collect::<anyhow::Result<_>>()?;
    let stored: Vec<Stored> = templates
        .iter()
        .map(|(a, s, f)| Ok((Json::new(a)?, Json::new(s)?, Json::new(f)?)))
        .collect::<Result<_, intake_api::error::ApiError>>()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let err = |e: intake_api::error::ApiError| anyhow::anyhow!("{e:?}");
    let now = intake_api::clock::now();
    let mut active: HashSet<PatientId> = HashSet::new();
    let mut out = Seeded {
        courses: 0,
        sessions: 0,
        checkins: 0,
        open_checkins: Vec::new(),
    };
    let mut batch = Batch::default();
    for i in 0..n {
        let a = &approved[i % approved.len()];
        let status = if i % 3 != 0 && active.insert(a.patient) {
            CourseStatus::Active
        } else if i % 2 == 0 {
            CourseStatus::Completed
        } else {
            CourseStatus::Stopped
        };
        let is_active = status == CourseStatus::Active;
        let start = now - Duration::days(30 + rng.below(300) as i64);
        let course_id = CourseId::new();
        let mut course = CourseRow {
            id: course_id,
            patient_id: a.patient,
            intake_id: a.intake,
            status,
            version: 1,
            planned_sessions: 4,
            sessions_completed: if is_active { 3 } else { 4 },
            next_session_at: None,
            top_severity: None,
            flag_codes: None,
            created_by: clinician,
            created_at: start,
            updated_at: start,
            ended_at: None,
            end_reason: None,
            end_note: None,
            indications: Json::new(&indications.to_vec()).map_err(err)?,
            protocol: Json::new(&protocol).map_err(err)?,
            notes: None,
            next_due_by: None,
        };
        let mut course_flags: Vec<(String, i32)> = Vec::new();
        let mut measured: Vec<(CheckinId, NaiveDateTime, bool, usize)> = Vec::new();
        let trend = rng.below(3) as usize; // 0 responds, 1 partly, 2 not at all
        for k in 0..4i64 {
            let at = start + Duration::days(7 * k);
            let planned = is_active && k == 3;
            let scheduled = if planned { now + Duration::days(2) } else { at };
            let mut b = blocks(
                scheduled,
                if rng.below(10) == 0 { 150 } else { 128 },
                rng.below(25) == 0,
            )?;
            flags::compute_total(&mut b);
            let session_flags = if planned {
                Vec::new()
            } else {
                flags::flags(&b, &protocol, &rules)
            };
            let session_id = InfusionId::new();
            for f in &session_flags {
                course_flags.push((f.code.clone(), f.severity.rank()));
                batch
                    .flags
                    .push((course_id, session_id.to_string(), f.code.clone(), f.severity.rank()));
            }
            batch.sessions.push(SessionRow {
                id: session_id,
                course_id,
                patient_id: a.patient,
                status: if planned {
                    SessionStatus::Planned
                } else {
                    SessionStatus::Completed
                },
                version: if planned { 1 } else { 3 },
                scheduled_at: scheduled,
                created_by: clinician,
                created_at: start,
                updated_at: scheduled,
                completed_at: (!planned).then_some(scheduled + Duration::hours(2)),
                cancelled_at: None,
                cancel_reason: None,
                blocks: Json::new(&if planned { SessionBlocks::default() } else { b }).map_err(err)?,
                flags: Json::new(&session_flags).map_err(err)?,
                staff_notes: None,
            });
            let (due_from, due_by) = plan::pre_session_window(scheduled, settings.courses.pre_session_hours);
            let template = match trend {
                0 => k as usize,
                1 => k as usize / 2,
                _ => 0,
            };
            let mut checkin =
                schedule::row(&course, CheckinKind::PreSession, (due_from, due_by), &pre_plan, start).map_err(err)?;
            checkin.session_id = Some(session_id);
            if planned {
                out.open_checkins.push(checkin.id);
                course.next_session_at = Some(scheduled);
                batch.checkins.push(checkin);
            } else {
                let done = scheduled - Duration::hours(6);
                measured.push((checkin.id, done, true, template));
                batch.checkins.push(complete(
                    checkin,
                    &stored[template],
                    &templates[template].2,
                    done,
                    clinician,
                ));
            }
        }
        if !is_active {
            let ended = start + Duration::days(22);
            course.ended_at = Some(ended);
            course.end_reason = Some(if status == CourseStatus::Completed {
                EndReason::Completed
            } else {
                EndReason::StoppedPatientChoice
            });
            for (j, day) in settings.courses.follow_up_days.iter().enumerate() {
                let from = ended + Duration::days(i64::from(*day));
                // Follow-ups ask the pre-session set here: the benchmarks list and count them, and
                // answer only the open pre-session ones.
                let window = (
                    from,
                    from + Duration::days(i64::from(settings.courses.follow_up_window_days)),
                );
                let mut c = schedule::row(&course, CheckinKind::FollowUp, window, &pre_plan, ended).map_err(err)?;
                c.day_offset = Some(i32::from(*day));
                let last = j + 1 == settings.courses.follow_up_days.len();
                if last || c.due_from > now {
                    batch.checkins.push(c);
                } else {
                    let template = [4, 2, 0][trend];
                    measured.push((c.id, from + Duration::hours(9), false, template));
                    batch.checkins.push(complete(
                        c,
                        &stored[template],
                        &templates[template].2,
                        from + Duration::hours(9),
                        clinician,
                    ));
                }
            }
        }
        let ms: Vec<Measurement<'_>> = measured
            .iter()
            .map(|(id, at, pre, t)| Measurement {
                source: BaselineSource::Checkin,
                id: (*id).into(),
                at: at.and_utc(),
                pre_session: *pre,
                scores: &templates[*t].1,
            })
            .collect();
        let baseline = Measurement {
            source: BaselineSource::Intake,
            id: a.intake.into(),
            at: a.at.and_utc(),
            pre_session: false,
            scores: a.scores,
        };
        let (outcomes, _) = outcome::compute(Some(&baseline), &ms, &settings.courses.outcome_cutoffs);
        for o in outcomes.into_values() {
            batch.outcomes.push(OutcomeRow {
                course_id,
                instrument: o.instrument.clone(),
                classification: serde_json::to_value(o.classification)?
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                rule_set: o.rule_set.clone(),
                updated_at: now,
                outcome: Json::new(&o).map_err(err)?,
            });
        }
        course.next_due_by = batch
            .checkins
            .iter()
            .filter(|c| c.course_id == course_id && c.status == CheckinStatus::Due)
            .map(|c| c.due_by)
            .min();
        course_flags.sort();
        course_flags.dedup_by(|a, b| a.0 == b.0);
        course.top_severity = course_flags.iter().map(|(_, s)| *s).max();
        if !course_flags.is_empty() {
            course.flag_codes = Some(
                course_flags
                    .iter()
                    .map(|(c, _)| c.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            );
        }
        out.courses += 1;
        out.sessions += 4;
        batch.courses.push(course);
        if batch.courses.len() == 500 {
            out.checkins += batch.checkins.len();
            batch.write(conn)?;
        }
    }
    out.checkins += batch.checkins.len();
    batch.write(conn)?;
    Ok(out)
}

fn complete(mut c: CheckinRow, stored: &Stored, flags: &[Flag], at: NaiveDateTime, by: UserId) -> CheckinRow {
    c.status = CheckinStatus::Completed;
    c.version = 2;
    c.completed_at = Some(at);
    c.completed_by = Some(by);
    c.updated_at = at;
    c.late = at > c.due_by;
    c.top_severity = flags.iter().map(|f| f.severity.rank()).max();
    c.answers = Some(stored.0.clone());
    c.scores = Some(stored.1.clone());
    c.flags = Some(stored.2.clone());
    c
}
