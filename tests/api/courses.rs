//! Treatment courses (FOLLOW-UP.md) through the HTTP stack: a whole course with hand-computed
//! outcomes, session flags at their thresholds, dose arithmetic, If-Match, the 409s, and who may
//! reach what.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test as at;
use chrono::{Duration, Utc};
use intake_api::auth::Role;
use intake_api::db::Backend;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse, fixture, spawn, spawn_with, validate_fhir_r4, with_token};
use crate::on_both_backends;

/// PHQ-9 answers with this total (item 9 answered 0 unless `item9` is given).
fn phq9(total: i64, item9: i64) -> Value {
    let mut left = total - item9;
    let mut m = serde_json::Map::new();
    for i in 1..=8 {
        let v = left.min(3);
        left -= v;
        m.insert(i.to_string(), json!(v));
    }
    assert_eq!(left, 0, "PHQ-9 total {total} does not fit");
    m.insert("9".into(), json!(item9));
    Value::Object(m)
}

fn pain(average: i64) -> Value {
    json!({"now": average, "average": average, "worst": average.max(1)})
}

fn side_effects(bladder: i64) -> Value {
    json!({"nausea": 1, "vomiting": 0, "dizziness": 0, "headache": 0, "drowsiness": 1, "blurred_vision": 0,
        "feeling_unreal": 1, "anxiety": 0, "hallucinations": 0, "bladder": bladder, "blood_in_urine": 0, "other": 0})
}

pub(crate) fn pre_session_answers(phq9_total: i64, pain_average: i64) -> Value {
    json!({"screenings": {"phq9": phq9(phq9_total, 0), "pain_nrs": pain(pain_average),
        "peg": {"pain": pain_average, "enjoyment": 4, "activity": 4}, "ketamine_side_effects": side_effects(0)}})
}

fn follow_up_answers(phq9_total: i64, pain_average: i64, pgic: i64) -> Value {
    let mut a = pre_session_answers(phq9_total, pain_average);
    a["screenings"]["gad7"] = json!({"1": 1, "2": 1, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0});
    a["screenings"]["pgic"] = json!({"1": pgic});
    a
}

