//! Group commit for the audit events of reads.
//!
//! A durable commit costs an fsync (SQLite with `synchronous=FULL`: about 1,450 a second on the
//! reference machine), so committing each read's event alone would cap audited reads there.
//! One writer thread drains every pending event into a single transaction and then releases
//! all the waiting requests: the response leaves only after its event is durable, and many
//! concurrent reads share one fsync.

use std::sync::mpsc;

use tokio::sync::oneshot;

use super::one_statement;
use super::repo::AuditBatch;
use crate::db::DbPool;
use crate::error::ApiError;

/// Most rows per transaction; more waiting requests go into the next one.
const MAX_BATCH_ROWS: usize = 5_000;

struct Job {
    batch: AuditBatch,
    done: oneshot::Sender<bool>,
}

/// Handle to the writer thread; the thread ends when the last handle is dropped.
pub struct AuditSink {
    tx: mpsc::Sender<Job>,
}

impl AuditSink {
    pub fn start(pool: DbPool) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || writer(pool, rx))?;
        Ok(Self { tx })
    }

    /// Returns once `batch` is durably committed; 503 if the database cannot take it.
    pub async fn commit(&self, batch: AuditBatch) -> Result<(), ApiError> {
        if batch.is_empty() {
            return Ok(());
        }
        let (done, wait) = oneshot::channel();
        self.tx.send(Job { batch, done }).map_err(|_| ApiError::Unavailable)?;
        match wait.await {
            Ok(true) => Ok(()),
            _ => Err(ApiError::Unavailable),
        }
    }
}

fn writer(pool: DbPool, rx: mpsc::Receiver<Job>) {
    // Where this writer left the chain: on PostgreSQL a batch sealed after it is one statement.
    let mut head = None;
    while let Ok(first) = rx.recv() {
        let mut rows_total = first.batch.len();
        let mut jobs = vec![first];
        while rows_total < MAX_BATCH_ROWS {
            match rx.try_recv() {
                Ok(job) => {
                    rows_total += job.batch.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let mut rows = AuditBatch::default();
        for job in &mut jobs {
            rows.append(std::mem::take(&mut job.batch));
        }
        let ok = match pool.get() {
            // One transaction per batch: one statement while nobody else appended, else the
            // head locked, the rows inserted, the head moved.
            Ok(mut conn) => match one_statement::append_remembering(&mut conn, &mut head, &rows) {
                Ok(()) => true,
                Err(e) => {
                    tracing::error!(error = %e, rows = rows.len(), "audit batch failed; reads refused");
                    false
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "audit writer has no database connection; reads refused");
                false
            }
        };
        for job in jobs {
            let _ = job.done.send(ok);
        }
        if !ok {
            fail_waiting(&rx);
        }
    }
}

/// Refuses every job that queued while a batch was failing. They have already waited for the
/// database as long as the failed batch did; trying them again would make each wait one more
/// full timeout (seen in the outage test: 4 s answers with a 2 s timeout).
fn fail_waiting(rx: &mpsc::Receiver<Job>) {
    while let Ok(job) = rx.try_recv() {
        let _ = job.done.send(false);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use diesel::r2d2::{self, event::TimeoutEvent};

    use super::*;
    use crate::audit::repo;
    use crate::db::{self, DbUrl};

    /// Counts how many times a checkout gave up waiting for the database.
    #[derive(Debug)]
    struct CountTimeouts(Arc<AtomicUsize>);

    impl r2d2::HandleEvent for CountTimeouts {
        fn handle_timeout(&self, _: TimeoutEvent) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn jobs_queued_behind_a_failed_batch_are_refused_without_another_wait() {
        let timeouts = Arc::new(AtomicUsize::new(0));
        // Nothing listens on port 1: every checkout waits its timeout and fails.
        let pool = r2d2::Pool::builder()
            .max_size(1)
            .min_idle(Some(0))
            .connection_timeout(Duration::from_millis(100))
            .event_handler(Box::new(CountTimeouts(timeouts.clone())))
            .build_unchecked(db::DbManager::new(
                DbUrl::Postgres("postgres://nobody@127.0.0.1:1/none?connect_timeout=1".into()),
                Duration::from_secs(1),
            ));
        let (tx, rx) = mpsc::channel::<Job>();
        // The first job fills a whole batch, so the other two queue behind it, as requests do
        // while a batch waits for a database that is down.
        let mut waits = Vec::new();
        for rows in [MAX_BATCH_ROWS, 1, 1] {
            let (done, wait) = oneshot::channel();
            tx.send(Job {
                batch: AuditBatch {
                    events: vec![repo::sample_row("01"); rows],
                    listed: Vec::new(),
                },
                done,
            })
            .unwrap();
            waits.push(wait);
        }
        drop(tx);
        writer(pool, rx);
        for mut wait in waits {
            assert_eq!(wait.try_recv(), Ok(false), "every job is refused");
        }
        assert_eq!(timeouts.load(Ordering::SeqCst), 1, "only the first batch waited");
    }
}
