//! Clinician review: the worklist, review steps with assignment and notes, exam entries.

use uuid::Uuid;

use super::api::{ActorDto, ExamRequest, ReviewEntry, ReviewRequest, ReviewResult};
use super::domain::{self, ReviewAction};
use super::repo::{self, Filter, Sort, SortKey};
use crate::audit::event::{self as audit, AuditEvent};
use crate::auth::domain::Role;
use crate::clock;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::http::etag::IfMatch;
use crate::http::pagination::{self, CursorCodec, Page};
use crate::intake::api::{IntakeListQuery, IntakeResponse, IntakeSort, IntakeStatus, IntakeSummary};
use crate::intake::service as intake;
use crate::intake::{exam, repo as intake_repo, triage};
use crate::screening::instruments::InstrumentCode;
use crate::screening::model::Severity;
use crate::screening::policy::{self, ScreeningConfig};
use crate::screening::{safety, scoring};
use crate::state::{Audited, Caller};
use crate::text;

fn uuid(s: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(s).map_err(ApiError::internal)
}

fn status(s: &str) -> Result<IntakeStatus, ApiError> {
    IntakeStatus::parse(s).ok_or_else(|| ApiError::internal(anyhow::anyhow!("unknown status {s}")))
}

/// The list behind `GET /intakes`: a patient's own intakes, or the clinic's worklist for staff.
pub fn worklist(
    conn: &mut DbConn,
    caller: &Caller,
    q: &IntakeListQuery,
    codec: &CursorCodec,
) -> Result<Audited<Page<IntakeSummary>>, ApiError> {
    let mut filter = Filter::default();
    if let Some(list) = &q.status {
        for (i, s) in list.split(',').map(str::trim).filter(|s| !s.is_empty()).enumerate() {
            let parsed = IntakeStatus::parse(s).ok_or_else(|| {
                ApiError::invalid(
                    "status",
                    "invalid_value",
                    format!(
                        "item {i}: {s:?} is not a status (draft, submitted, in_review, approved, declined, needs_info)"
                    ),
                )
            })?;
            filter.statuses.push(parsed.as_str().to_owned());
        }
    }
    filter.pain_type = q.pain_type.map(|t| {
        serde_json::to_value(t)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    });
    filter.flag = q.flag.clone();
    filter.min_severity = q.severity.map(|s| match s {
        Severity::Info => 1,
        Severity::Warning => 2,
        Severity::Urgent => 3,
    });
    filter.assigned_to = match q.assigned_to.as_deref() {
        None => None,
        Some("me") => Some(caller.actor.user_id.to_string()),
        Some(id) => Some(
            Uuid::parse_str(id)
                .map_err(|_| ApiError::invalid("assigned_to", "invalid_value", "must be a user id or `me`"))?
                .to_string(),
        ),
    };
    filter.submitted_from = q.submitted_from.map(|t| t.naive_utc());
    filter.submitted_to = q.submitted_to.map(|t| t.naive_utc());
    filter.name_words = q.q.as_deref().map(text::tokens).unwrap_or_default();
    filter.patient_id = q.patient_id.map(|p| p.to_string());
    if caller.actor.role == Role::Patient {
        // A patient's list is always scoped to their own profile, whatever else they ask.
        match caller.actor.patient_id {
            Some(own) if q.patient_id.is_none_or(|p| p == own) => filter.patient_id = Some(own.to_string()),
            _ => {
                return Ok(Audited::new(
                    Page {
                        items: Vec::new(),
                        next_cursor: None,
                    },
                    Vec::new(),
                ));
            }
        }
    }
    let sort_param = q.sort.unwrap_or(IntakeSort::UpdatedDesc);
    let sort = match sort_param {
        IntakeSort::SubmittedAsc => Sort {
            key: SortKey::SubmittedAt,
            descending: false,
        },
        IntakeSort::SubmittedDesc => Sort {
            key: SortKey::SubmittedAt,
            descending: true,
        },
        IntakeSort::UpdatedAsc => Sort {
            key: SortKey::UpdatedAt,
            descending: false,
        },
        IntakeSort::UpdatedDesc => Sort {
            key: SortKey::UpdatedAt,
            descending: true,
        },
    };
    let query_key = format!("intakes|{filter:?}|{sort_param:?}");
    let after = q.cursor.as_deref().map(|c| codec.decode(&query_key, c)).transpose()?;
    let limit = q.limit.unwrap_or(pagination::DEFAULT_LIMIT);
    let rows = repo::worklist(conn, &filter, sort, after, limit)?;
    let key = move |(r, _, _): &(intake_repo::SummaryRow, String, String)| {
        let t = if sort.key == SortKey::SubmittedAt {
            r.submitted_at.unwrap_or(r.updated_at)
        } else {
            r.updated_at
        };
        serde_json::json!((t, &r.id))
    };
    let mut failed = None;
    let page = pagination::finish_page(rows, limit, codec, &query_key, key, |(r, g, f)| {
        intake::summary(r, &g, &f).map_err(|e| failed = Some(e)).ok()
    });
    if let Some(e) = failed {
        return Err(e);
    }
    let items: Vec<IntakeSummary> = page.items.into_iter().flatten().collect();
    let events = items
        .iter()
        .map(|i| AuditEvent::new("intake.list", "intake", i.id).patient(i.patient_id))
        .collect();
    Ok(Audited::new(
        Page {
            items,
            next_cursor: page.next_cursor,
        },
        events,
    ))
}