pub(crate) fn later(hours: i64) -> String {
    (Utc::now() + Duration::hours(hours))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn id(res: &TestResponse) -> String {
    res.json()["id"].as_str().unwrap().to_owned()
}

fn codes(flags: &Value) -> Vec<String> {
    flags
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

pub(crate) struct Patient {
    pub(crate) token: String,
    pub(crate) intake: String,
    pub(crate) patient_id: String,
}

impl<S, B> TestApp<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    /// A patient whose submitted intake has this PHQ-9 total and average pain; approved when
    /// `approve`.
    pub(crate) async fn intake_with(
        &self,
        email: &str,
        phq9_total: i64,
        pain_average: i64,
        clinician: &str,
        approve: bool,
    ) -> Patient {
        let mut f = fixture("postoperative");
        f["sections"]["screenings"]["phq9"] = phq9(phq9_total, 0);
        f["sections"]["screenings"]["pain_nrs"] = pain(pain_average);
        self.intake_from(email, f, clinician, approve).await
    }

    /// A patient with `f`'s profile and a submitted intake of its sections, approved if asked.
    async fn intake_from(&self, email: &str, f: Value, clinician: &str, approve: bool) -> Patient {
        let (_, token) = self.patient_account(email).await;
        let profile = self.post("/api/v1/patients", Some(&token), &f["profile"]).await;
        assert_eq!(profile.status, 201);
        let res = self
            .post("/api/v1/intakes", Some(&token), &json!({"sections": f["sections"]}))
            .await;
        assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
        let intake = id(&res);
        assert_eq!(self.submit(&intake, &token).await.status, 200);
        if approve {
            for action in ["start_review", "approve"] {
                let res = self
                    .post(
                        &format!("/api/v1/intakes/{intake}/reviews"),
                        Some(clinician),
                        &json!({"action": action}),
                    )
                    .await;
                assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
            }
        }
        Patient {
            token,
            intake,
            patient_id: profile.json()["id"].as_str().unwrap().to_owned(),
        }
    }

    /// Starts a course on the patient's intake, ends it at once, answers its first follow-up
    /// check-in with `answers` and returns the course's outcomes.
    async fn follow_up_outcomes(&self, p: &Patient, clinician: &str, answers: &Value) -> Value {
        let course = self.start_course(&p.intake, clinician).await;
        let course_id = id(&course);
        let etag = course.header("etag").unwrap().to_owned();
        let res = self
            .post_if(
                &format!("/api/v1/courses/{course_id}/end"),
                clinician,
                Some(&etag),
                &json!({"reason": "stopped_patient_choice"}),
            )
            .await;
        assert_eq!(res.json()["status"], "stopped");
        let checkins = self
            .get(&format!("/api/v1/courses/{course_id}/checkins"), Some(&p.token))
            .await
            .json();
        let checkin = checkins[0]["id"].as_str().unwrap();
        let res = self
            .post(&format!("/api/v1/checkins/{checkin}/submit"), Some(&p.token), answers)
            .await;
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
        self.get(&format!("/api/v1/courses/{course_id}"), Some(clinician))
            .await
            .json()["outcomes"]
            .clone()
    }

    pub(crate) async fn start_course(&self, intake: &str, clinician: &str) -> TestResponse {
        self.post(
            "/api/v1/courses",
            Some(clinician),
            &json!({"intake_id": intake, "indications": ["postoperative", "depression"], "planned_sessions": 4,
                "protocol": {"drug": "ketamine", "route": "iv", "dose_mg_per_kg": 0.5, "infusion_minutes": 40},
                "notes": "staff-only planning note"}),
        )
        .await
    }

    async fn post_if(&self, path: &str, token: &str, etag: Option<&str>, body: &Value) -> TestResponse {
        let mut req = with_token(at::TestRequest::post().uri(path), Some(token)).set_json(body);
        if let Some(e) = etag {
            req = req.insert_header(("If-Match", e.to_owned()));
        }
        self.send(req).await
    }

    /// Records a complete, unremarkable session and completes it; returns the session.
    pub(crate) async fn run_session(&self, session: &str, clinician: &str) -> Value {
        let path = format!("/api/v1/sessions/{session}");
        let etag = self
            .get(&path, Some(clinician))
            .await
            .header("etag")
            .unwrap()
            .to_owned();
        let res = self
            .patch(&path, Some(clinician), &session_blocks(72.5, 128, 82, 98), Some(&etag))
            .await;
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
        assert!(res.json()["flags"].as_array().unwrap().is_empty());
        let etag = res.header("etag").unwrap().to_owned();
        let res = self
            .post_if(&format!("{path}/complete"), clinician, Some(&etag), &json!({}))
            .await;
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
        res.json()
    }
}

fn session_blocks(weight: f64, systolic: i64, diastolic: i64, spo2: i64) -> Value {
    json!({
        "pre_checks": {"weight_kg": weight, "fasting_solids_hours": 8, "fasting_clear_liquids_hours": 3,
            "escort_confirmed": true, "pregnancy_test": "not_applicable", "consent_confirmed": true},
        "vitals": [
            {"at": later(0), "phase": "pre", "systolic": systolic, "diastolic": diastolic, "heart_rate": 72, "spo2": 98},
            {"at": later(1), "phase": "during", "systolic": 135, "diastolic": 85, "heart_rate": 80, "spo2": spo2},
            {"at": later(2), "phase": "post", "systolic": 125, "diastolic": 80, "heart_rate": 70, "spo2": 98, "respiratory_rate": 14}],
        "dose": {"drug": "ketamine", "route": "iv", "dose_mg_per_kg": 0.5, "started_at": later(0), "ended_at": later(1),
            "lot": "KX2291", "total_mg": 999},
        "sedation_moaas": 4, "dissociation": 3,
        "adverse_events": [{"code": "nausea", "severity": "mild", "onset_at": later(1), "resolved": true}],
        "discharge": {"at": later(3), "criteria_met": true, "escort_present": true, "iv_site_ok": true, "instructions_given": true}
    })
}

/// Approve → course → 4 sessions with vitals → pre-session check-ins → end → follow-ups, with
/// the outcomes checked against hand-computed values.
async fn a_whole_course(backend: Backend) {
    let app = spawn_with(backend, &[("CHECKIN_FOLLOW_UP_DAYS", "0,30,90")]).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let p = app.intake_with("ana@example.org", 10, 10, &clinician, true).await;

    let res = app.start_course(&p.intake, &clinician).await;
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let course = res.json();
    let course_id = course["id"].as_str().unwrap().to_owned();
    assert_eq!(res.header("location").unwrap(), format!("/api/v1/courses/{course_id}"));
    assert_eq!(res.header("etag"), Some("\"1\""));
    assert_eq!(
        (
            course["status"].as_str(),
            course["patient_id"].as_str(),
            course["sessions_completed"].as_i64()
        ),
        (Some("active"), Some(p.patient_id.as_str()), Some(0))
    );

    // Four sessions, each a day apart: the first pre-session check-in is open now.
    let mut sessions = Vec::new();
    for day in 1..=4 {
        let res = app
            .post(
                &format!("/api/v1/courses/{course_id}/sessions"),
                Some(&clinician),
                &json!({"scheduled_at": later(24 * day)}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
        assert_eq!(res.json()["status"], "planned");
        assert!(res.json()["checkin_id"].is_string());
        sessions.push(res.json());
    }
    let checkins = app
        .get(&format!("/api/v1/courses/{course_id}/checkins"), Some(&p.token))
        .await
        .json();
    let checkins = checkins.as_array().unwrap();
    assert_eq!(checkins.len(), 4);
    assert!(
        checkins
            .iter()
            .all(|c| c["kind"] == "pre_session" && c["status"] == "due")
    );
    assert_eq!(
        checkins[0]["instruments"],
        json!(["phq9", "pain_nrs", "peg", "ketamine_side_effects"])
    );
    // Open now: the first three (72 h window); the fourth opens later.
    let mine = app.get("/api/v1/me/checkins", Some(&p.token)).await.json();
    assert_eq!(mine.as_array().unwrap().len(), 3);

    // Each session: its check-in answered by the patient, then the infusion recorded.
    for (i, (phq9_total, pain_avg)) in [(9, 9), (8, 8), (7, 8), (6, 7)].into_iter().enumerate() {
        let checkin = sessions[i]["checkin_id"].as_str().unwrap();
        let res = app
            .post(
                &format!("/api/v1/checkins/{checkin}/submit"),
                Some(&p.token),
                &pre_session_answers(phq9_total, pain_avg),
            )
            .await;
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
        let body = res.json();
        assert_eq!(
            (body["status"].as_str(), body["late"].as_bool()),
            (Some("completed"), Some(false))
        );
        assert_eq!(body["scores"]["phq9"]["total"], phq9_total);
        let done = app.run_session(sessions[i]["id"].as_str().unwrap(), &clinician).await;
        assert_eq!(done["status"], "completed");
        // The server's dose: 0.5 mg/kg × 72.5 kg = 36.25 → 36.3 mg (the client's 999 ignored).
        assert_eq!(done["dose"]["total_mg"], 36.3);
    }
    let course = app.get(&format!("/api/v1/courses/{course_id}"), Some(&clinician)).await;
    let c = course.json();
    assert_eq!(c["sessions_completed"], 4);
    assert_eq!(c["notes"], "staff-only planning note");
    // During the course: PHQ-9 10 → 6 (−40 %) is a partial response; pain 10 → 7 (−30 %) moderate.
    assert_eq!(c["outcomes"]["phq9"]["classification"], "partial_response");
    assert_eq!(c["outcomes"]["phq9"]["percent_change"], -40.0);
    assert_eq!(c["outcomes"]["phq9"]["baseline"]["source"], "intake");
    assert_eq!(c["outcomes"]["pain_nrs"]["classification"], "moderate_improvement");
    assert_eq!(c["outcomes"]["pain_nrs"]["percent_change"], -30.0);
    assert_eq!(c["outcomes"]["phq9"]["rule_set"], "OUTCOMES-2026.1");
    assert_eq!(c["outcomes"]["phq9"]["cutoffs"]["mood_response_pct"], -50.0);

    // End: completed, the follow-ups scheduled from today.
    let etag = course.header("etag").unwrap().to_owned();
    let end = format!("/api/v1/courses/{course_id}/end");
    let res = app
        .post_if(
            &end,
            &clinician,
            Some(&etag),
            &json!({"reason": "completed", "note": "4 of 4"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.json()["status"], "completed");
    assert_eq!(res.json()["end_reason"], "completed");
    assert!(res.json()["next_session_at"].is_null());
    let all = app
        .get(&format!("/api/v1/courses/{course_id}/checkins"), Some(&clinician))
        .await
        .json();
    let follow: Vec<&Value> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "follow_up")
        .collect();
    assert_eq!(
        follow
            .iter()
            .map(|c| c["day_offset"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![0, 30, 90]
    );
    assert_eq!(
        follow[0]["instruments"],
        json!(["phq9", "gad7", "pain_nrs", "peg", "pgic", "ketamine_side_effects"])
    );
    // Day 0 follow-up (staff on the patient's behalf): PHQ-9 5 (−50 %, not < 5), pain 7, PGIC 2.
    let res = app
        .post(
            &format!("/api/v1/checkins/{}/submit", follow[0]["id"].as_str().unwrap()),
            Some(&clinician),
            &follow_up_answers(5, 7, 2),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let outcomes = app
        .get(&format!("/api/v1/courses/{course_id}/outcomes"), Some(&p.token))
        .await
        .json();
    let o = &outcomes["outcomes"];
    assert_eq!(
        (o["phq9"]["classification"].as_str(), o["phq9"]["change"].as_f64()),
        (Some("response"), Some(-5.0))
    );
    assert_eq!(o["pgic"]["classification"], "much_improved");
    assert!(o["pgic"]["baseline"].is_null());
    assert_eq!(o["pain_nrs"]["classification"], "moderate_improvement");
    // GAD-7 was measured only after the course: the intake's GAD-7 (2) is its baseline.
    assert_eq!(o["gad7"]["classification"], "not_applicable");
    // The series: the intake, four pre-session check-ins, the follow-up.
    let series: Vec<f64> = outcomes["series"]["phq9"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_f64().unwrap())
        .collect();
    assert_eq!(series, vec![10.0, 9.0, 8.0, 7.0, 6.0, 5.0]);
    assert!(outcomes["series"]["phq9"][0]["checkin_id"].is_null());

    // A completed check-in is not submitted again (409); the course list filters by outcome.
    app.post(
        &format!("/api/v1/checkins/{}/submit", follow[0]["id"].as_str().unwrap()),
        Some(&p.token),
        &follow_up_answers(5, 7, 2),
    )
    .await
    .problem(409, "/problems/conflict");
    let page = app
        .get("/api/v1/courses?outcome=phq9:response", Some(&clinician))
        .await
        .json();
    assert_eq!(page["items"][0]["id"], course_id.as_str());
    let none = app
        .get("/api/v1/courses?outcome=phq9:remission", Some(&clinician))
        .await
        .json();
    assert!(none["items"].as_array().unwrap().is_empty());

    // The FHIR export validates against R4 and carries the course, doses, vitals and check-ins.
    let res = app
        .get(&format!("/api/v1/courses/{course_id}/fhir"), Some(&clinician))
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.content_type(), "application/fhir+json");
    let doc = res.json();
    if let Err(e) = validate_fhir_r4(&doc) {
        panic!("course bundle: {e}");
    }
    let resources: Vec<&Value> = doc["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .collect();
    let count = |kind: &str| resources.iter().filter(|r| r["resourceType"] == kind).count();
    assert_eq!(
        (count("Patient"), count("CarePlan"), count("MedicationAdministration")),
        (1, 1, 4)
    );
    // 4 pre-session check-ins × 4 instruments + the follow-up's 6.
    assert_eq!(count("QuestionnaireResponse"), 22);
    let plan = resources.iter().find(|r| r["resourceType"] == "CarePlan").unwrap();
    assert_eq!(plan["status"], "completed");
    let given = resources
        .iter()
        .find(|r| r["resourceType"] == "MedicationAdministration")
        .unwrap();
    assert_eq!(given["medicationCodeableConcept"]["coding"][0]["code"], "6130");
    assert_eq!(given["dosage"]["dose"]["value"], 36.3);
    let mut loinc: Vec<&str> = resources
        .iter()
        .flat_map(|r| {
            let own = r["code"]["coding"][0]["code"].as_str();
            let parts = r["component"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["code"]["coding"][0]["code"].as_str());
            own.into_iter().chain(parts)
        })
        .collect();
    loinc.sort_unstable();
    loinc.dedup();
    for code in ["8480-6", "8462-4", "8867-4", "59408-5", "9279-1", "44261-6", "72514-3"] {
        assert!(loinc.contains(&code), "{code} not in {loinc:?}");
    }
    app.get(&format!("/api/v1/courses/{course_id}/fhir"), Some(&p.token))
        .await
        .problem(403, "/problems/forbidden");

    // The patient's access log shows staff reading their sessions and check-ins.
    app.get(&format!("/api/v1/courses/{course_id}/sessions"), Some(&clinician))
        .await;
    let log = app.get("/api/v1/me/access-log?limit=100", Some(&p.token)).await.json();
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "session.list",
        "checkin.list",
        "course.read",
        "session.complete",
        "checkin.submit",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
}

/// The classification boundaries reachable with whole scores, each on its own course.
async fn outcome_boundaries(backend: Backend) {
    let app = spawn_with(backend, &[("CHECKIN_FOLLOW_UP_DAYS", "0")]).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    // (intake PHQ-9, intake pain, follow-up PHQ-9, follow-up pain, PGIC) → expected classes.
    let cases = [
        (9, 3, 2, 4, 3, "not_applicable", "worse", "minimally_improved"),
        (10, 10, 4, 8, 4, "remission", "no_meaningful_change", "no_change"),
        (20, 10, 11, 5, 5, "partial_response", "substantial_improvement", "worse"),
        (20, 10, 16, 7, 1, "no_response", "moderate_improvement", "much_improved"),
    ];
    for (i, (base, base_pain, phq, pain_avg, pgic, mood, pain_class, global)) in cases.into_iter().enumerate() {
        let p = app
            .intake_with(&format!("p{i}@example.org"), base, base_pain, &clinician, true)
            .await;
        let o = app
            .follow_up_outcomes(&p, &clinician, &follow_up_answers(phq, pain_avg, pgic))
            .await;
        assert_eq!(
            (
                o["phq9"]["classification"].as_str().unwrap(),
                o["pain_nrs"]["classification"].as_str().unwrap(),
                o["pgic"]["classification"].as_str().unwrap()
            ),
            (mood, pain_class, global),
            "case {i}: {o}"
        );
    }
    // PEG is a mean of three items, so the +30 % cut-off itself is reachable: 10/3 → 13/3 is
    // +30.0 %, worse; 3 → 11/3 is +22.2 %, no meaningful change.
    for (i, (base, latest, class)) in [
        ([3, 3, 4], [4, 4, 5], "worse"),
        ([3, 3, 3], [4, 4, 3], "no_meaningful_change"),
    ]
    .into_iter()
    .enumerate()
    {
        let peg =
            |[pain, enjoyment, activity]: [i64; 3]| json!({"pain": pain, "enjoyment": enjoyment, "activity": activity});
        let mut f = fixture("postoperative");
        f["sections"]["screenings"]["peg"] = peg(base);
        let p = app
            .intake_from(&format!("peg{i}@example.org"), f, &clinician, true)
            .await;
        let mut answers = follow_up_answers(5, 5, 4);
        answers["screenings"]["peg"] = peg(latest);
        let o = app.follow_up_outcomes(&p, &clinician, &answers).await["peg"].clone();
        assert_eq!(o["classification"], class, "{o}");
        if i == 0 {
            assert_eq!(o["percent_change"], 30.0, "{o}");
        }
    }
    // 3 → 4 is +33.3 %: worse (NRS scores are whole, so +30 % is reached above through PEG).
    let page = app
        .get("/api/v1/courses?outcome=pain_nrs:worse", Some(&clinician))
        .await
        .json();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

/// Every session flag through the API at its threshold, the dose ceiling and the course flag list.
async fn session_flags_and_dose(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let p = app.intake_with("ana@example.org", 12, 7, &clinician, true).await;
    let course_id = id(&app.start_course(&p.intake, &clinician).await);
    let session = id(&app
        .post(
            &format!("/api/v1/courses/{course_id}/sessions"),
            Some(&clinician),
            &json!({"scheduled_at": later(24)}),
        )
        .await);
    let path = format!("/api/v1/sessions/{session}");
    let etag = app
        .get(&path, Some(&clinician))
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    // 140/90 and SpO2 92 are at the thresholds: no flag.
    let res = app
        .patch(&path, Some(&clinician), &session_blocks(80.0, 140, 90, 92), Some(&etag))
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(codes(&res.json()["flags"]), Vec::<String>::new());
    assert_eq!(res.json()["dose"]["total_mg"], 40.0);
    let mut etag = res.header("etag").unwrap().to_owned();
    // 141/90 before the dose, SpO2 91 during.
    let res = app
        .patch(&path, Some(&clinician), &session_blocks(80.0, 141, 90, 91), Some(&etag))
        .await;
    let flags = res.json()["flags"].clone();
    assert_eq!(codes(&flags), vec!["bp_above_threshold_before_dose", "spo2_low"]);
    assert_eq!(flags[0]["severity"], "urgent");
    assert_eq!(flags[0]["source"], "L");
    assert_eq!(flags[0]["triggered_by"], json!(["vitals[0]"]));
    assert_eq!(flags[1]["triggered_by"], json!(["vitals[1].spo2"]));
    etag = res.header("etag").unwrap().to_owned();
    // Each block replaced whole: fasting, escort, pregnancy, discharge and adverse events.
    let res = app
        .patch(
            &path,
            Some(&clinician),
            &json!({"pre_checks": {"weight_kg": 80, "fasting_solids_hours": 5.9, "fasting_clear_liquids_hours": 2,
                    "escort_confirmed": false, "pregnancy_test": "positive", "consent_confirmed": true},
                "vitals": null,
                "adverse_events": [{"code": "emergence_reaction", "severity": "severe", "onset_at": later(1), "action": "midazolam 1 mg", "resolved": true}],
                "discharge": {"at": later(3), "criteria_met": false, "escort_present": true, "iv_site_ok": true, "instructions_given": true}}),
            Some(&etag),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(
        codes(&res.json()["flags"]),
        vec![
            "fasting_not_met",
            "no_escort",
            "pregnancy_test_positive",
            "severe_adverse_event",
            "discharge_criteria_not_met"
        ]
    );
    assert!(res.json()["vitals"].as_array().unwrap().is_empty());
    etag = res.header("etag").unwrap().to_owned();
    // A dose above the ceiling (1.0 mg/kg) needs a reason; with one, it is flagged.
    let above = |reason: Option<&str>| {
        json!({"pre_checks": {"weight_kg": 80, "fasting_solids_hours": 8, "fasting_clear_liquids_hours": 3,
                "escort_confirmed": true, "pregnancy_test": "negative", "consent_confirmed": true},
            "adverse_events": null, "discharge": null,
            "dose": {"drug": "ketamine", "route": "iv", "dose_mg_per_kg": 1.2, "override_reason": reason}})
    };
    let res = app.patch(&path, Some(&clinician), &above(None), Some(&etag)).await;
    let problem = res.problem(422, "/problems/validation");
    assert_eq!(problem["errors"][0]["field"], "dose.override_reason");
    // Nothing was written: the version is unchanged.
    assert_eq!(app.get(&path, Some(&clinician)).await.header("etag").unwrap(), etag);
    let res = app
        .patch(
            &path,
            Some(&clinician),
            &above(Some("treatment-resistant, per protocol B")),
            Some(&etag),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(
        codes(&res.json()["flags"]),
        vec!["dose_above_protocol", "dose_above_ceiling_overridden"]
    );
    assert_eq!(res.json()["dose"]["total_mg"], 96.0);
    etag = res.header("etag").unwrap().to_owned();

    // Completion lists everything missing.
    let res = app
        .post_if(&format!("{path}/complete"), &clinician, Some(&etag), &json!({}))
        .await;
    let problem = res.problem(422, "/problems/validation");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["discharge", "vitals", "vitals"]);

    // The course lists its sessions' flags and is found by them.
    let course = app
        .get(&format!("/api/v1/courses/{course_id}"), Some(&clinician))
        .await
        .json();
    assert_eq!(
        codes(&course["flags"]),
        vec!["dose_above_protocol", "dose_above_ceiling_overridden"]
    );
    assert_eq!(course["flags"][0]["session_id"], session.as_str());
    let page = app
        .get("/api/v1/courses?flag=dose_above_ceiling_overridden", Some(&clinician))
        .await
        .json();
    assert_eq!(page["items"][0]["id"], course_id.as_str());
    assert_eq!(page["items"][0]["top_severity"], "warning");
    let page = app.get("/api/v1/courses?flag=spo2_low", Some(&clinician)).await.json();
    assert!(
        page["items"].as_array().unwrap().is_empty(),
        "spo2_low was cleared by the later patches"
    );

    // If-Match: 428 without, 412 when stale, on every write.
    let patch_body = json!({"sedation_moaas": 3});
    let res = app.patch(&path, Some(&clinician), &patch_body, None).await;
    res.problem(428, "/problems/precondition-required");
    let res = app.patch(&path, Some(&clinician), &patch_body, Some("\"1\"")).await;
    res.problem(412, "/problems/stale-version");
    for tail in ["complete", "cancel"] {
        let body = json!({"reason": "unwell"});
        app.post_if(&format!("{path}/{tail}"), &clinician, None, &body)
            .await
            .problem(428, "/problems/precondition-required");
        app.post_if(&format!("{path}/{tail}"), &clinician, Some("\"1\""), &body)
            .await
            .problem(412, "/problems/stale-version");
    }
    let end = format!("/api/v1/courses/{course_id}/end");
    app.post_if(&end, &clinician, None, &json!({"reason": "other"}))
        .await
        .problem(428, "/problems/precondition-required");
    app.post_if(&end, &clinician, Some("\"1\""), &json!({"reason": "other"}))
        .await
        .problem(412, "/problems/stale-version");

    // Cancel: the session and its pre-session check-in.
    let res = app
        .post_if(
            &format!("{path}/cancel"),
            &clinician,
            Some(&etag),
            &json!({"reason": "BP uncontrolled"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.json()["status"], "cancelled");
    let checkin = res.json()["checkin_id"].as_str().unwrap().to_owned();
    let c = app
        .get(&format!("/api/v1/checkins/{checkin}"), Some(&p.token))
        .await
        .json();
    assert_eq!(c["status"], "cancelled");
    app.post(
        &format!("/api/v1/checkins/{checkin}/submit"),
        Some(&p.token),
        &pre_session_answers(5, 5),
    )
    .await
    .problem(409, "/problems/conflict");
    // A cancelled session is not changed again.
    let etag = res.header("etag").unwrap().to_owned();
    app.patch(&path, Some(&clinician), &patch_body, Some(&etag))
        .await
        .problem(409, "/problems/conflict");
}

/// The 409s of courses and the check-in rules: item 9 calls for the ASQ, late answers are marked.
async fn conflicts_and_checkin_rules(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let pending = app.intake_with("sub@example.org", 12, 7, &clinician, false).await;
    app.start_course(&pending.intake, &clinician)
        .await
        .problem(409, "/problems/conflict");
    let p = app.intake_with("ana@example.org", 12, 7, &clinician, true).await;
    let first = app.start_course(&p.intake, &clinician).await;
    assert_eq!(first.status, 201);
    let res = app.start_course(&p.intake, &clinician).await;
    let problem = res.problem(409, "/problems/conflict");
    assert!(problem["detail"].as_str().unwrap().contains(&id(&first)), "{problem}");
    // Two starts at once for one patient: exactly one course.
    let q = app.intake_with("cai@example.org", 12, 7, &clinician, true).await;
    let (a, b) = futures_util::future::join(
        app.start_course(&q.intake, &clinician),
        app.start_course(&q.intake, &clinician),
    )
    .await;
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);
    // Bad bodies: the protocol's dose must fit its drug, indications are a closed list.
    let res = app
        .post(
            "/api/v1/courses",
            Some(&clinician),
            &json!({"intake_id": p.intake, "indications": ["migraine"], "planned_sessions": 0,
                "protocol": {"drug": "esketamine", "route": "intranasal", "dose_mg_per_kg": 0.5}}),
        )
        .await;
    let problem = res.problem(422, "/problems/validation");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"indications[0]"), "{fields:?}");

    // A session in the past: its check-in is missed, accepted late.
    let course_id = id(&first);
    let session = app
        .post(
            &format!("/api/v1/courses/{course_id}/sessions"),
            Some(&clinician),
            &json!({"scheduled_at": later(-2)}),
        )
        .await
        .json();
    let checkin = session["checkin_id"].as_str().unwrap();
    let c = app
        .get(&format!("/api/v1/checkins/{checkin}"), Some(&p.token))
        .await
        .json();
    assert_eq!(c["status"], "missed");
    let mine = app.get("/api/v1/me/checkins", Some(&p.token)).await.json();
    assert_eq!(mine[0]["id"], checkin);
    // Its course is listed as having an overdue check-in (and leaves the list once answered).
    let overdue = app
        .get("/api/v1/courses?checkins=overdue", Some(&clinician))
        .await
        .json();
    assert_eq!(overdue["items"].as_array().unwrap().len(), 1);
    assert_eq!(overdue["items"][0]["id"], course_id.as_str());
    // PHQ-9 item 9 answered 1: the ASQ is required; a missing PEG is named too.
    let mut answers = pre_session_answers(9, 6);
    answers["screenings"]["phq9"] = phq9(9, 1);
    answers["screenings"].as_object_mut().unwrap().remove("peg");
    answers["screenings"]["bdi2"] = json!({});
    let submit = format!("/api/v1/checkins/{checkin}/submit");
    let problem = app
        .post(&submit, Some(&p.token), &answers)
        .await
        .problem(422, "/problems/validation");
    let fields: Vec<(&str, &str)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("screenings.asq", "required"),
            ("screenings.bdi2", "not_asked"),
            ("screenings.peg", "required")
        ]
    );
    answers["screenings"].as_object_mut().unwrap().remove("bdi2");
    answers["screenings"]["peg"] = json!({"pain": 6, "enjoyment": 5, "activity": 5});
    answers["screenings"]["asq"] = json!({"1": "yes", "2": "no", "3": "no", "4": "no", "5": "no"});
    answers["screenings"]["ketamine_side_effects"] = side_effects(1);
    // Retried with the same key: one completion, the same answer.
    let send = |key: &'static str| {
        with_token(at::TestRequest::post().uri(&submit), Some(&p.token))
            .insert_header(("Idempotency-Key", key))
            .set_json(&answers)
    };
    let res = app.send(send("checkin-1")).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let body = res.json();
    assert_eq!(
        (body["status"].as_str(), body["late"].as_bool()),
        (Some("completed"), Some(true))
    );
    let mut flags = codes(&body["flags"]);
    flags.sort();
    assert!(flags.contains(&"suicidal_ideation".to_owned()), "{flags:?}");
    assert!(flags.contains(&"possible_ketamine_uropathy".to_owned()), "{flags:?}");
    let again = app.send(send("checkin-1")).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json()["version"], body["version"]);
    // The urgent flag is on the course and finds it.
    let course = app
        .get(&format!("/api/v1/courses/{course_id}"), Some(&clinician))
        .await
        .json();
    let on_course: Vec<&Value> = course["flags"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["checkin_id"] == checkin)
        .collect();
    assert!(on_course.iter().all(|f| f["severity"] == "urgent") && !on_course.is_empty());
    let page = app
        .get("/api/v1/courses?flag=suicidal_ideation", Some(&clinician))
        .await
        .json();
    assert_eq!(page["items"][0]["id"], course_id.as_str());
    assert_eq!(page["items"][0]["top_severity"], "urgent");
    // Overdue check-ins: none left on this course.
    let overdue = app
        .get("/api/v1/courses?checkins=overdue", Some(&clinician))
        .await
        .json();
    assert!(overdue["items"].as_array().unwrap().is_empty());
}

/// A patient reaches only their own courses (404 otherwise) and no staff route (403).
async fn isolation_and_staff_only(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let owner = app.intake_with("ana@example.org", 12, 7, &clinician, true).await;
    let other = app.intake_with("ben@example.org", 12, 7, &clinician, true).await;
    let course = app.start_course(&owner.intake, &clinician).await;
    let course_id = id(&course);
    let session = app
        .post(
            &format!("/api/v1/courses/{course_id}/sessions"),
            Some(&clinician),
            &json!({"scheduled_at": later(24)}),
        )
        .await
        .json();
    let session_id = session["id"].as_str().unwrap();
    let checkin = session["checkin_id"].as_str().unwrap();
    let staff_notes = app
        .patch(
            &format!("/api/v1/sessions/{session_id}"),
            Some(&clinician),
            &json!({"staff_notes": "anxious before the first infusion"}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(staff_notes.status, 200);

    let reads = [
        format!("/api/v1/courses/{course_id}"),
        format!("/api/v1/courses/{course_id}/outcomes"),
        format!("/api/v1/courses/{course_id}/sessions"),
        format!("/api/v1/courses/{course_id}/checkins"),
        format!("/api/v1/sessions/{session_id}"),
        format!("/api/v1/checkins/{checkin}"),
    ];
    for path in &reads {
        app.get(path, Some(&other.token))
            .await
            .problem(404, "/problems/not-found");
        assert_eq!(app.get(path, Some(&owner.token)).await.status, 200, "{path}");
    }
    app.get(&format!("/api/v1/courses/{course_id}/fhir"), Some(&other.token))
        .await
        .problem(404, "/problems/not-found");
    let missing = uuid::Uuid::now_v7();
    for path in [
        format!("/api/v1/courses/{missing}"),
        format!("/api/v1/sessions/{missing}"),
        format!("/api/v1/checkins/{missing}"),
    ] {
        app.get(&path, Some(&clinician))
            .await
            .problem(404, "/problems/not-found");
    }
    // The patient sees their own course and sessions without staff notes.
    let own = app
        .get(&format!("/api/v1/courses/{course_id}"), Some(&owner.token))
        .await
        .json();
    assert!(own.get("notes").is_none());
    let own = app
        .get(&format!("/api/v1/sessions/{session_id}"), Some(&owner.token))
        .await
        .json();
    assert!(own.get("staff_notes").is_none());
    let staff = app
        .get(&format!("/api/v1/sessions/{session_id}"), Some(&clinician))
        .await
        .json();
    assert_eq!(staff["staff_notes"], "anxious before the first infusion");
    // Lists: a patient gets only their own; asking for another patient's is an empty page.
    let mine = app.get("/api/v1/courses", Some(&owner.token)).await.json();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert!(mine["items"][0]["patient_name"].is_null());
    let theirs = app.get("/api/v1/courses", Some(&other.token)).await.json();
    assert!(theirs["items"].as_array().unwrap().is_empty());
    let snoop = app
        .get(
            &format!("/api/v1/courses?patient_id={}", owner.patient_id),
            Some(&other.token),
        )
        .await
        .json();
    assert!(snoop["items"].as_array().unwrap().is_empty());
    let staff_list = app.get("/api/v1/courses?q=james", Some(&clinician)).await.json();
    assert_eq!(staff_list["items"].as_array().unwrap().len(), 1);
    // Another patient cannot answer this check-in (404).
    app.post(
        &format!("/api/v1/checkins/{checkin}/submit"),
        Some(&other.token),
        &pre_session_answers(5, 5),
    )
    .await
    .problem(404, "/problems/not-found");

    // Staff-only writes: 403 for the patient on their own course, 404 on another's.
    let writes: Vec<(actix_web::http::Method, String, Value)> = vec![
        (
            actix_web::http::Method::POST,
            format!("/api/v1/courses/{course_id}/end"),
            json!({"reason": "other"}),
        ),
        (
            actix_web::http::Method::POST,
            format!("/api/v1/courses/{course_id}/sessions"),
            json!({"scheduled_at": later(48)}),
        ),
        (
            actix_web::http::Method::PATCH,
            format!("/api/v1/sessions/{session_id}"),
            json!({"sedation_moaas": 2}),
        ),
        (
            actix_web::http::Method::POST,
            format!("/api/v1/sessions/{session_id}/complete"),
            json!({}),
        ),
        (
            actix_web::http::Method::POST,
            format!("/api/v1/sessions/{session_id}/cancel"),
            json!({"reason": "x"}),
        ),
    ];
    for (method, path, body) in &writes {
        let req = |token: &str| {
            with_token(at::TestRequest::default().method(method.clone()).uri(path), Some(token))
                .insert_header(("If-Match", "*"))
                .set_json(body)
        };
        app.send(req(&owner.token)).await.problem(403, "/problems/forbidden");
        app.send(req(&other.token)).await.problem(404, "/problems/not-found");
    }
    app.start_course(&owner.intake, &owner.token)
        .await
        .problem(403, "/problems/forbidden");
    app.get("/api/v1/me/checkins", Some(&clinician))
        .await
        .problem(403, "/problems/forbidden");
    // Nothing changed for the patient's attempts.
    let after = app.get(&format!("/api/v1/courses/{course_id}"), Some(&clinician)).await;
    assert_eq!(after.json()["status"], "active");
}

on_both_backends!(
    a_whole_course,
    outcome_boundaries,
    session_flags_and_dose,
    conflicts_and_checkin_rules,
    isolation_and_staff_only
);
