//! The jobs: one file per job, and the one list that registers them all (`JOBS`): each job's
//! queue, whether it is a push host's (per node) or the central side's, its concurrency
//! (`Job::concurrency`) and its place on the dashboard (the list's order). `vteacher work
//! --queues …`, `vteacher all`, the dashboard and `vteacher queue …` all read this list.
//! Domain code never enqueues: it returns `Effect`s, and `apply` here turns them into jobs
//! after their transaction has committed.
//!
//! Adding a job: a file here with the struct and its `impl Job`, and one line in `JOBS`.

mod booking;
mod class_end;
mod dashboard;
mod download;
mod effects;
mod families;
mod node_report;
mod notify;
mod transcode_ecs;
mod transcode_oss;
mod transcode_result;

pub use booking::{BookingJob, IntakeError, end_class, submit};
pub use class_end::ClassEndJob;
pub use dashboard::{board_api, board_queues, known_nodes};
pub use download::{DownloadJob, evicted};
pub use effects::{apply, apply_node, apply_stashed, drain_outbox};
pub use families::register_metric_families;
pub use node_report::NodeReportJob;
pub use notify::NotifyJob;
pub use transcode_ecs::TranscodeEcsJob;
pub use transcode_oss::TranscodeOssJob;
pub use transcode_result::{TranscodeResultJob, emit};

use apalis_board::axum::framework::ApiBuilder;
use axum::Router;

use crate::{
    app::App,
    domain::NodeId,
    node_app::NodeApp,
    queue::{Job, QueueKind, Queues, Workers},
};

/// What a process built: the central side (`App`), a push host (`NodeApp`), or both.
#[derive(Clone, Default)]
pub struct Contexts {
    pub app: Option<App>,
    pub node: Option<NodeApp>,
}

#[derive(Debug, thiserror::Error)]
#[error("queue {queue} needs the {side} side, which this process did not start")]
pub struct MissingSide {
    queue: &'static str,
    side: &'static str,
}

/// One job type as the processes and the dashboard see it.
pub struct Registration {
    pub queue: &'static str,
    pub kind: QueueKind,
    /// The job's Rust type, so a test can check that no job is missing from the list.
    pub type_name: fn() -> &'static str,
    spawn: fn(&mut Workers, &Contexts) -> Result<(), MissingSide>,
    show: fn(ApiBuilder<Router>, &Queues, Option<&NodeId>) -> ApiBuilder<Router>,
}

impl Registration {
    /// A job of the central side: its handler gets the `App`, on a shared queue.
    const fn central<J: Job<Context = App>>() -> Self {
        assert!(matches!(J::KIND, QueueKind::Shared), "a central job runs on a shared queue");
        Self {
            queue: J::QUEUE,
            kind: J::KIND,
            type_name: std::any::type_name::<J>,
            spawn: spawn_central::<J>,
            show: show::<J>,
        }
    }

    /// A push host's job: its handler gets the `NodeApp`, on the node's own queue.
    const fn node<J: Job<Context = NodeApp>>() -> Self {
        assert!(matches!(J::KIND, QueueKind::PerNode), "a push host's job runs on a per-node queue");
        Self {
            queue: J::QUEUE,
            kind: J::KIND,
            type_name: std::any::type_name::<J>,
            spawn: spawn_node::<J>,
            show: show::<J>,
        }
    }

    pub fn is_per_node(&self) -> bool {
        self.kind == QueueKind::PerNode
    }
}

fn show<J: Job>(api: ApiBuilder<Router>, queues: &Queues, node: Option<&NodeId>) -> ApiBuilder<Router> {
    queues.show_on_board::<J>(api, node)
}

fn spawn_central<J: Job<Context = App>>(workers: &mut Workers, contexts: &Contexts) -> Result<(), MissingSide> {
    let app = contexts.app.as_ref().ok_or(MissingSide { queue: J::QUEUE, side: "central" })?;
    workers.spawn::<J>(&app.queues, app.clone(), None, J::concurrency(&app.settings));
    Ok(())
}

fn spawn_node<J: Job<Context = NodeApp>>(workers: &mut Workers, contexts: &Contexts) -> Result<(), MissingSide> {
    let node = contexts.node.as_ref().ok_or(MissingSide { queue: J::QUEUE, side: "push host" })?;
    workers.spawn::<J>(&node.queues, node.clone(), Some(&node.settings.node_id), J::concurrency(&node.settings));
    Ok(())
}

/// Every job vteacher runs, in the dashboard's order.
pub const JOBS: &[Registration] = &[
    Registration::central::<BookingJob>(),
    Registration::central::<TranscodeResultJob>(),
    Registration::central::<NotifyJob>(),
    Registration::central::<NodeReportJob>(),
    Registration::central::<TranscodeOssJob>(),
    Registration::central::<TranscodeEcsJob>(),
    Registration::node::<DownloadJob>(),
    Registration::node::<ClassEndJob>(),
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

/// Why a worker could not start.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error(transparent)]
    Unknown(#[from] UnknownQueue),
    #[error(transparent)]
    Missing(#[from] MissingSide),
}

/// Starts the worker of `queue` (a per-node queue on this process's `NODE_ID`).
pub fn spawn_worker(workers: &mut Workers, contexts: &Contexts, queue: &str) -> Result<(), SpawnError> {
    (find(queue)?.spawn)(workers, contexts)?;
    Ok(())
}

#[cfg(test)]
mod tests;