fn entry(row: repo::ReviewRow, role: &str, name: &str) -> Result<ReviewEntry, ApiError> {
    Ok(ReviewEntry {
        id: uuid(&row.id)?,
        action: row.action,
        from_status: status(&row.from_status)?,
        to_status: status(&row.to_status)?,
        actor: ActorDto {
            id: uuid(&row.actor_id)?,
            role: Role::parse(role).unwrap_or(Role::Clinician),
            display_name: name.to_owned(),
        },
        note: row.note,
        assign_to: row.assign_to.as_deref().map(uuid).transpose()?,
        created_at: clock::utc(row.created_at),
    })
}

fn staff_intake(conn: &mut DbConn, caller: &Caller, id: Uuid) -> Result<intake_repo::IntakeRow, ApiError> {
    caller.actor.require_staff()?;
    intake_repo::find(conn, &id.to_string())?.ok_or(ApiError::NotFound("intake"))
}

/// `staff_intake`, for a change: the row stays locked until the transaction ends.
fn staff_intake_for_update(conn: &mut DbConn, caller: &Caller, id: Uuid) -> Result<intake_repo::IntakeRow, ApiError> {
    caller.actor.require_staff()?;
    intake_repo::find_for_update(conn, &id.to_string())?.ok_or(ApiError::NotFound("intake"))
}

/// A step of the review history, before it is written.
struct Step {
    action: &'static str,
    audit_action: &'static str,
    from: IntakeStatus,
    note: Option<String>,
    assign_to: Option<String>,
}

/// Writes the changed intake (version check), its review entry and the audit event.
fn record_step(
    conn: &mut DbConn,
    caller: &Caller,
    row: &mut intake_repo::IntakeRow,
    step: Step,
) -> Result<ReviewEntry, ApiError> {
    let expected = row.version;
    let now = clock::now();
    row.version += 1;
    row.updated_at = now;
    if !intake_repo::update_if_version(conn, row, expected)? {
        let current = intake_repo::find(conn, &row.id)?.map_or(expected, |r| r.version);
        return Err(ApiError::PreconditionFailed {
            current_version: current,
        });
    }
    let review = repo::ReviewRow {
        id: Uuid::now_v7().to_string(),
        intake_id: row.id.clone(),
        action: step.action.to_owned(),
        from_status: step.from.as_str().to_owned(),
        to_status: row.status.clone(),
        actor_id: caller.actor.user_id.to_string(),
        note: step.note,
        assign_to: step.assign_to,
        created_at: now,
    };
    repo::insert_review(conn, &review)?;
    let event = AuditEvent::new(step.audit_action, "intake", &row.id).patient(uuid(&row.patient_id)?);
    audit::record(conn, caller.origin(), &[event])?;
    entry(review, caller.actor.role.as_str(), &caller.actor.display_name)
}

/// One review step. A transition not allowed from the current status is a 409 naming the allowed ones.
pub fn review(
    conn: &mut DbConn,
    caller: &Caller,
    id: Uuid,
    if_match: IfMatch,
    req: ReviewRequest,
) -> Result<ReviewResult, ApiError> {
    let mut row = staff_intake_for_update(conn, caller, id)?;
    if_match.check(row.version)?;
    let from = status(&row.status)?;
    let Some(to) = req.action.next(from) else {
        return Err(ApiError::Conflict {
            detail: format!(
                "{} is not allowed while the intake is {}",
                req.action.as_str(),
                from.as_str()
            ),
            allowed: Some(domain::allowed(from)),
        });
    };
    let note = req.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if req.action.needs_note() && note.is_none() {
        return Err(ApiError::invalid(
            "note",
            "required",
            format!("a note is required to {}", req.action.as_str().replace('_', " ")),
        ));
    }
    let mut assign_to = None;
    match req.action {
        ReviewAction::Assign => {
            let target = match req.assign_to.as_deref() {
                None => {
                    return Err(ApiError::invalid(
                        "assign_to",
                        "required",
                        "name the clinician to assign (an id or `me`)",
                    ));
                }
                Some("me") => caller.actor.user_id.to_string(),
                Some(s) => Uuid::parse_str(s)
                    .map_err(|_| ApiError::invalid("assign_to", "invalid_value", "must be a user id or `me`"))?
                    .to_string(),
            };
            if !repo::is_enabled_staff(conn, &target)? {
                return Err(ApiError::invalid(
                    "assign_to",
                    "invalid_value",
                    "not an active clinician or administrator",
                ));
            }
            row.assigned_to = Some(target.clone());
            assign_to = Some(target);
        }
        ReviewAction::StartReview if row.assigned_to.is_none() => {
            row.assigned_to = Some(caller.actor.user_id.to_string());
            assign_to = row.assigned_to.clone();
        }
        ReviewAction::RequestInfo => row.review_note = note.clone(),
        _ => {}
    }
    row.status = to.as_str().to_owned();
    let step = Step {
        action: req.action.as_str(),
        audit_action: req.action.audit_action(),
        from,
        note,
        assign_to,
    };
    let review = record_step(conn, caller, &mut row, step)?;
    Ok(ReviewResult {
        review,
        intake_status: to,
        intake_version: row.version,
    })
}

