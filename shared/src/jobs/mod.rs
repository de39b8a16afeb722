//! The jobs: one file per job, and the one list that registers them all (`JOBS`): each job's
//! queue, whether it is per node, its concurrency (`Job::concurrency`) and its place on the
//! dashboard (the list's order). `vteacher work --queues …`, `vteacher all`, the dashboard and
//! `vteacher queue …` all read this list. Domain code never enqueues: it returns `Effect`s,
//! and `apply` here turns them into jobs after their transaction has committed.
//!
//! Adding a job: a file here with the struct and its `impl Job`, and one line in `JOBS`.

mod booking;
mod dashboard;
mod download;
mod effects;
mod notify;
mod transcode_ecs;
mod transcode_oss;
mod transcode_result;

pub use booking::{BookingJob, IntakeError, submit};
pub use dashboard::{board_api, known_nodes};
pub use download::DownloadJob;
pub use effects::apply;
pub use notify::NotifyJob;
pub use transcode_ecs::TranscodeEcsJob;
pub use transcode_oss::TranscodeOssJob;
pub use transcode_result::{TranscodeResultJob, emit};

use apalis_board::axum::framework::ApiBuilder;
use axum::Router;

use crate::{
    app::App,
    domain::NodeId,
    queue::{Job, QueueKind, Queues, Workers},
};

/// One job type as the processes and the dashboard see it.
pub struct Registration {
    pub queue: &'static str,
    pub kind: QueueKind,
    /// The job's Rust type, so a test can check that no job is missing from the list.
    pub type_name: fn() -> &'static str,
    spawn: fn(&mut Workers, &App, Option<&NodeId>),
    show: fn(ApiBuilder<Router>, &Queues, Option<&NodeId>) -> ApiBuilder<Router>,
}

impl Registration {
    const fn of<J: Job<Context = App>>() -> Self {
        Self { queue: J::QUEUE, kind: J::KIND, type_name: std::any::type_name::<J>, spawn: spawn::<J>, show: show::<J> }
    }

    pub fn is_per_node(&self) -> bool {
        self.kind == QueueKind::PerNode
    }
}

fn show<J: Job>(api: ApiBuilder<Router>, queues: &Queues, node: Option<&NodeId>) -> ApiBuilder<Router> {
    queues.show_on_board::<J>(api, node)
}

fn spawn<J: Job<Context = App>>(workers: &mut Workers, app: &App, node: Option<&NodeId>) {
    workers.spawn::<J>(&app.queues, app.clone(), node, J::concurrency(&app.settings));
}

/// Every job vteacher runs, in the dashboard's order.
pub const JOBS: &[Registration] = &[
    Registration::of::<BookingJob>(),
    Registration::of::<TranscodeResultJob>(),
    Registration::of::<NotifyJob>(),
    Registration::of::<TranscodeOssJob>(),
    Registration::of::<TranscodeEcsJob>(),
    Registration::of::<DownloadJob>(),
];

#[derive(Debug, thiserror::Error)]
#[error("unknown queue {0:?}; known queues: {known}", known = queue_names().join(", "))]
pub struct UnknownQueue(pub String);

/// The names `vteacher work --queues` takes, in the list's order.
pub fn queue_names() -> Vec<&'static str> {
    JOBS.iter().map(|job| job.queue).collect()
}

/// The registration of the queue named `queue` (its base name: `booking`, `download`).
pub fn find(queue: &str) -> Result<&'static Registration, UnknownQueue> {
    JOBS.iter().find(|job| job.queue == queue).ok_or_else(|| UnknownQueue(queue.to_owned()))
}

/// Starts the worker of `queue` (a per-node queue on this process's `NODE_ID`).
pub fn spawn_worker(workers: &mut Workers, app: &App, queue: &str) -> Result<(), UnknownQueue> {
    let job = find(queue)?;
    let node = job.is_per_node().then_some(&app.settings.node_id);
    (job.spawn)(workers, app, node);
    Ok(())
}

#[cfg(test)]
mod tests;
