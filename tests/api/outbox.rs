//! The outbox's storage on both backends: written with the change or not at all, deduplicated,
//! leased so that concurrent workers never take one message twice, retried and then dead.

use chrono::{Duration, NaiveDateTime};
use intake_api::db::{self, Backend, DbConn};
use intake_api::outreach::outbox::model::{Channel, OutboxStatus};
use intake_api::outreach::outbox::repo::{self, OutboxRow};

use crate::helpers::TestDb;
use crate::on_both_backends;

fn t0() -> NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339("2026-12-02T10:00:00Z")
        .unwrap()
        .naive_utc()
}

fn message(n: usize) -> OutboxRow {
    OutboxRow::new(
        Channel::Email,
        format!("patient{n}@example.org"),
        format!(r#"{{"template":"invitation","n":{n}}}"#),
        t0(),
    )
}

async fn written_with_the_change_or_not_at_all(backend: Backend) {
    let db = TestDb::new(backend);
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let kept = message(1);
    let dropped = message(2);
    db::write_tx(&mut conn, |c: &mut DbConn| repo::enqueue(c, &kept).map(|_| ())).unwrap();
    // The change fails after writing its message: the message goes with it.
    let failed: Result<(), diesel::result::Error> = db::write_tx(&mut conn, |c: &mut DbConn| {
        repo::enqueue(c, &dropped)?;
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(failed.is_err());
    assert_eq!(repo::find(&mut conn, &kept.id).unwrap(), Some(kept));
    assert_eq!(repo::find(&mut conn, &dropped.id).unwrap(), None);

    // One message per dedupe key (a reminder's rule and step).
    let mut first = message(3);
    first.dedupe_key = Some("reminder:intake:1:24h".into());
    let mut again = message(4);
    again.dedupe_key = first.dedupe_key.clone();
    assert!(repo::enqueue(&mut conn, &first).unwrap());
    assert!(!repo::enqueue(&mut conn, &again).unwrap());
    assert_eq!(repo::find(&mut conn, &again.id).unwrap(), None);
}

async fn leases_retries_and_dead_letters(backend: Backend) {
    let db = TestDb::new(backend);
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let mut later = message(1);
    later.next_attempt_at = t0() + Duration::minutes(10);
    let now = message(2);
    for m in [&later, &now] {
        repo::enqueue(&mut conn, m).unwrap();
    }
    // Only what is due, and held until the lease ends.
    let hold = t0() + Duration::seconds(30);
    let taken = repo::lease(&mut conn, t0(), hold, 10).unwrap();
    assert_eq!(taken.iter().map(|m| &m.id).collect::<Vec<_>>(), vec![&now.id]);
    assert_eq!(taken[0].leased_until, Some(hold));
    assert!(
        repo::lease(&mut conn, t0() + Duration::seconds(29), hold, 10)
            .unwrap()
            .is_empty()
    );
    // A worker that died holding it: after the lease another worker takes it again.
    let retaken = repo::lease(
        &mut conn,
        t0() + Duration::seconds(31),
        t0() + Duration::seconds(61),
        10,
    )
    .unwrap();
    assert_eq!(retaken.len(), 1);

    // A failed attempt waits for its retry time, then is due again.
    let retry_at = t0() + Duration::seconds(40);
    repo::mark_failed(&mut conn, &now.id, "550 mailbox unavailable", Some(retry_at)).unwrap();
    let failed = repo::find(&mut conn, &now.id).unwrap().unwrap();
    assert_eq!(
        (
            failed.status,
            failed.attempts,
            failed.next_attempt_at,
            failed.leased_until
        ),
        (OutboxStatus::Failed, 1, retry_at, None)
    );
    assert_eq!(failed.last_error.as_deref(), Some("550 mailbox unavailable"));
    assert!(
        repo::lease(&mut conn, t0() + Duration::seconds(39), hold, 10)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        repo::lease(&mut conn, retry_at, retry_at + Duration::seconds(30), 10)
            .unwrap()
            .len(),
        1
    );
    repo::mark_sent(&mut conn, std::slice::from_ref(&now.id), retry_at).unwrap();
    let sent = repo::find(&mut conn, &now.id).unwrap().unwrap();
    assert_eq!(
        (sent.status, sent.attempts, sent.sent_at, sent.last_error),
        (OutboxStatus::Sent, 2, Some(retry_at), None)
    );
    // Sent messages are never taken again; a message without a retry is dead.
    let at = t0() + Duration::minutes(11);
    let due = repo::lease(&mut conn, at, at + Duration::seconds(30), 10).unwrap();
    assert_eq!(due.iter().map(|m| &m.id).collect::<Vec<_>>(), vec![&later.id]);
    repo::mark_failed(&mut conn, &later.id, &"x".repeat(2000), None).unwrap();
    let dead = repo::find(&mut conn, &later.id).unwrap().unwrap();
    assert_eq!((dead.status, dead.attempts), (OutboxStatus::Dead, 1));
    assert_eq!(dead.last_error.unwrap().len(), 500, "errors are kept short");
    assert!(
        repo::lease(&mut conn, at + Duration::days(1), at + Duration::days(2), 10)
            .unwrap()
            .is_empty()
    );
}

/// Two workers, each on its own connection and thread, lease batches of 7 from 300 due messages
/// at once until none is left: every message is taken exactly once.
async fn concurrent_workers_never_take_one_message_twice(backend: Backend) {
    let db = TestDb::new(backend);
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let mut all: Vec<String> = Vec::new();
    for n in 0..300 {
        let m = message(n);
        repo::enqueue(&mut conn, &m).unwrap();
        all.push(m.id);
    }
    drop(conn);
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                let mut conn = pool.get().unwrap();
                let mut taken = Vec::new();
                loop {
                    let batch = repo::lease(&mut conn, t0(), t0() + Duration::minutes(5), 7).unwrap();
                    if batch.is_empty() {
                        return taken;
                    }
                    taken.extend(batch.into_iter().map(|m| m.id));
                }
            })
        })
        .collect();
    let mut taken: Vec<String> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    taken.sort();
    all.sort();
    assert_eq!(taken, all, "each message exactly once");
}

on_both_backends!(
    written_with_the_change_or_not_at_all,
    leases_retries_and_dead_letters,
    concurrent_workers_never_take_one_message_twice,
);
