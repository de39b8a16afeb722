//! The sweeper: the periodic safety net. It enforces transcode deadlines, re-queues bookings
//! whose job was lost (a crash between a commit and the enqueue after it) and results that
//! were never sent, and drops finished jobs older than `QUEUE_RETENTION` from the SQLite
//! queues.

use shared::{App, booking::sweep, transcode::deadlines};

pub async fn run(app: App) -> anyhow::Result<()> {
    loop {
        sweep_once(&app).await;
        tokio::select! {
            () = tokio::time::sleep(app.settings.sweep_interval.0) => {}
            () = app.shutdown.cancelled() => return Ok(()),
        }
    }
}

pub async fn sweep_once(app: &App) {
    match deadlines::enforce(app).await {
        Ok(0) => {}
        Ok(count) => tracing::warn!(count, "transcodes past their deadline moved on"),
        Err(err) => tracing::warn!(%err, "sweeper: could not enforce transcode deadlines"),
    }
    match sweep::renotify_lost(app).await {
        Ok(0) => {}
        Ok(count) => tracing::warn!(count, "re-queued booking results that were never sent"),
        Err(err) => tracing::warn!(%err, "sweeper: could not look for unsent results"),
    }
    match sweep::requeue_lost(app).await {
        Ok(0) => {}
        Ok(count) => tracing::warn!(count, "re-queued bookings whose job was lost"),
        Err(err) => tracing::warn!(%err, "sweeper: could not look for lost bookings"),
    }
    match app.queues.purge_finished(app.settings.queue_retention.0).await {
        Ok(0) => {}
        Ok(count) => tracing::info!(count, "dropped finished jobs past QUEUE_RETENTION"),
        Err(err) => tracing::warn!(%err, "sweeper: could not drop finished jobs"),
    }
}
