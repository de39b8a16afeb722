//! Turns the effects a committed transaction left into jobs and alarms. The only place an
//! `Effect` becomes a job.

use super::payloads::{
    BookingJob, ClassEndJob, DownloadJob, NodeReportJob, NotifyJob, ReferencesJob, TranscodeEcsJob, TranscodeOssJob,
};
use crate::{
    app::App,
    config::Settings,
    db::{
        DbError,
        outbox::{self, Stashed},
    },
    domain::Effect,
    node_app::NodeApp,
    tools::alarm,
};
use vteacher_queue::{JobError, QueueError, Queues};

/// Applies `effects` in order. Call it only after the transaction that decided them has
/// committed.
pub async fn apply(app: &App, effects: Vec<Effect>) -> Result<(), QueueError> {
    let effects = send_results(app, effects).await?;
    send(&app.queues, &app.http, &app.settings, effects).await
}

/// Sends the results among `effects` (they need the central side's app); returns the rest.
async fn send_results(app: &App, effects: Vec<Effect>) -> Result<Vec<Effect>, QueueError> {
    let mut rest = Vec::with_capacity(effects.len());
    for effect in effects {
        match effect {
            Effect::SendResult { class_id, result } => super::results::send_claimed(app, class_id, &result).await?,
            other => rest.push(other),
        }
    }
    Ok(rest)
}

/// Sends effects a transaction left in the outbox, then deletes them from it. When the queue
/// refuses, they stay there and the sweeper sends them (`drain_outbox`): the work that decided
/// them is done, so its caller goes on (an API answers, a job completes).
pub async fn apply_stashed(app: &App, stashed: Stashed) {
    if let Err(err) = apply(app, stashed.effects).await {
        tracing::warn!(%err, "effects not sent now; they wait in the outbox for the sweeper");
        return;
    }
    if let Err(err) = outbox::clear(&app.db.conn, &stashed.ids).await {
        // Sent; the sweeper would send them once more (each effect's job is idempotent).
        tracing::warn!(%err, "effects sent, but still in the outbox");
    }
}

/// Sends what the outbox still holds from transactions whose effects were never sent (left
/// longer than two sweeps). Returns how many were sent.
pub async fn drain_outbox(app: &App) -> Result<usize, JobError> {
    let after = (app.settings.sweep_interval.0 * 2).max(std::time::Duration::from_secs(2));
    let mut sent = 0;
    for row in outbox::stale(&app.db.conn, after.as_millis() as i64, 500).await.map_err(DbError::from)? {
        let Some(effect) = outbox::claim(&app.db.conn, &row).await.map_err(DbError::from)? else { continue };
        tracing::warn!(?effect, written_at = row.created_at, "sending an effect left in the outbox");
        send(&app.queues, &app.http, &app.settings, vec![effect]).await?;
        outbox::clear(&app.db.conn, &[row.id]).await.map_err(DbError::from)?;
        sent += 1;
    }
    Ok(sent)
}

/// The same, for a push host's effects (its reports, its own downloads).
pub async fn apply_node(node: &NodeApp, effects: Vec<Effect>) -> Result<(), QueueError> {
    send(&node.queues, &node.http, &node.settings, effects).await
}

async fn send(
    queues: &Queues,
    http: &reqwest::Client,
    settings: &Settings,
    effects: Vec<Effect>,
) -> Result<(), QueueError> {
    for effect in effects {
        match effect {
            Effect::SubmitOss(key) => queues.enqueue(TranscodeOssJob(key), None).await?,
            Effect::SubmitEcs(key) => queues.enqueue(TranscodeEcsJob(key), None).await?,
            Effect::Book(class_id) => queues.enqueue(BookingJob { class_id }, None).await?,
            Effect::Download { node, order } => queues.enqueue(DownloadJob(order), Some(node.as_str())).await?,
            Effect::RestoreReferences { node, orders } => {
                queues.enqueue(ReferencesJob { orders }, Some(node.as_str())).await?
            }
            Effect::EndClass { node, class_id } => {
                queues.enqueue(ClassEndJob { class_id }, Some(node.as_str())).await?
            }
            // A claimed result reaches here only without the central side's app (never: only a
            // ready report leaves one): its notify job sends it once the claim lapses.
            Effect::Notify(class_id) | Effect::SendResult { class_id, .. } => {
                queues.enqueue(NotifyJob { class_id }, None).await?
            }
            Effect::Report(report) => queues.enqueue(NodeReportJob(report), None).await?,
            Effect::Alarm { kind, message } => alarm::raise(http, settings, &kind, &message).await,
        }
    }
    Ok(())
}
