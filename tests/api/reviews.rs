//! Clinician review: worklist, transitions, exam entries, FHIR export, and staff-only access.

use actix_web::test as at;
use intake_api::auth::Role;
use intake_api::db::Backend;
use intake_api::patients::repo as patients_repo;
use intake_api::review::repo::{self as review_repo, Filter, Sort, SortKey};
use serde_json::{Value, json};

use crate::helpers::{fixture, spawn, spawn_with, validate_fhir_r4, with_token};
use crate::on_both_backends;

const FIXTURES: [&str; 4] = ["fibromyalgia", "crps", "neuropathic", "postoperative"];

/// Submits every fixture, each for its own patient: returns (name, intake id, patient token).
async fn submitted_fixtures<S, B>(app: &crate::helpers::TestApp<S>) -> Vec<(&'static str, String, String)>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let mut out = Vec::new();
    for (i, name) in FIXTURES.iter().enumerate() {
        let (token, id, _) = app.fixture_draft(name, &format!("patient{i}@example.org")).await;
        let res = app.submit(&id, &token).await;
        assert_eq!(res.status, 200, "{name}: {}", String::from_utf8_lossy(&res.body));
        out.push((*name, id, token));
    }
    out
}

/// Every page of a cursor-paged list, following `next_cursor` from `path` (which has a query).
async fn all_pages<S, B>(app: &crate::helpers::TestApp<S>, path: &str, token: &str) -> Vec<Value>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let mut pages = Vec::new();
    let mut cursor = String::new();
    loop {
        let res = app.get(&format!("{path}{cursor}"), Some(token)).await;
        assert_eq!(
            res.status,
            200,
            "{path}{cursor}: {}",
            String::from_utf8_lossy(&res.body)
        );
        let page = res.json();
        let next = page["next_cursor"].as_str().map(|c| format!("&cursor={c}"));
        pages.push(page);
        match next {
            Some(c) => cursor = c,
            None => return pages,
        }
    }
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn worklist_filters(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let fx = submitted_fixtures(&app).await;
    let id_of = |name: &str| fx.iter().find(|f| f.0 == name).unwrap().1.clone();
    // A draft too.
    let (_, draft_id, _) = app.fixture_draft("postoperative", "draft@example.org").await;
    let list = |q: &str| {
        let path = format!("/api/v1/intakes?limit=100{q}");
        let clinician = clinician.clone();
        let app = &app;
        async move {
            let res = app.get(&path, Some(&clinician)).await;
            assert_eq!(res.status, 200, "{path}: {}", String::from_utf8_lossy(&res.body));
            res.json()
        }
    };
    let all = list("").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 5);
    let crps = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id_of("crps").as_str())
        .unwrap()
        .clone();
    assert_eq!(crps["patient_name"], "Reed, Marcus");
    assert_eq!(crps["status"], "submitted");
    assert_eq!(crps["pain_types"], json!(["crps"]));
    assert_eq!(crps["top_severity"], "urgent");
    assert_eq!(crps["scores"]["phq9_total"], 16);
    assert_eq!(crps["scores"]["crps_result"], "pending_clinician_exam");
    assert_eq!(crps["eligibility"], "urgent_review_required");

    let mut submitted = ids(&list("&status=submitted").await);
    submitted.sort();
    let mut expected: Vec<String> = fx.iter().map(|f| f.1.clone()).collect();
    expected.sort();
    assert_eq!(submitted, expected);
    assert_eq!(ids(&list("&status=draft").await), vec![draft_id.clone()]);
    assert_eq!(ids(&list("&status=draft,submitted").await).len(), 5);
    assert_eq!(ids(&list("&pain_type=crps").await), vec![id_of("crps")]);
    assert_eq!(
        ids(&list("&pain_type=fibromyalgia&status=submitted").await),
        vec![id_of("fibromyalgia")]
    );
    assert_eq!(ids(&list("&flag=suicidal_ideation").await), vec![id_of("crps")]);
    assert_eq!(
        ids(&list("&flag=elevated_intraocular_pressure").await),
        vec![id_of("neuropathic")]
    );
    assert_eq!(ids(&list("&severity=urgent").await), vec![id_of("crps")]);
    let mut warning_or_worse = ids(&list("&severity=warning").await);
    warning_or_worse.sort();
    let mut want = vec![id_of("fibromyalgia"), id_of("crps"), id_of("neuropathic")];
    want.sort();
    assert_eq!(warning_or_worse, want);
    assert_eq!(
        ids(&list("&q=mendez").await),
        vec![id_of("neuropathic")],
        "accent-insensitive"
    );
    assert_eq!(ids(&list("&q=M%C3%89NDEZ%20ros").await), vec![id_of("neuropathic")]);
    assert!(ids(&list("&q=jose").await).is_empty());
    // A query of only punctuation names no word: it matches no intake (not every intake).
    for q in ["%25", "_", "-", "%5C", "%20-%20"] {
        assert!(ids(&list(&format!("&q={q}")).await).is_empty(), "q={q} matched");
    }
    let patient = crps["patient_id"].as_str().unwrap();
    assert_eq!(ids(&list(&format!("&patient_id={patient}")).await), vec![id_of("crps")]);
    let past = "2000-01-01T00:00:00Z";
    let future = (chrono::Utc::now() + chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    assert_eq!(
        ids(&list(&format!("&submitted_from={past}&submitted_to={future}")).await).len(),
        4
    );
    assert!(ids(&list(&format!("&submitted_from={future}")).await).is_empty());

    // Sort by submission time, both directions; drafts never submitted are not in it.
    let asc = ids(&list("&sort=submitted_at").await);
    let desc = ids(&list("&sort=-submitted_at").await);
    assert_eq!(asc.len(), 4);
    assert_eq!(asc, desc.iter().rev().cloned().collect::<Vec<_>>());
    assert_eq!(
        asc,
        fx.iter().map(|f| f.1.clone()).collect::<Vec<_>>(),
        "submitted in fixture order"
    );
    let upd_asc = ids(&list("&sort=updated_at").await);
    assert_eq!(upd_asc.last(), Some(&draft_id));

    // Assignment.
    let etag = format!(
        "\"{}\"",
        app.get(&format!("/api/v1/intakes/{}", id_of("crps")), Some(&clinician))
            .await
            .json()["version"]
    );
    let res = app
        .send(review_req(
            &id_of("crps"),
            &clinician,
            &etag,
            json!({"action": "assign", "assign_to": "me"}),
        ))
        .await;
    assert_eq!(res.status, 201);
    assert_eq!(ids(&list("&assigned_to=me").await), vec![id_of("crps")]);
}

