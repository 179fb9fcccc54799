//! The audit trail's hash chain: tampering in the database is found at the right event, and a
//! chain written by many concurrent reads and writes verifies.

use diesel::prelude::*;
use futures_util::future::join_all;
use serde_json::Value;

use intake_api::audit::one_statement::{self, Appended};
use intake_api::audit::repo::{self, AuditBatch, AuditRow, ListedRow};
use intake_api::auth::Role;
use intake_api::db::{Backend, DbConn};
use intake_api::schema::{audit_event_resources, audit_events};

use crate::helpers::spawn;
use crate::on_both_backends;

/// The stored events in chain order.
fn chain(conn: &mut DbConn) -> Vec<AuditRow> {
    audit_events::table
        .order(audit_events::seq.asc())
        .select(AuditRow::as_select())
        .load(conn)
        .unwrap()
}

fn insert(conn: &mut DbConn, row: &AuditRow) {
    intake_api::on_backend!(conn, c => diesel::insert_into(audit_events::table).values(row).execute(c)).unwrap();
}

async fn tampering_is_found_at_the_event_it_touched(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.example.org");
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.example.org");
    let (token, intake, _) = app.fixture_draft("fibromyalgia", "ana@example.org").await;
    assert_eq!(app.submit(&intake, &token).await.status, 200);
    for _ in 0..3 {
        let res = app.get(&format!("/api/v1/intakes/{intake}"), Some(&clinician)).await;
        assert_eq!(res.status, 200);
    }
    // A listing: its event names every intake it showed.
    assert_eq!(app.get("/api/v1/intakes", Some(&clinician)).await.status, 200);
    let verify = || app.get("/api/v1/audit/verify", Some(&admin));
    let report: Value = verify().await.json();
    assert_eq!(report["intact"], true, "{report}");
    assert_eq!(report["first_broken_id"], Value::Null);

    let mut conn = app.state.pool.get().unwrap();
    let rows = chain(&mut conn);
    assert!(rows.len() >= 8, "{}", rows.len());
    assert_eq!(report["events"], report["head_seq"]);
    assert_eq!(
        rows.iter().map(|r| r.seq.unwrap()).collect::<Vec<_>>(),
        (1..=rows.len() as i64).collect::<Vec<_>>(),
        "one place each, no gaps"
    );
    for pair in rows.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }

    // An event's details edited in the database: found at that event; put back, intact again.
    let target = &rows[3];
    diesel::update(audit_events::table.find(&target.id))
        .set(audit_events::outcome.eq("denied"))
        .execute(&mut conn)
        .unwrap();
    let report: Value = verify().await.json();
    assert_eq!(report["intact"], false);
    assert_eq!(report["first_broken_id"], target.id.as_str(), "{report}");
    assert!(report["problem"].as_str().unwrap().contains("edited"));
    diesel::update(audit_events::table.find(&target.id))
        .set(audit_events::outcome.eq(&target.outcome))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(verify().await.json()["intact"], true);

    // A resource a listing disclosed, removed from the record: found at the listing's event.
    let (event_id, resource_id): (String, String) = audit_event_resources::table
        .select((audit_event_resources::event_id, audit_event_resources::resource_id))
        .first(&mut conn)
        .unwrap();
    let listed: (String, String, Option<String>) = audit_event_resources::table
        .filter(audit_event_resources::event_id.eq(&event_id))
        .filter(audit_event_resources::resource_id.eq(&resource_id))
        .select((
            audit_event_resources::event_id,
            audit_event_resources::resource_id,
            audit_event_resources::patient_id,
        ))
        .first(&mut conn)
        .unwrap();
    diesel::delete(
        audit_event_resources::table
            .filter(audit_event_resources::event_id.eq(&event_id))
            .filter(audit_event_resources::resource_id.eq(&resource_id)),
    )
    .execute(&mut conn)
    .unwrap();
    assert_eq!(verify().await.json()["first_broken_id"], event_id.as_str());
    intake_api::on_backend!(&mut *conn, c => diesel::insert_into(audit_event_resources::table)
        .values((
            audit_event_resources::event_id.eq(&listed.0),
            audit_event_resources::resource_id.eq(&listed.1),
            audit_event_resources::patient_id.eq(&listed.2),
        ))
        .execute(c))
    .unwrap();
    assert_eq!(verify().await.json()["intact"], true);

    // A row deleted: found at the event after it. The last row deleted: the head says so.
    let deleted = rows[5].clone();
    diesel::delete(audit_events::table.find(&deleted.id))
        .execute(&mut conn)
        .unwrap();
    let report: Value = verify().await.json();
    assert_eq!(report["first_broken_id"], rows[6].id.as_str(), "{report}");
    assert!(report["problem"].as_str().unwrap().contains("deleted"));
    insert(&mut conn, &deleted);
    assert_eq!(verify().await.json()["intact"], true);
    let newest = chain(&mut conn).pop().unwrap();
    diesel::delete(audit_events::table.find(&newest.id))
        .execute(&mut conn)
        .unwrap();
    let report: Value = verify().await.json();
    assert_eq!(
        (report["intact"].as_bool(), report["first_broken_id"].as_str()),
        (Some(false), None)
    );
    assert!(
        report["problem"].as_str().unwrap().contains("at the end were deleted"),
        "{report}"
    );
    insert(&mut conn, &newest);
    assert_eq!(verify().await.json()["intact"], true);

    // A row inserted: outside the chain, or claiming a place after its head.
    let mut forged = rows[2].clone();
    forged.id = uuid::Uuid::now_v7().to_string();
    forged.seq = None;
    insert(&mut conn, &forged);
    let report: Value = verify().await.json();
    assert_eq!(report["first_broken_id"], forged.id.as_str(), "{report}");
    diesel::delete(audit_events::table.find(&forged.id))
        .execute(&mut conn)
        .unwrap();
    let end = chain(&mut conn).pop().unwrap();
    forged.seq = Some(end.seq.unwrap() + 1);
    forged.prev_hash = end.hash.clone();
    forged.hash = Some(intake_api::audit::chain::link(
        end.hash.as_deref().unwrap(),
        &forged,
        forged.seq.unwrap(),
        &[],
    ));
    insert(&mut conn, &forged);
    // The place after the head is taken: no event can join the chain, so audited requests are
    // refused (no disclosure without its record) and the walk runs from the command line, as
    // `intake-api audit verify` does.
    assert_eq!(verify().await.status, 503);
    let report = intake_api::audit::service::verify_chain(&mut conn).unwrap();
    assert_eq!(
        report.first_broken_id.as_deref(),
        Some(forged.id.as_str()),
        "{report:?}"
    );
    diesel::delete(audit_events::table.find(&forged.id))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(verify().await.json()["intact"], true);

    // Only administrators walk it.
    app.get("/api/v1/audit/verify", Some(&clinician))
        .await
        .problem(403, "/problems/forbidden");
}

