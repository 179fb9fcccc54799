//! Group commit for the audit events of reads.
//!
//! A durable commit costs an fsync (SQLite with `synchronous=FULL`: about 1,450 a second on the
//! reference machine), so committing each read's event alone would cap audited reads there.
//! One writer thread drains every pending event into a single transaction and then releases
//! all the waiting requests: the response leaves only after its event is durable, and many
//! concurrent reads share one fsync.

use std::sync::mpsc;

use tokio::sync::oneshot;

use super::repo::{self, NewAuditRow};
use crate::db::{self, DbPool};
use crate::error::ApiError;

/// Most rows per transaction; more waiting requests go into the next one.
const MAX_BATCH_ROWS: usize = 5_000;

struct Job {
    rows: Vec<NewAuditRow>,
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

    /// Returns once `rows` are durably committed; 503 if the database cannot take them.
    pub async fn commit(&self, rows: Vec<NewAuditRow>) -> Result<(), ApiError> {
        if rows.is_empty() {
            return Ok(());
        }
        let (done, wait) = oneshot::channel();
        self.tx.send(Job { rows, done }).map_err(|_| ApiError::Unavailable)?;
        match wait.await {
            Ok(true) => Ok(()),
            _ => Err(ApiError::Unavailable),
        }
    }
}

fn writer(pool: DbPool, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut rows_total = first.rows.len();
        let mut jobs = vec![first];
        while rows_total < MAX_BATCH_ROWS {
            match rx.try_recv() {
                Ok(job) => {
                    rows_total += job.rows.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let rows: Vec<NewAuditRow> = jobs.iter_mut().flat_map(|j| std::mem::take(&mut j.rows)).collect();
        let ok = match pool.get() {
            Ok(mut conn) => match db::write_tx(&mut conn, |c| repo::insert(c, &rows)) {
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
    }
}