async fn invalid_worklist_queries(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let res = app.get("/api/v1/intakes?status=lost", Some(&clinician)).await;
    assert_eq!(res.problem(422, "/problems/validation")["errors"][0]["field"], "status");
    let res = app.get("/api/v1/intakes?sort=name", Some(&clinician)).await;
    assert_eq!(res.problem(422, "/problems/validation")["errors"][0]["field"], "sort");
    let res = app.get("/api/v1/intakes?assigned_to=someone", Some(&clinician)).await;
    assert_eq!(
        res.problem(422, "/problems/validation")["errors"][0]["field"],
        "assigned_to"
    );
    app.get("/api/v1/intakes?limit=0", Some(&clinician))
        .await
        .problem(422, "/problems/validation");
    app.get("/api/v1/intakes?limit=101", Some(&clinician))
        .await
        .problem(422, "/problems/validation");
    app.get("/api/v1/intakes?cursor=abc.def", Some(&clinician))
        .await
        .problem(400, "/problems/bad-request");
    app.get("/api/v1/intakes?submitted_from=yesterday", Some(&clinician))
        .await
        .problem(422, "/problems/validation");
}

fn review_req(id: &str, token: &str, etag: &str, body: Value) -> at::TestRequest {
    with_token(
        at::TestRequest::post().uri(&format!("/api/v1/intakes/{id}/reviews")),
        Some(token),
    )
    .insert_header(("If-Match", etag.to_owned()))
    .set_json(body)
}

async fn paging_visits_each_once(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let f = fixture("postoperative");
    let (_, token) = app.patient_account("james@example.org").await;
    assert_eq!(
        app.post("/api/v1/patients", Some(&token), &f["profile"]).await.status,
        201
    );
    let mut created = Vec::new();
    for _ in 0..50 {
        let id = app
            .post("/api/v1/intakes", Some(&token), &json!({"sections": f["sections"]}))
            .await
            .json()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(app.submit(&id, &token).await.status, 200);
        created.push(id);
    }
    for sort in ["-submitted_at", "submitted_at", "-updated_at", "updated_at"] {
        let pages = all_pages(&app, &format!("/api/v1/intakes?limit=7&sort={sort}"), &clinician).await;
        let seen: Vec<String> = pages.iter().flat_map(ids).collect();
        assert_eq!(pages.len(), 8, "{sort}");
        assert_eq!(seen.len(), 50, "{sort}");
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 50, "{sort}: every intake exactly once");
        let expected: Vec<String> = if sort.starts_with('-') {
            created.iter().rev().cloned().collect()
        } else {
            created.clone()
        };
        assert_eq!(seen, expected, "{sort}: stable order");
    }
    // The patient's own list pages the same way.
    let page = app.get("/api/v1/intakes?limit=7", Some(&token)).await.json();
    assert_eq!(ids(&page).len(), 7);
    // A cursor from one sort cannot be used with another.
    let c = page["next_cursor"].as_str().unwrap();
    app.get(
        &format!("/api/v1/intakes?limit=7&sort=submitted_at&cursor={c}"),
        Some(&token),
    )
    .await
    .problem(400, "/problems/bad-request");
}

