//! Turns the effects a committed transaction left into jobs and alarms. The only place an
//! `Effect` becomes a job.

use super::{BookingJob, DownloadJob, NotifyJob, TranscodeEcsJob, TranscodeOssJob};
use crate::{app::App, domain::Effect, queue::QueueError, tools::alarm};

/// Applies `effects` in order. Call it only after the transaction that decided them has
/// committed.
pub async fn apply(app: &App, effects: Vec<Effect>) -> Result<(), QueueError> {
    let queues = &app.queues;
    for effect in effects {
        match effect {
            Effect::SubmitOss(key) => queues.enqueue(TranscodeOssJob(key), None).await?,
            Effect::SubmitEcs(key) => queues.enqueue(TranscodeEcsJob(key), None).await?,
            Effect::Book(class_id) => queues.enqueue(BookingJob { class_id }, None).await?,
            Effect::Download { class_id, node } => queues.enqueue(DownloadJob { class_id }, Some(&node)).await?,
            Effect::Notify(class_id) => queues.enqueue(NotifyJob { class_id }, None).await?,
            Effect::Alarm { kind, message } => alarm::raise(&app.http, &app.settings, kind, &message).await,
        }
    }
    Ok(())
}