async fn a_thousand_concurrent_reads_and_writes_leave_a_chain_that_verifies(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.example.org");
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.example.org");
    let (token, intake, _) = app.fixture_draft("fibromyalgia", "ana@example.org").await;
    let read = format!("/api/v1/intakes/{intake}");
    let empty = serde_json::json!({});
    let requests = (0..1000).map(|i| {
        let (read, token, clinician, empty) = (&read, &token, &clinician, &empty);
        let app = &app;
        async move {
            match i % 4 {
                // Writes: a new draft each (the patient's), audited in its transaction.
                0 => app.post("/api/v1/intakes", Some(token), empty).await.status,
                // Reads by the patient and by a clinician, audited through the group commit.
                1 => app.get(read, Some(token)).await.status,
                2 => app.get(read, Some(clinician)).await.status,
                _ => app.get("/api/v1/intakes?limit=5", Some(clinician)).await.status,
            }
        }
    });
    let statuses = join_all(requests).await;
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 201),
        "{:?}",
        statuses.iter().filter(|s| s.as_u16() >= 300).collect::<Vec<_>>()
    );
    let report: Value = app.get("/api/v1/audit/verify", Some(&admin)).await.json();
    assert_eq!(report["intact"], true, "{report}");
    let mut conn = app.state.pool.get().unwrap();
    let stored: i64 = audit_events::table.count().get_result(&mut conn).unwrap();
    // Every event up to the walk's head was checked; the walk's own event came after it.
    assert_eq!(report["events"].as_i64().unwrap(), stored - 1);
    assert!(stored > 1000, "{stored}");
}

