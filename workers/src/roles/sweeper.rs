//! The sweeper: the periodic safety net. It enforces transcode deadlines, ends classes past
//! their `class_end_at` (the automatic end), places again bookings whose node has been away for
//! `NODE_WAIT` (or fails those that named it), derives again every job that was lost (a crash
//! between a commit and the enqueue after it, a Redis that lost its data): decisions, downloads,
//! results, class ends no node acknowledged, ecs transcodes whose job went silent; and drops
//! finished jobs past `QUEUE_RETENTION` or `QUEUE_RETENTION_COUNT` from the SQLite queues. Each repair is an effect
//! the domain finds, sent on here after its commit.

use shared::{
    App,
    booking::{class_end, sweep},
    db::{DbError, now_ms},
    domain::Effect,
    jobs,
    transcode::{deadlines, lost},
};
use vteacher_queue::JobError;

pub(super) async fn run(app: App) -> anyhow::Result<()> {
    loop {
        sweep_once(&app).await;
        tokio::select! {
            () = tokio::time::sleep(app.settings.sweep_interval.0) => {}
            () = app.shutdown.cancelled() => return Ok(()),
        }
    }
}

pub(super) async fn sweep_once(app: &App) {
    match enforce_deadlines(app).await {
        Ok(0) => {}
        Ok(count) => tracing::warn!(count, "transcodes past their deadline moved on"),
        Err(err) => tracing::warn!(%err, "sweeper: could not enforce transcode deadlines"),
    }
    let lost_after = app.settings.sweep_interval.0 * sweep::LOST_AFTER_SWEEPS;
    let live_for = app.settings.node_live_for();
    match requeue(app, sweep::lost_downloads(&app.db, &app.directory, lost_after, live_for).await).await {
        Ok(0) => {}
        Ok(count) => tracing::warn!(count, "downloads their node never heard of sent again"),
        Err(err) => tracing::warn!(%err, "sweeper: could not look for lost downloads"),
    }
    match requeue(app, class_end::unacknowledged(&app.db, &app.directory, lost_after, live_for).await).await {
        Ok(0) => {}
        Ok(count) => tracing::warn!(count, "class ends their node never acknowledged sent again"),
        Err(err) => tracing::warn!(%err, "sweeper: could not look for unacknowledged class ends"),
    }
    let silent =
        lost::silent_ecs(&app.db, lost_after).await.map(|keys| keys.into_iter().map(Effect::SubmitEcs).collect());
    match requeue(app, silent).await {
        Ok(0) => {}
        Ok(count) => tracing::warn!(count, "ecs transcodes whose job went silent submitted again"),
        Err(err) => tracing::warn!(%err, "sweeper: could not look for silent ecs transcodes"),
    }
    match requeue(app, sweep::unsent_results(&app.db, lost_after).await).await {
        Ok(0) => {}
        Ok(count) => tracing::warn!(count, "re-queued booking results that were never sent"),
        Err(err) => tracing::warn!(%err, "sweeper: could not look for unsent results"),
    }
    match end_due_classes(app).await {
        Ok(0) => {}
        Ok(count) => tracing::info!(count, "classes ended at their class_end_at"),
        Err(err) => tracing::warn!(%err, "sweeper: could not end classes past their class_end_at"),
    }
    let (live_for, node_wait) = (app.settings.node_live_for(), app.settings.node_wait.0);
    match requeue(app, sweep::stranded(&app.db, &app.directory, live_for, node_wait).await).await {
        Ok(0) => {}
        Ok(count) => tracing::warn!(count, "bookings whose node stayed away for NODE_WAIT placed again or failed"),
        Err(err) => tracing::warn!(%err, "sweeper: could not look for bookings on nodes that went away"),
    }
    match jobs::drain_outbox(app).await {
        Ok(0) => {}
        Ok(count) => {
            tracing::warn!(count, "sent effects left in the outbox (a crash or a refused enqueue after a commit)")
        }
        Err(err) => tracing::warn!(%err, "sweeper: could not drain the outbox"),
    }
    match requeue(app, sweep::lost_decisions(&app.db, lost_after).await).await {
        Ok(0) => {}
        Ok(count) => tracing::warn!(count, "re-queued bookings whose job was lost"),
        Err(err) => tracing::warn!(%err, "sweeper: could not look for lost bookings"),
    }
    let (retention, keep) = (app.settings.queue_retention.0, app.settings.queue_retention_count);
    match app.queues.purge_finished(retention, keep).await {
        Ok(0) => {}
        Ok(count) => tracing::info!(count, "dropped finished jobs past QUEUE_RETENTION or QUEUE_RETENTION_COUNT"),
        Err(err) => tracing::warn!(%err, "sweeper: could not drop finished jobs"),
    }
}

/// Moves on every transcode past its deadline, each in its own transaction, its effects sent
/// on right after its commit. Returns how many moved.
async fn enforce_deadlines(app: &App) -> Result<usize, JobError> {
    let now = now_ms();
    let mut moved = 0;
    for key in deadlines::due(&app.db, now).await.map_err(DbError::from)? {
        if let Some(effects) = deadlines::enforce(&app.db, &app.settings, key, now).await.map_err(DbError::from)? {
            jobs::apply_stashed(app, effects).await;
            moved += 1;
        }
    }
    Ok(moved)
}

/// The automatic end (自动下课) of every class past its `class_end_at`.
async fn end_due_classes(app: &App) -> Result<usize, JobError> {
    let due = sweep::classes_to_end(&app.db).await.map_err(DbError::from)?;
    for class_id in &due {
        jobs::end_class(app, class_id).await.map_err(JobError::retry)?;
    }
    Ok(due.len())
}

async fn requeue(app: &App, found: Result<Vec<Effect>, sea_orm::DbErr>) -> Result<usize, JobError> {
    let effects = found.map_err(DbError::from)?;
    let count = effects.len();
    jobs::apply(app, effects).await?;
    Ok(count)
}
