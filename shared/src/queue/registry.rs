//! Every queue vteacher consumes, in one list: `vteacher work --queues booking,notify` and the
//! Procfile's process types start workers from here.

use super::{
    Job, QueueKind, Workers, booking::BookingJob, download::DownloadJob, notify::NotifyJob,
};
use crate::app::App;

/// The queues of each process type of the Procfile.
pub const BOOKING_QUEUES: &[&str] = &[BookingJob::QUEUE, NotifyJob::QUEUE];
pub const NODE_QUEUES: &[&str] = &[DownloadJob::QUEUE];
pub const ALL_QUEUES: &[&str] = &[BookingJob::QUEUE, NotifyJob::QUEUE, DownloadJob::QUEUE];

#[derive(Debug, thiserror::Error)]
#[error("unknown queue {0:?}; known queues: {known}", known = ALL_QUEUES.join(", "))]
pub struct UnknownQueue(pub String);

/// Whether `queue` is one per push host (consumed for this process's `NODE_ID`).
pub fn is_per_node(queue: &str) -> Result<bool, UnknownQueue> {
    let kind = match queue {
        BookingJob::QUEUE => BookingJob::KIND,
        NotifyJob::QUEUE => NotifyJob::KIND,
        DownloadJob::QUEUE => DownloadJob::KIND,
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
        DownloadJob::QUEUE => {
            workers.spawn::<DownloadJob>(app, node, app.settings.download_concurrency)
        }
        other => return Err(UnknownQueue(other.to_owned())),
    }
    Ok(())
}