/// The trail as FHIR R4 AuditEvents (IHE BALP shape), paged by its `next` link, valid R4.
async fn the_trail_as_fhir_audit_events(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.example.org");
    let (_, clinician) = app.staff(Role::Clinician, "dr@clinic.example.org");
    let (token, intake, _) = app.fixture_draft("fibromyalgia", "ana@example.org").await;
    assert_eq!(app.submit(&intake, &token).await.status, 200);
    assert_eq!(
        app.get(&format!("/api/v1/intakes/{intake}"), Some(&clinician))
            .await
            .status,
        200
    );

    let res = app
        .get(
            &format!("/api/v1/audit/fhir?resource_id={intake}&limit=2"),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/fhir+json"));
    let bundle = res.json();
    if let Err(e) = crate::helpers::validate_fhir_r4(&bundle) {
        panic!("{e}\n{bundle}");
    }
    let entries = bundle["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    // Newest first: the clinician's read of the intake.
    let read = &entries[0]["resource"];
    assert_eq!(
        (read["action"].as_str(), read["outcome"].as_str()),
        (Some("R"), Some("0"))
    );
    assert_eq!(read["agent"][0]["role"][0]["text"], "clinician");
    assert_eq!(read["entity"][1]["what"]["identifier"]["value"], intake.as_str());
    assert!(
        read["entity"][0]["what"]["reference"]
            .as_str()
            .unwrap()
            .starts_with("Patient/")
    );
    let next = bundle["link"][0]["url"].as_str().expect("a next page");
    assert!(
        next.contains(&format!("resource_id={intake}")) && next.contains("cursor="),
        "{next}"
    );
    let path = &next[next.find("/api/").unwrap()..];
    let page2 = app.get(path, Some(&admin)).await.json();
    let ids: Vec<&str> = page2["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["id"].as_str().unwrap())
        .collect();
    assert!(!ids.is_empty() && !ids.contains(&read["id"].as_str().unwrap()));
    app.get("/api/v1/audit/fhir", Some(&clinician))
        .await
        .problem(403, "/problems/forbidden");
}

/// Events written before the chain existed are chained once, at start; a row inserted later
/// without a place is never chained after the fact.
async fn events_from_before_the_chain_are_linked_once(backend: Backend) {
    use intake_api::schema::audit_chain;
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.example.org");
    let mut conn = app.state.pool.get().unwrap();
    let template = chain(&mut conn).pop().unwrap();
    // As the migration finds them: no place in the chain, up to `legacy_until`.
    let legacy: Vec<AuditRow> = (0..3)
        .map(|i| AuditRow {
            id: format!("00000000-0000-7000-8000-00000000000{i}"),
            seq: None,
            prev_hash: None,
            hash: None,
            ..template.clone()
        })
        .collect();
    for row in &legacy {
        insert(&mut conn, row);
    }
    diesel::update(audit_chain::table.find(1))
        .set(audit_chain::legacy_until.eq(Some(legacy[2].id.clone())))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(intake_api::audit::service::link_unchained(&mut conn).unwrap(), 3);
    let report: Value = app.get("/api/v1/audit/verify", Some(&admin)).await.json();
    assert_eq!(report["intact"], true, "{report}");
    let linked: Option<String> = audit_chain::table
        .select(audit_chain::legacy_until)
        .first(&mut conn)
        .unwrap();
    assert_eq!(linked, None, "the backlog is closed");

    let late = AuditRow {
        id: "00000000-0000-7000-8000-000000000009".into(),
        ..legacy[0].clone()
    };
    insert(&mut conn, &late);
    assert_eq!(intake_api::audit::service::link_unchained(&mut conn).unwrap(), 0);
    let report: Value = app.get("/api/v1/audit/verify", Some(&admin)).await.json();
    assert_eq!(report["first_broken_id"], late.id.as_str(), "{report}");
}

/// Two read events, the first a listing of two intakes, as the group-commit writer gets them.
fn read_batch() -> AuditBatch {
    let event = |action: &str| AuditRow {
        id: uuid::Uuid::now_v7().to_string(),
        occurred_at: chrono::Utc::now().naive_utc(),
        actor_id: Some("00000000-0000-7000-8000-00000000000a".into()),
        actor_role: Some("clinician".into()),
        action: action.into(),
        resource_type: "intake".into(),
        resource_id: None,
        patient_id: None,
        request_id: Some("req-1".into()),
        client_addr: None,
        user_agent: Some("test".into()),
        outcome: "success".into(),
        seq: None,
        prev_hash: None,
        hash: None,
    };
    let (list, read) = (event("intake.list"), event("intake.read"));
    let listed = ["i1", "i2"]
        .map(|i| ListedRow {
            event_id: list.id.clone(),
            resource_id: i.into(),
            patient_id: Some(format!("p-{i}")),
        })
        .to_vec();
    AuditBatch {
        events: vec![list, read],
        listed,
    }
}

/// The writer appends where it left the chain (on PostgreSQL in one statement), and after
/// someone else appended it still appends after the newest event, never beside it.
async fn the_writer_appends_after_the_newest_event_wherever_it_left_the_chain(backend: Backend) {
    let app = spawn(backend).await;
    let (_, admin) = app.staff(Role::Admin, "admin@clinic.example.org");
    let mut conn = app.state.pool.get().unwrap();
    let start = repo::head(&mut conn).unwrap();
    let mut known = Some(start.clone());
    let batch = read_batch();
    one_statement::append_remembering(&mut conn, &mut known, &batch).unwrap();
    let after_first = repo::head(&mut conn).unwrap();
    assert_eq!(after_first.seq, start.seq + 2);
    assert_eq!(
        known.as_ref(),
        Some(&after_first),
        "the writer knows where it left the chain"
    );
    let rows = chain(&mut conn);
    let stored = &rows[rows.len() - 2..];
    assert_eq!(
        stored.iter().map(|r| (r.id.as_str(), r.seq)).collect::<Vec<_>>(),
        vec![
            (batch.events[0].id.as_str(), Some(start.seq + 1)),
            (batch.events[1].id.as_str(), Some(start.seq + 2))
        ]
    );
    assert_eq!(stored[0].prev_hash.as_deref(), Some(start.hash.as_str()));
    assert_eq!(stored[1].hash.as_deref(), Some(after_first.hash.as_str()));
    let listed: Vec<ListedRow> = audit_event_resources::table
        .filter(audit_event_resources::event_id.eq(&batch.events[0].id))
        .order(audit_event_resources::resource_id.asc())
        .select(ListedRow::as_select())
        .load(&mut conn)
        .unwrap();
    assert_eq!(listed, batch.listed);

    // Someone else appends (a write's transaction): the writer's head is stale now.
    repo::insert(&mut conn, &read_batch()).unwrap();
    let moved = repo::head(&mut conn).unwrap();
    if let DbConn::Pg(c) = &mut *conn {
        let before: i64 = audit_events::table.count().get_result(c).unwrap();
        let stale = one_statement::append_after(c, &after_first, &read_batch()).unwrap();
        assert_eq!(stale, Appended::Moved(moved.clone()), "refused, with the head it saw");
        let after: i64 = audit_events::table.count().get_result(c).unwrap();
        assert_eq!(after, before, "nothing written beside the newest event");
    }
    one_statement::append_remembering(&mut conn, &mut known, &read_batch()).unwrap();
    let end = repo::head(&mut conn).unwrap();
    assert_eq!(end.seq, moved.seq + 2);
    assert_eq!(known, Some(end));
    drop(conn);
    let report: Value = app.get("/api/v1/audit/verify", Some(&admin)).await.json();
    assert_eq!(report["intact"], true, "{report}");
}

/// The audit writer has a connection of its own: with every pooled connection taken (requests
/// busy with their reads), a read's events still commit. From the shared pool it queued behind
/// the very requests waiting for it (issue 17).
async fn the_writer_commits_while_every_pooled_connection_is_taken(backend: Backend) {
    let app = spawn(backend).await;
    let pool = &app.state.pool;
    let held: Vec<_> = (0..pool.max_size()).map(|_| pool.get().unwrap()).collect();
    assert!(pool.try_get().is_none(), "the request pool is exhausted");
    let batch = read_batch();
    let ids: Vec<String> = batch.events.iter().map(|e| e.id.clone()).collect();
    app.state
        .audit
        .commit(batch)
        .await
        .expect("committed without a pooled connection");
    drop(held);
    let mut conn = pool.get().unwrap();
    let stored: i64 = audit_events::table
        .filter(audit_events::id.eq_any(&ids))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(stored, 2);
}

on_both_backends!(
    the_writer_commits_while_every_pooled_connection_is_taken,
    the_writer_appends_after_the_newest_event_wherever_it_left_the_chain,
    events_from_before_the_chain_are_linked_once,
    the_trail_as_fhir_audit_events,
    tampering_is_found_at_the_event_it_touched,
    a_thousand_concurrent_reads_and_writes_leave_a_chain_that_verifies,
);
