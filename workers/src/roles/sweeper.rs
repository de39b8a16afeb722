//! The sweeper: the periodic safety net. Today it re-queues bookings whose decision job was
//! lost (a crash between storing the booking and queueing its job) and drops finished jobs
//! older than `QUEUE_RETENTION` from the SQLite queues.

use std::time::Duration;

use shared::{App, booking::sweep};

const EVERY: Duration = Duration::from_secs(30);

pub async fn run(app: App) -> anyhow::Result<()> {
    loop {
        sweep_once(&app).await;
        tokio::select! {
            () = tokio::time::sleep(EVERY) => {}
            () = app.shutdown.cancelled() => return Ok(()),
        }
    }
}

pub async fn sweep_once(app: &App) {
    match sweep::requeue_lost(app).await {
        Ok(0) => {}
        Ok(count) => tracing::warn!(count, "re-queued bookings whose job was lost"),
        Err(err) => tracing::warn!(%err, "sweeper: could not look for lost bookings"),
    }
    match app
        .queues
        .purge_finished(app.settings.queue_retention.0)
        .await
    {
        Ok(0) => {}
        Ok(count) => tracing::info!(count, "dropped finished jobs past QUEUE_RETENTION"),
        Err(err) => tracing::warn!(%err, "sweeper: could not drop finished jobs"),
    }
}
