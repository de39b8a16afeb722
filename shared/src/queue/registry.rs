//! Every queue vteacher consumes, in one list: `vteacher work --queues booking,notify` and the
//! Procfile's process types start workers from here.

use super::{
    Job, QueueKind, Workers, booking::BookingJob, download::DownloadJob, notify::NotifyJob,
    transcode_ecs::TranscodeEcsJob, transcode_oss::TranscodeOssJob, transcode_result::TranscodeResultJob,
};
use crate::app::App;

/// The queues of each process type of the Procfile.
pub const BOOKING_QUEUES: &[&str] = &[BookingJob::QUEUE, TranscodeResultJob::QUEUE, NotifyJob::QUEUE];
pub const TRANSCODE_QUEUES: &[&str] = &[TranscodeOssJob::QUEUE, TranscodeEcsJob::QUEUE];
pub const NODE_QUEUES: &[&str] = &[DownloadJob::QUEUE];
pub const ALL_QUEUES: &[&str] = &[
    BookingJob::QUEUE,
    TranscodeResultJob::QUEUE,
    NotifyJob::QUEUE,
    TranscodeOssJob::QUEUE,
    TranscodeEcsJob::QUEUE,
    DownloadJob::QUEUE,
];

#[derive(Debug, thiserror::Error)]
#[error("unknown queue {0:?}; known queues: {known}", known = ALL_QUEUES.join(", "))]
pub struct UnknownQueue(pub String);

/// Whether `queue` is one per push host (consumed for this process's `NODE_ID`).
pub fn is_per_node(queue: &str) -> Result<bool, UnknownQueue> {
    let kind = match queue {
        BookingJob::QUEUE => BookingJob::KIND,
        NotifyJob::QUEUE => NotifyJob::KIND,
        DownloadJob::QUEUE => DownloadJob::KIND,
        TranscodeOssJob::QUEUE => TranscodeOssJob::KIND,
        TranscodeEcsJob::QUEUE => TranscodeEcsJob::KIND,
        TranscodeResultJob::QUEUE => TranscodeResultJob::KIND,
        other => return Err(UnknownQueue(other.to_owned())),
    };
    Ok(kind == QueueKind::PerNode)
}

/// Starts the worker of `queue` (a per-node queue on this process's `NODE_ID`).
pub fn spawn(workers: &mut Workers, app: &App, queue: &str) -> Result<(), UnknownQueue> {
    let node = Some(&app.settings.node_id);
    match queue {
        BookingJob::QUEUE => workers.spawn::<BookingJob>(app, None, 8),
        NotifyJob::QUEUE => workers.spawn::<NotifyJob>(app, None, 8),
        DownloadJob::QUEUE => workers.spawn::<DownloadJob>(app, node, app.settings.download_concurrency),
        // Waiting on the cloud is cheap: many at once.
        TranscodeOssJob::QUEUE => workers.spawn::<TranscodeOssJob>(app, None, 16),
        TranscodeEcsJob::QUEUE => workers.spawn::<TranscodeEcsJob>(app, None, app.settings.transcode_concurrency),
        TranscodeResultJob::QUEUE => workers.spawn::<TranscodeResultJob>(app, None, 4),
        other => return Err(UnknownQueue(other.to_owned())),
    }
    Ok(())
}