/// Several statuses page as one list in one order: each status is read on its own and the
/// walks are merged (issue 17), so the merge must interleave them, keep the order stable across
/// pages and visit each intake once.
async fn several_statuses_page_as_one_list(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let f = fixture("postoperative");
    let (_, token) = app.patient_account("james@example.org").await;
    assert_eq!(
        app.post("/api/v1/patients", Some(&token), &f["profile"]).await.status,
        201
    );
    // Drafts and submitted intakes alternate in time.
    let mut created = Vec::new();
    for i in 0..24 {
        let res = app
            .post("/api/v1/intakes", Some(&token), &json!({"sections": f["sections"]}))
            .await;
        let id = res.json()["id"].as_str().unwrap().to_owned();
        if i % 3 != 0 {
            assert_eq!(app.submit(&id, &token).await.status, 200);
        }
        created.push(id);
    }
    for (statuses, sort) in [
        ("draft,submitted", "-updated_at"),
        ("submitted,draft", "updated_at"),
        ("submitted,draft,submitted", "-updated_at"),
    ] {
        let path = format!("/api/v1/intakes?status={statuses}&limit=5&sort={sort}");
        let seen: Vec<String> = all_pages(&app, &path, &clinician).await.iter().flat_map(ids).collect();
        let expected: Vec<String> = if sort.starts_with('-') {
            created.iter().rev().cloned().collect()
        } else {
            created.clone()
        };
        assert_eq!(seen, expected, "status={statuses}&sort={sort}");
    }
    // Sorted by submission time, drafts never submitted are not listed.
    let page = app
        .get(
            "/api/v1/intakes?status=draft,submitted&sort=submitted_at&limit=100",
            Some(&clinician),
        )
        .await
        .json();
    let submitted: Vec<String> = created
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 != 0)
        .map(|(_, id)| id.clone())
        .collect();
    assert_eq!(ids(&page), submitted);
}

