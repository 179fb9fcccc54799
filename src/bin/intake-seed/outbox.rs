//! `intake-seed outbox-rate`: how many messages per second the delivery worker hands to a local
//! receiver. Writes `messages` SMS invitations the way the invitations feature does (one
//! patient, batches of 500 per transaction), then runs `workers` delivery workers, each on its
//! own pool as separate instances would, until none is left.

use std::time::Instant;

use anyhow::Context;
use diesel::prelude::*;

use intake_api::clock;
use intake_api::config::Settings;
use intake_api::db::{self, DbPool};
use intake_api::ids::PatientId;
use intake_api::outreach::invitations::model::{InvitationChannel, InvitationPurpose};
use intake_api::outreach::invitations::service::{LinkSpec, issue};
use intake_api::outreach::message::Template;
use intake_api::outreach::outbox::model::OutboxStatus;
use intake_api::outreach::seal::Sealer;
use intake_api::outreach::worker::Deliverer;
use intake_api::patients::repo as patients;
use intake_api::schema::{outbox, patients as patients_table};

pub fn rate(
    pool: &DbPool,
    make_pool: &dyn Fn() -> anyhow::Result<DbPool>,
    messages: usize,
    workers: usize,
) -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    // It reads a sealed profile (the recipient's phone).
    intake_api::vault::install(settings.data_keys.clone()).map_err(anyhow::Error::msg)?;
    if settings.outreach.sms.is_none() {
        anyhow::bail!("outbox-rate sends SMS: set SMS_WEBHOOK_URL and SMS_WEBHOOK_SECRET");
    }
    let sealer = Sealer::new(settings.jwt_secret_bytes());
    let mut conn = pool.get()?;
    let patient: PatientId = patients_table::table
        .filter(patients_table::phone.is_not_null())
        .select(patients_table::id)
        .first(&mut conn)
        .context("a seeded patient with a phone number")?;
    let patient = patients::find(&mut conn, patient)?.context("patient")?;
    let before: i64 = outbox::table.count().get_result(&mut conn)?;
    let now = clock::now();
    for chunk in (0..messages).collect::<Vec<_>>().chunks(500) {
        db::write_tx(&mut conn, |conn| {
            for _ in chunk {
                let spec = LinkSpec::new(InvitationPurpose::Intake, InvitationChannel::Sms, Template::Invitation);
                issue(conn, &settings.outreach, &sealer, &patient, spec, now)?;
            }
            Ok::<_, intake_api::error::ApiError>(())
        })
        .map_err(|e| anyhow::anyhow!("enqueue: {e}"))?;
    }
    drop(conn);
    let started = Instant::now();
    let threads: Vec<_> = (0..workers)
        .map(|_| -> anyhow::Result<_> {
            let pool = make_pool()?;
            let deliverer = Deliverer::new(&settings)?;
            Ok(std::thread::spawn(move || -> anyhow::Result<(usize, usize)> {
                let mut conn = pool.get()?;
                let (mut sent, mut failed) = (0, 0);
                loop {
                    let done = deliverer.deliver_due(&mut conn, clock::now(), &|| false)?;
                    sent += done.sent;
                    failed += done.failed + done.dead;
                    if done.taken == 0 {
                        return Ok((sent, failed));
                    }
                }
            }))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut per_worker = Vec::new();
    for t in threads {
        per_worker.push(t.join().map_err(|_| anyhow::anyhow!("worker panicked"))??);
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut conn = pool.get()?;
    let sent_rows: i64 = outbox::table
        .filter(outbox::status.eq(OutboxStatus::Sent))
        .count()
        .get_result(&mut conn)?;
    let sent: usize = per_worker.iter().map(|(s, _)| s).sum();
    let failed: usize = per_worker.iter().map(|(_, f)| f).sum();
    println!(
        "{{\"messages\": {messages}, \"workers\": {workers}, \"sent\": {sent}, \"failed\": {failed}, \"sent_rows\": {}, \"seconds\": {seconds:.3}, \"per_second\": {:.1}, \"per_worker\": {:?}}}",
        sent_rows - before.min(sent_rows),
        sent as f64 / seconds,
        per_worker.iter().map(|(s, _)| *s).collect::<Vec<_>>()
    );
    Ok(())
}
