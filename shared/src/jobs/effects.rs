//! Turns the effects a committed transaction left into jobs and alarms. The only place an
//! `Effect` becomes a job.

use super::{BookingJob, ClassEndJob, DownloadJob, NodeReportJob, NotifyJob, TranscodeEcsJob, TranscodeOssJob};
use crate::{
    app::App,
    config::Settings,
    domain::Effect,
    node_app::NodeApp,
    queue::{QueueError, Queues},
    tools::alarm,
};

/// Applies `effects` in order. Call it only after the transaction that decided them has
/// committed.
pub async fn apply(app: &App, effects: Vec<Effect>) -> Result<(), QueueError> {
    send(&app.queues, &app.http, &app.settings, effects).await
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
            Effect::Download { node, order } => queues.enqueue(DownloadJob(order), Some(&node)).await?,
            Effect::EndClass { node, class_id } => queues.enqueue(ClassEndJob { class_id }, Some(&node)).await?,
            Effect::Notify(class_id) => queues.enqueue(NotifyJob { class_id }, None).await?,
            Effect::Report(report) => queues.enqueue(NodeReportJob(report), None).await?,
            Effect::Alarm { kind, message } => alarm::raise(http, settings, kind, &message).await,
        }
    }
    Ok(())
}