pub fn history(conn: &mut DbConn, caller: &Caller, id: Uuid) -> Result<Audited<Vec<ReviewEntry>>, ApiError> {
    let row = staff_intake(conn, caller, id)?;
    let entries = repo::reviews(conn, &row.id)?
        .into_iter()
        .map(|(r, role, name)| entry(r, &role, &name))
        .collect::<Result<Vec<_>, _>>()?;
    let event = AuditEvent::new("intake.reviews_read", "intake", id).patient(uuid(&row.patient_id)?);
    Ok(Audited::new(entries, vec![event]))
}

/// Records the clinician's exam findings and re-scores: CRPS moves from
/// `pending_clinician_exam` to `met`/`not_met`. Only on a submitted or in-review intake.
pub fn record_exam(
    conn: &mut DbConn,
    caller: &Caller,
    id: Uuid,
    if_match: IfMatch,
    req: ExamRequest,
    cfg: &ScreeningConfig,
) -> Result<IntakeResponse, ApiError> {
    let mut row = staff_intake_for_update(conn, caller, id)?;
    if_match.check(row.version)?;
    let from = status(&row.status)?;
    if !matches!(from, IntakeStatus::Submitted | IntakeStatus::InReview) {
        return Err(ApiError::conflict(format!(
            "exam findings are recorded on a submitted or in-review intake; this one is {}",
            from.as_str()
        )));
    }
    let sections = intake::parse_sections(&row)?;
    let answers = sections.screenings.clone().unwrap_or_default();
    let mut findings = exam::load(&row)?.unwrap_or_default();
    if let Some(crps) = &req.crps_budapest {
        if !answers.contains_key("crps_budapest") {
            return Err(ApiError::invalid(
                "crps_budapest",
                "not_applicable",
                "the patient did not answer the Budapest symptoms",
            ));
        }
        findings.insert(
            "crps_budapest".into(),
            serde_json::json!({"signs": crps.signs, "other_diagnosis_explains": crps.other_diagnosis_explains}),
        );
    }
    if let Some(dn4) = &req.dn4 {
        if !cfg.is_enabled(InstrumentCode::Dn4) {
            return Err(ApiError::NotEnabled(
                "dn4 is not enabled at this clinic (INSTRUMENTS_ENABLED)".into(),
            ));
        }
        if !answers.contains_key("dn4") {
            return Err(ApiError::invalid(
                "dn4",
                "not_applicable",
                "the patient did not answer the DN4 interview",
            ));
        }
        findings.insert("dn4".into(), serde_json::json!({"exam": dn4.exam}));
    }
    if req.crps_budapest.is_none() && req.dn4.is_none() {
        return Err(ApiError::invalid(
            "crps_budapest",
            "required",
            "send crps_budapest and/or dn4 findings",
        ));
    }
    let (mut scores, _) = intake::current_results(&row)?;
    for (code, found) in &findings {
        let instrument =
            InstrumentCode::parse(code).ok_or_else(|| ApiError::internal(anyhow::anyhow!("exam for {code}")))?;
        let merged = policy::merge_exam(&answers[code], Some(found));
        let scored = scoring::score(
            instrument,
            &merged,
            &format!("sections.screenings.{code}"),
            &cfg.cutoffs,
        )
        .map_err(ApiError::Validation)?;
        scores.insert(instrument, scored);
    }
    let assessment = safety::assess(
        &triage::safety_facts(&sections),
        &scores.values().cloned().collect::<Vec<_>>(),
        &cfg.cutoffs,
    );
    row.exam = Some(serde_json::to_string(&findings).map_err(ApiError::internal)?);
    intake::index_results(conn, &mut row, &sections, &scores, &assessment)?;
    let summary = findings.keys().cloned().collect::<Vec<_>>().join(", ");
    let note = Some(format!("exam findings recorded: {summary}"));
    record_step(
        conn,
        caller,
        &mut row,
        Step {
            action: "exam",
            audit_action: "intake.exam",
            from,
            note,
            assign_to: None,
        },
    )?;
    intake::response(&row, cfg)
}