/// The name search starts from the patients with the rarest query word when it is rare, and
/// walks the list when every word is common (over 200 matching names): both find the same.
async fn name_search_common_and_rare_words(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let mut patients = Vec::new();
    for i in 0..205 {
        let family = match i {
            0 => "Zed".to_owned(),
            1 => "Okafor".to_owned(),
            _ => format!("Common{i}"),
        };
        let res = app
            .post(
                "/api/v1/patients",
                Some(&clinician),
                &crate::helpers::profile("Ana", &family),
            )
            .await;
        assert_eq!(res.status, 201);
        patients.push(res.json()["id"].as_str().unwrap().to_owned());
    }
    let mut sections = fixture("postoperative")["sections"].clone();
    sections["consent"]["signer_role"] = json!("staff_on_behalf");
    let mut intakes = Vec::new();
    for patient in &patients[..3] {
        let res = app
            .post(
                "/api/v1/intakes",
                Some(&clinician),
                &json!({"patient_id": patient, "sections": sections}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
        intakes.push(res.json()["id"].as_str().unwrap().to_owned());
    }
    let list = |q: &str| {
        let path = format!("/api/v1/intakes?limit=100&q={q}");
        let clinician = clinician.clone();
        let app = &app;
        async move {
            let mut found = ids(&app.get(&path, Some(&clinician)).await.json());
            found.sort();
            found
        }
    };
    let mut all = intakes.clone();
    all.sort();
    assert_eq!(list("ana").await, all, "a common word: the list is walked");
    assert_eq!(list("ana%20zed").await, vec![intakes[0].clone()], "one rare word");
    assert_eq!(list("oka").await, vec![intakes[1].clone()], "a rare prefix");
    assert_eq!(
        list("common2").await.len(),
        1,
        "common2 is rare; common20..29 have no intake"
    );
    assert!(list("nobody").await.is_empty(), "a name no one has");
    assert!(list("ana%20nobody").await.is_empty());

    // Each word is checked as the set of its patients (at most NAME_SET_TOKENS tokens) or by
    // probing each row's patient (more): the two forms list the same intakes, in order.
    let mut conn = app.state.pool.get().unwrap();
    for words in [vec!["ana"], vec!["ana", "zed"], vec!["oka"], vec!["nobody"]] {
        let words: Vec<String> = words.into_iter().map(str::to_owned).collect();
        let names = patients_repo::name_match(&mut conn, &words).unwrap();
        assert!(names.words.iter().all(|w| w.as_set), "{words:?}: at most 205 tokens");
        let listed = |as_set: bool, conn: &mut _| {
            let mut names = names.clone();
            names.patients = None;
            names.words.iter_mut().for_each(|w| w.as_set = as_set);
            let filter = Filter {
                name_words: words.clone(),
                names,
                ..Filter::default()
            };
            let sort = Sort {
                key: SortKey::UpdatedAt,
                descending: true,
            };
            let rows = review_repo::worklist(conn, &filter, sort, None, 100).unwrap();
            rows.into_iter().map(|(r, _, _)| r.id.to_string()).collect::<Vec<_>>()
        };
        let as_set = listed(true, &mut conn);
        assert_eq!(as_set, listed(false, &mut conn), "{words:?}");
        let mut sorted = as_set.clone();
        sorted.sort();
        assert_eq!(sorted, list(&words.join("%20")).await, "{words:?}");
    }
    let big = patients_repo::name_match(&mut conn, &["ana".to_owned()]).unwrap();
    assert_eq!(big.patients, None, "ana matches 205 tokens: over RARE_NAME_TOKENS");
}

/// A worklist page is one audit event naming every intake it listed (issue 17): each intake is
/// still found by `GET /audit?resource_id=`, and each patient's access log shows the listing of
/// each of their intakes, paging through them one at a time.
async fn a_listed_page_is_one_event_naming_every_intake(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    let fx = submitted_fixtures(&app).await;
    // The first patient has two more intakes, so one page lists three of theirs.
    let (_, first_id, first_token) = fx[0].clone();
    let mut first_ids = vec![first_id];
    for _ in 0..2 {
        let res = app
            .post(
                "/api/v1/intakes",
                Some(&first_token),
                &json!({"sections": fixture(fx[0].0)["sections"]}),
            )
            .await;
        first_ids.push(res.json()["id"].as_str().unwrap().to_owned());
    }
    let page1 = app.get("/api/v1/intakes?limit=4", Some(&clinician)).await.json();
    let cursor = page1["next_cursor"].as_str().unwrap().to_owned();
    let page2 = app
        .get(&format!("/api/v1/intakes?limit=4&cursor={cursor}"), Some(&clinician))
        .await
        .json();
    assert!(page2["next_cursor"].is_null());
    let listed_pages: Vec<Vec<(String, String)>> = [&page1, &page2]
        .iter()
        .map(|p| {
            let mut items: Vec<(String, String)> = p["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    (
                        i["id"].as_str().unwrap().to_owned(),
                        i["patient_id"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            items.sort();
            items
        })
        .collect();
    assert_eq!((listed_pages[0].len(), listed_pages[1].len()), (4, 2));

    // One event per page, newest first, each naming exactly what its page listed.
    let events = app
        .get("/api/v1/audit?action=intake.list&limit=100", Some(&admin))
        .await
        .json();
    let events = events["items"].as_array().unwrap().clone();
    assert_eq!(events.len(), 2, "{events:?}");
    for (event, listed) in events.iter().rev().zip(&listed_pages) {
        assert_eq!(event["actor_role"], "clinician");
        assert!(event["resource_id"].is_null());
        let mut named: Vec<(String, String)> = event["listed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["resource_id"].as_str().unwrap().to_owned(),
                    l["patient_id"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        named.sort();
        assert_eq!(&named, listed);
    }
    // Every listed intake is found by its id, in exactly the event of its page.
    for (page, listed) in listed_pages.iter().enumerate() {
        for (intake, _) in listed {
            let found = app
                .get(
                    &format!("/api/v1/audit?resource_id={intake}&action=intake.list"),
                    Some(&admin),
                )
                .await
                .json();
            let found = found["items"].as_array().unwrap();
            assert_eq!(found.len(), 1, "{intake}");
            assert_eq!(found[0]["id"], events[1 - page]["id"]);
        }
    }
    // Each patient's access log shows the listing of each of their intakes, once.
    for (i, (_, id, token)) in fx.iter().enumerate() {
        let mut want: Vec<String> = if i == 0 { first_ids.clone() } else { vec![id.clone()] };
        want.sort();
        let mut seen = Vec::new();
        for page in all_pages(&app, "/api/v1/me/access-log?limit=1", token).await {
            for e in page["items"].as_array().unwrap() {
                if e["action"] == "intake.list" {
                    assert_eq!(e["by_role"], "clinician");
                    seen.push(e["resource_id"].as_str().unwrap().to_owned());
                }
            }
        }
        seen.sort();
        assert_eq!(seen, want, "patient {i}");
    }
}

async fn every_transition_and_every_forbidden_one(backend: Backend) {
    let app = spawn(backend).await;
    let (clinician_id, clinician) = app.staff(Role::Clinician, "reyes@clinic.org");
    let (other_id, _) = app.staff(Role::Clinician, "kim@clinic.org");
    let (token, id, _) = app.fixture_draft("fibromyalgia", "ana@example.org").await;
    let path = format!("/api/v1/intakes/{id}");
    let etag_of = async |app: &crate::helpers::TestApp<_>| -> String {
        format!("\"{}\"", app.get(&path, Some(&clinician)).await.json()["version"])
    };
    // A draft cannot be reviewed.
    let etag = etag_of(&app).await;
    let res = app
        .send(review_req(&id, &clinician, &etag, json!({"action": "start_review"})))
        .await;
    let body = res.problem(409, "/problems/conflict");
    assert_eq!(body["allowed"], json!([]));
    assert_eq!(app.submit(&id, &token).await.status, 200);

    let step = async |action: Value, expect: u16| {
        let etag = etag_of(&app).await;
        let res = app.send(review_req(&id, &clinician, &etag, action)).await;
        assert_eq!(res.status.as_u16(), expect, "{}", String::from_utf8_lossy(&res.body));
        res
    };
    // Not allowed from submitted: approve, decline, request_info (only from in_review). The
    // 409 names what is.
    let res = step(json!({"action": "approve"}), 409).await;
    assert_eq!(res.json()["allowed"], json!(["start_review", "assign"]));
    step(json!({"action": "decline", "note": "x"}), 409).await;
    let res = step(json!({"action": "request_info", "note": "x"}), 409).await;
    assert_eq!(res.json()["allowed"], json!(["start_review", "assign"]));
    // If-Match is optional (API.md lists no header here): a stale one is a 412 ...
    app.send(review_req(&id, &clinician, "\"1\"", json!({"action": "start_review"})))
        .await
        .problem(412, "/problems/stale-version");
    // ... and without one the step applies to the current version.
    let version = app.get(&path, Some(&clinician)).await.json()["version"]
        .as_i64()
        .unwrap();
    let res = app
        .send(
            with_token(
                at::TestRequest::post().uri(&format!("{path}/reviews")),
                Some(&clinician),
            )
            .set_json(json!({"action": "start_review"})),
        )
        .await;
    assert_eq!(res.status.as_u16(), 201, "{}", String::from_utf8_lossy(&res.body));
    let body = res.json();
    assert_eq!(body["intake_version"].as_i64(), Some(version + 1));
    assert_eq!(body["intake_status"], "in_review");
    assert_eq!(
        body["review"]["assign_to"],
        clinician_id.to_string(),
        "the reviewer takes it"
    );
    assert_eq!(res.header("etag").unwrap(), format!("\"{}\"", body["intake_version"]));
    step(json!({"action": "start_review"}), 409).await;
    // Notes are required to decline or to ask for information.
    let res = step(json!({"action": "request_info"}), 422).await;
    assert_eq!(res.json()["errors"][0]["field"], "note");
    // Assign: to an active staff member only.
    let res = step(
        json!({"action": "assign", "assign_to": uuid::Uuid::now_v7().to_string()}),
        422,
    )
    .await;
    assert_eq!(res.json()["errors"][0]["field"], "assign_to");
    step(json!({"action": "assign"}), 422).await;
    let res = step(json!({"action": "assign", "assign_to": other_id.to_string()}), 201).await;
    assert_eq!(res.json()["intake_status"], "in_review");

    // Back to the patient with a note they can read.
    step(
        json!({"action": "request_info", "note": "Please add your blood-pressure medicine dose."}),
        201,
    )
    .await;
    let seen = app.get(&path, Some(&token)).await.json();
    assert_eq!(seen["status"], "needs_info");
    assert_eq!(seen["review_note"], "Please add your blood-pressure medicine dose.");
    let res = step(json!({"action": "approve"}), 409).await;
    assert_eq!(res.json()["allowed"], json!(["assign"]));
    // The patient edits and submits again; both submissions are kept, the first unchanged.
    let first = app.get(&format!("{path}/submissions"), Some(&token)).await.json()[0].clone();
    let mut mh = fixture("fibromyalgia")["sections"]["medical_history"].clone();
    mh["current_medications"][2]["dose_amount"] = json!(20);
    let etag = format!("\"{}\"", seen["version"]);
    let res = app
        .patch(
            &path,
            Some(&token),
            &json!({"sections": {"medical_history": mh}}),
            Some(&etag),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(app.submit(&id, &token).await.status, 200);
    let subs = app.get(&format!("{path}/submissions"), Some(&token)).await.json();
    assert_eq!(subs.as_array().unwrap().len(), 2);
    assert_eq!(subs[0], first, "the first submission is never changed");
    assert_eq!(subs[1]["seq"], 2);
    assert_eq!(
        subs[1]["sections"]["medical_history"]["current_medications"][2]["dose_amount"],
        20.0
    );

    step(json!({"action": "start_review"}), 201).await;
    step(json!({"action": "decline"}), 422).await;
    step(
        json!({"action": "approve", "note": "Cleared; BP to be rechecked on the day."}),
        201,
    )
    .await;
    for action in ["start_review", "approve", "request_info", "assign"] {
        let res = step(json!({"action": action, "note": "x", "assign_to": "me"}), 409).await;
        assert_eq!(res.json()["allowed"], json!([]));
    }

    // The history, oldest first, with actor, time and note.
    let history = app.get(&format!("{path}/reviews"), Some(&clinician)).await.json();
    let steps: Vec<(&str, &str, &str)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["action"].as_str().unwrap(),
                h["from_status"].as_str().unwrap(),
                h["to_status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            ("start_review", "submitted", "in_review"),
            ("assign", "in_review", "in_review"),
            ("request_info", "in_review", "needs_info"),
            ("start_review", "submitted", "in_review"),
            ("approve", "in_review", "approved"),
        ]
    );
    assert_eq!(history[0]["actor"]["display_name"], "Dr. reyes@clinic.org");
    assert_eq!(history[0]["actor"]["role"], "clinician");
    assert_eq!(history[4]["note"], "Cleared; BP to be rechecked on the day.");

    // A declined path too.
    let (token2, id2, _) = app.fixture_draft("postoperative", "james@example.org").await;
    assert_eq!(app.submit(&id2, &token2).await.status, 200);
    let v = app
        .get(&format!("/api/v1/intakes/{id2}"), Some(&clinician))
        .await
        .json()["version"]
        .clone();
    let res = app
        .send(review_req(
            &id2,
            &clinician,
            &format!("\"{v}\""),
            json!({"action": "start_review"}),
        ))
        .await;
    let v = res.json()["intake_version"].clone();
    let res = app
        .send(review_req(
            &id2,
            &clinician,
            &format!("\"{v}\""),
            json!({"action": "decline", "note": "Not a candidate now."}),
        ))
        .await;
    assert_eq!(res.json()["intake_status"], "declined");
}

async fn exam_entry_moves_crps_from_pending(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let (token, id, _) = app.fixture_draft("crps", "marcus@example.org").await;
    let path = format!("/api/v1/intakes/{id}");
    let exam = json!({"crps_budapest": {"signs": {"sensory": true, "vasomotor": true, "sudomotor_edema": false, "motor_trophic": false},
                                        "other_diagnosis_explains": false}});
    let put = |etag: Option<String>, body: &Value| {
        let mut r = with_token(at::TestRequest::put().uri(&format!("{path}/exam")), Some(&clinician)).set_json(body);
        if let Some(e) = etag {
            r = r.insert_header(("If-Match", e));
        }
        r
    };
    // Not before the intake is submitted.
    app.send(put(Some("\"1\"".into()), &exam))
        .await
        .problem(409, "/problems/conflict");
    assert_eq!(app.submit(&id, &token).await.status, 200);
    let before = app.get(&path, Some(&clinician)).await.json();
    assert_eq!(before["scores"]["crps_budapest"]["result"], "pending_clinician_exam");
    app.send(put(None, &exam))
        .await
        .problem(428, "/problems/precondition-required");
    let res = app.send(put(Some(format!("\"{}\"", before["version"])), &exam)).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let after = res.json();
    assert_eq!(after["scores"]["crps_budapest"]["result"], "met");
    assert_eq!(after["scores"]["crps_budapest"]["subscales"]["sign_categories"], 2);
    assert_eq!(after["version"].as_i64(), before["version"].as_i64().map(|v| v + 1));
    // The worklist column follows; the submission snapshot keeps what was computed at submit.
    let row = app.get("/api/v1/intakes?pain_type=crps", Some(&clinician)).await.json();
    assert_eq!(row["items"][0]["scores"]["crps_result"], "met");
    let subs = app.get(&format!("{path}/submissions"), Some(&clinician)).await.json();
    assert_eq!(subs[0]["scores"]["crps_budapest"]["result"], "pending_clinician_exam");
    // Another diagnosis explains it: not met.
    let mut other = exam.clone();
    other["crps_budapest"]["other_diagnosis_explains"] = json!(true);
    let res = app.send(put(Some(format!("\"{}\"", after["version"])), &other)).await;
    assert_eq!(res.json()["scores"]["crps_budapest"]["result"], "not_met");
    let history = app.get(&format!("{path}/reviews"), Some(&clinician)).await.json();
    assert_eq!(
        history
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["action"] == "exam")
            .count(),
        2
    );
    // DN4 is off at this clinic; an intake without CRPS answers cannot take CRPS signs.
    let v = res.json()["version"].clone();
    app.send(put(
        Some(format!("\"{v}\"")),
        &json!({"dn4": {"exam": {"hypoesthesia_touch": true, "hypoesthesia_pinprick": false, "brushing": false}}}),
    ))
    .await
    .problem(404, "/problems/not-enabled");
    let (t2, id2, _) = app.fixture_draft("postoperative", "james@example.org").await;
    assert_eq!(app.submit(&id2, &t2).await.status, 200);
    let v2 = app
        .get(&format!("/api/v1/intakes/{id2}"), Some(&clinician))
        .await
        .json()["version"]
        .clone();
    let res = app
        .send(
            with_token(
                at::TestRequest::put().uri(&format!("/api/v1/intakes/{id2}/exam")),
                Some(&clinician),
            )
            .insert_header(("If-Match", format!("\"{v2}\"")))
            .set_json(&exam),
        )
        .await;
    assert_eq!(
        res.problem(422, "/problems/validation")["errors"][0]["field"],
        "crps_budapest"
    );
}

async fn fhir_export_validates_against_r4(backend: Backend) {
    let app = spawn(backend).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let fx = submitted_fixtures(&app).await;
    for (name, id, _) in &fx {
        let res = app.get(&format!("/api/v1/intakes/{id}/fhir"), Some(&clinician)).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.content_type(), "application/fhir+json");
        let doc = res.json();
        if let Err(e) = validate_fhir_r4(&doc) {
            panic!("{name}: {e}");
        }
        let kinds: Vec<&str> = doc["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["resource"]["resourceType"].as_str().unwrap())
            .collect();
        for kind in [
            "Patient",
            "Condition",
            "QuestionnaireResponse",
            "Observation",
            "AllergyIntolerance",
        ] {
            assert!(kinds.contains(&kind), "{name}: no {kind} in {kinds:?}");
        }
        let loinc: Vec<&str> = doc["entry"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| {
                e["resource"]["code"]["coding"][0]["code"]
                    .as_str()
                    .filter(|_| e["resource"]["code"]["coding"][0]["system"] == "http://loinc.org")
            })
            .collect();
        assert!(
            loinc.contains(&"44261-6") && loinc.contains(&"70274-6"),
            "{name}: {loinc:?}"
        );
        let patient = doc["entry"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["resource"]["resourceType"] == "Patient")
            .unwrap();
        assert_eq!(
            patient["resource"]["name"][0]["family"],
            fixture(name)["profile"]["family_name"]
        );
    }
    // The CRPS intake carries its flags and medications.
    let crps = app
        .get(&format!("/api/v1/intakes/{}/fhir", fx[1].1), Some(&clinician))
        .await
        .json();
    let flags: Vec<&str> = crps["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource"]["resourceType"] == "Flag")
        .map(|e| e["resource"]["code"]["coding"][0]["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        flags,
        vec!["suicidal_ideation", "suicide_risk_nonacute", "high_opioid_dose"]
    );
    let meds = crps["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource"]["resourceType"] == "MedicationStatement")
        .count();
    assert_eq!(meds, 4);
    // A broken document is caught by the validator (the check itself can fail).
    let mut broken = crps.clone();
    broken["entry"][0]["resource"]["gender"] = json!("robot");
    assert!(validate_fhir_r4(&broken).is_err());
    let mut broken = crps;
    broken["entry"][1]["resource"]["unknownElement"] = json!(1);
    assert!(validate_fhir_r4(&broken).is_err());
}

async fn patients_reach_no_staff_route(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    let (token, id, _) = app.fixture_draft("crps", "marcus@example.org").await;
    assert_eq!(app.submit(&id, &token).await.status, 200);
    let (other_token, _, _) = app.fixture_draft("postoperative", "james@example.org").await;
    let path = format!("/api/v1/intakes/{id}");
    let etag = format!("\"{}\"", app.get(&path, Some(&token)).await.json()["version"]);
    let exam = json!({"crps_budapest": {"signs": {"sensory": true, "vasomotor": true, "sudomotor_edema": true, "motor_trophic": true}, "other_diagnosis_explains": false}});
    // The role is checked before any precondition: the patient whose intake it is gets 403,
    // any other patient 404 (as for any other patient's record), with or without If-Match;
    // never the 428 that would tell them a step exists for this id.
    for (t, status, kind) in [
        (&token, 403, "/problems/forbidden"),
        (&other_token, 404, "/problems/not-found"),
    ] {
        for if_match in [Some(etag.as_str()), None] {
            let mut post = with_token(at::TestRequest::post().uri(&format!("{path}/reviews")), Some(t))
                .set_json(json!({"action": "start_review"}));
            let mut put = with_token(at::TestRequest::put().uri(&format!("{path}/exam")), Some(t)).set_json(&exam);
            if let Some(e) = if_match {
                post = post.insert_header(("If-Match", e.to_owned()));
                put = put.insert_header(("If-Match", e.to_owned()));
            }
            app.send(post).await.problem(status, kind);
            app.send(put).await.problem(status, kind);
        }
        app.get(&format!("{path}/reviews"), Some(t)).await.problem(status, kind);
        app.get(&format!("{path}/fhir"), Some(t)).await.problem(status, kind);
    }
    assert_eq!(
        app.get(&path, Some(&token)).await.json()["status"],
        "submitted",
        "nothing was changed"
    );
    // The other patient's attempt is audited as denied, like any attempt at another's record.
    let denied = app
        .get(
            &format!("/api/v1/audit?action=intake.review.start&resource_id={id}"),
            Some(&admin),
        )
        .await
        .json();
    let outcomes: Vec<&str> = denied["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, vec!["denied", "denied"]);
    // A patient's list is their own, even when asking for someone else's.
    let marcus_patient = app.get(&path, Some(&token)).await.json()["patient_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let theirs = app
        .get(
            &format!("/api/v1/intakes?patient_id={marcus_patient}"),
            Some(&other_token),
        )
        .await
        .json();
    assert!(theirs["items"].as_array().unwrap().is_empty());
    let own = app.get("/api/v1/intakes?limit=100", Some(&other_token)).await.json();
    assert_eq!(own["items"].as_array().unwrap().len(), 1);

    // Worklist reads, review steps and exports are audited.
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    app.get("/api/v1/intakes", Some(&clinician)).await;
    app.get(&format!("{path}/fhir"), Some(&clinician)).await;
    app.send(review_req(&id, &clinician, &etag, json!({"action": "start_review"})))
        .await;
    for action in ["intake.list", "intake.export_fhir", "intake.review.start"] {
        let events = app
            .get(&format!("/api/v1/audit?action={action}&resource_id={id}"), Some(&admin))
            .await
            .json();
        assert!(!events["items"].as_array().unwrap().is_empty(), "{action} not audited");
    }
}

/// Exam findings for an instrument the patient no longer answers (a `request_info` round changed
/// the pain type) are ignored, never a 500 (issue 12, point 1).
async fn stale_exam_findings_are_ignored(backend: Backend) {
    let with_dn4 = "phq9,gad7,pc_ptsd5,pcl5,asq,pain_nrs,peg,fm2016,crps_budapest,dn4";
    let overrides = [("INSTRUMENTS_ENABLED", with_dn4)];
    let app = spawn_with(backend, &overrides).await;
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let (token, id, _) = app.fixture_draft("crps", "marcus@example.org").await;
    assert_eq!(app.submit(&id, &token).await.status, 200);
    let path = format!("/api/v1/intakes/{id}");
    let etag = async || format!("\"{}\"", app.get(&path, Some(&clinician)).await.json()["version"]);
    let exam = async |body: Value| {
        let req = with_token(at::TestRequest::put().uri(&format!("{path}/exam")), Some(&clinician))
            .insert_header(("If-Match", etag().await))
            .set_json(body);
        app.send(req).await
    };
    let step = async |body: Value| {
        let res = app.send(review_req(&id, &clinician, &etag().await, body)).await;
        assert_eq!(res.status.as_u16(), 201, "{}", String::from_utf8_lossy(&res.body));
    };
    step(json!({"action": "start_review"})).await;
    let crps_signs = json!({"crps_budapest": {"signs": {"sensory": true, "vasomotor": true, "sudomotor_edema": false,
                                                       "motor_trophic": false}, "other_diagnosis_explains": false}});
    assert_eq!(exam(crps_signs).await.status, 200);
    step(json!({"action": "request_info", "note": "Is it nerve pain rather than CRPS?"})).await;

    // The patient: neuropathic pain instead, no Budapest symptoms, the DN4 interview.
    let mut screenings = fixture("crps")["sections"]["screenings"].clone();
    screenings.as_object_mut().unwrap().remove("crps_budapest");
    screenings["dn4"] = json!({"burning": true, "painful_cold": false, "electric_shocks": true, "tingling": true,
                               "pins_and_needles": false, "numbness": false, "itching": false});
    let pain = fixture("neuropathic")["sections"]["pain"].clone();
    let patient_etag = format!("\"{}\"", app.get(&path, Some(&token)).await.json()["version"]);
    let res = app
        .patch(
            &path,
            Some(&token),
            &json!({"sections": {"pain": pain, "screenings": screenings}}),
            Some(&patient_etag),
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let res = app.submit(&id, &token).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.json()["scores"]["dn4"]["result"], "pending_clinician_exam");

    step(json!({"action": "start_review"})).await;
    let dn4_exam =
        json!({"dn4": {"exam": {"hypoesthesia_touch": true, "hypoesthesia_pinprick": false, "brushing": false}}});
    let res = exam(dn4_exam).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let body = res.json();
    assert_eq!(body["scores"]["dn4"]["total"], 4);
    assert_eq!(body["scores"]["dn4"]["positive"], true);
    assert!(
        body["scores"].get("crps_budapest").is_none(),
        "the stale CRPS findings score nothing"
    );
}

/// Separation of duties: nobody reviews or examines an intake of their own patient record, even
/// after being made a clinician (issue 12, point 4).
async fn nobody_reviews_their_own_record(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.org");
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.org");
    let (patient_token, id, _) = app.fixture_draft("crps", "kim@example.org").await;
    assert_eq!(app.submit(&id, &patient_token).await.status, 200);
    // The patient joins the clinic's staff: an administrator makes the account a clinician.
    let user_id: uuid::Uuid = app.get("/api/v1/auth/me", Some(&patient_token)).await.json()["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let res = app
        .patch(
            &format!("/api/v1/users/{user_id}"),
            Some(&admin),
            &json!({"role": "clinician"}),
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let kim = app.token(user_id, Role::Clinician);
    let path = format!("/api/v1/intakes/{id}");
    let etag = format!("\"{}\"", app.get(&path, Some(&kim)).await.json()["version"]);
    for action in ["start_review", "assign", "request_info"] {
        app.send(review_req(
            &id,
            &kim,
            &etag,
            json!({"action": action, "note": "x", "assign_to": "me"}),
        ))
        .await
        .problem(409, "/problems/own-record");
    }
    let exam = json!({"crps_budapest": {"signs": {"sensory": true, "vasomotor": true, "sudomotor_edema": true,
                                                  "motor_trophic": true}, "other_diagnosis_explains": false}});
    let req = with_token(at::TestRequest::put().uri(&format!("{path}/exam")), Some(&kim))
        .insert_header(("If-Match", etag.clone()))
        .set_json(&exam);
    app.send(req).await.problem(409, "/problems/own-record");
    assert_eq!(app.get(&path, Some(&kim)).await.json()["status"], "submitted");
    // Another clinician reviews it; the new clinician reviews other patients' intakes.
    let res = app
        .send(review_req(&id, &clinician, &etag, json!({"action": "start_review"})))
        .await;
    assert_eq!(res.status.as_u16(), 201);
    let (other_token, other_id, _) = app.fixture_draft("postoperative", "james@example.org").await;
    assert_eq!(app.submit(&other_id, &other_token).await.status, 200);
    let other_etag = format!(
        "\"{}\"",
        app.get(&format!("/api/v1/intakes/{other_id}"), Some(&kim)).await.json()["version"]
    );
    let res = app
        .send(review_req(
            &other_id,
            &kim,
            &other_etag,
            json!({"action": "start_review"}),
        ))
        .await;
    assert_eq!(res.status.as_u16(), 201, "{}", String::from_utf8_lossy(&res.body));
}

on_both_backends!(
    stale_exam_findings_are_ignored,
    nobody_reviews_their_own_record,
    worklist_filters,
    invalid_worklist_queries,
    paging_visits_each_once,
    several_statuses_page_as_one_list,
    name_search_common_and_rare_words,
    a_listed_page_is_one_event_naming_every_intake,
    every_transition_and_every_forbidden_one,
    exam_entry_moves_crps_from_pending,
    fhir_export_validates_against_r4,
    patients_reach_no_staff_route,
);
