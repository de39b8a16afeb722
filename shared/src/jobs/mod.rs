//! The jobs: one file per job, and the one list that registers them all (`JOBS`): each job's
//! queue, whether it is a push host's (per node) or the central side's, how many one worker
//! runs at once, and its place on the dashboard (the list's order). `vteacher work
//! --queues …`, `vteacher all`, the dashboard and `vteacher queue …` all read this list.
//! Domain code never enqueues: it returns `Effect`s, and `apply` here turns them into jobs
//! after their transaction has committed.
//!
//! Adding a job: a file here with the struct and its `impl Job`, and one line in `JOBS`.

mod acl;
mod booking;
mod class_end;
mod dashboard;
mod download;
mod effects;
mod families;
mod node_report;
mod notify;
mod payloads;
mod references;
mod results;
mod retry_notice;
mod transcode_ecs;
mod transcode_oss;
mod transcode_result;

pub use acl::{node_acl, node_user};
pub use booking::{IntakeError, end_class, submit};
pub use dashboard::{board_api, board_queue_api, board_queues};
pub use download::evicted;
pub use effects::{apply, apply_node, apply_stashed, drain_outbox};
pub use families::register_metric_families;
pub use payloads::{
    BookingJob, ClassEndJob, DownloadJob, NodeReportJob, NotifyJob, ReferencesJob, TranscodeEcsJob, TranscodeOssJob,
    TranscodeResultJob,
};
pub use transcode_result::emit;

use std::sync::Arc;

use apalis_board::axum::framework::ApiBuilder;
use axum::Router;

use crate::{app::App, config::Settings, domain::NodeId, node_app::NodeApp};
use vteacher_queue::{Job, QueueKind, Queues, Workers};

/// What a process built: the central side (`App`), a push host (`NodeApp`), or both.
#[derive(Clone, Default)]
pub struct Contexts {
    pub app: Option<App>,
    pub node: Option<NodeApp>,
}

impl Contexts {
    /// This process's settings (both sides, when it runs both, were built from the same).
    pub fn settings(&self) -> Option<&Settings> {
        self.app.as_ref().map(|app| &app.settings).or_else(|| self.node.as_ref().map(|node| &node.settings))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("queue {queue} needs the {side} side, which this process did not start")]
pub struct MissingSide {
    queue: &'static str,
    side: &'static str,
}

/// How many jobs of a queue one worker runs at once, from the settings.
type Concurrency = fn(&Settings) -> usize;

/// Registers a job's queue (on a node, for a per-node job) on the dashboard, the queues its
/// lists show given.
type Show = fn(ApiBuilder<Router>, &Queues, Option<&NodeId>, &Arc<[String]>) -> ApiBuilder<Router>;

/// One job type as the processes and the dashboard see it.
pub struct Registration {
    pub queue: &'static str,
    pub kind: QueueKind,
    /// The job's Rust type, so a test can check that no job is missing from the list.
    pub type_name: fn() -> &'static str,
    pub concurrency: Concurrency,
    spawn: fn(&mut Workers, &Contexts, usize) -> Result<(), MissingSide>,
    show: Show,
}

impl Registration {
    /// A job of the central side: its handler gets the `App`, on a shared queue.
    const fn central<J: Job<Context = App>>(concurrency: Concurrency) -> Self {
        assert!(matches!(J::KIND, QueueKind::Shared), "a central job runs on a shared queue");
        Self {
            queue: J::QUEUE,
            kind: J::KIND,
            type_name: std::any::type_name::<J>,
            concurrency,
            spawn: spawn_central::<J>,
            show: show::<J>,
        }
    }

    /// A push host's job: its handler gets the `NodeApp`, on the node's own queue.
    const fn node<J: Job<Context = NodeApp>>(concurrency: Concurrency) -> Self {
        assert!(matches!(J::KIND, QueueKind::PerNode), "a push host's job runs on a per-node queue");
        Self {
            queue: J::QUEUE,
            kind: J::KIND,
            type_name: std::any::type_name::<J>,
            concurrency,
            spawn: spawn_node::<J>,
            show: show::<J>,
        }
    }

    pub fn is_per_node(&self) -> bool {
        self.kind == QueueKind::PerNode
    }
}

fn show<J: Job>(
    api: ApiBuilder<Router>,
    queues: &Queues,
    node: Option<&NodeId>,
    listed: &Arc<[String]>,
) -> ApiBuilder<Router> {
    queues.show_on_board::<J>(api, node.map(NodeId::as_str), listed)
}

fn spawn_central<J: Job<Context = App>>(
    workers: &mut Workers,
    contexts: &Contexts,
    concurrency: usize,
) -> Result<(), MissingSide> {
    let app = contexts.app.as_ref().ok_or(MissingSide { queue: J::QUEUE, side: "central" })?;
    workers.spawn::<J>(&app.queues, app.clone(), None, concurrency);
    Ok(())
}

fn spawn_node<J: Job<Context = NodeApp>>(
    workers: &mut Workers,
    contexts: &Contexts,
    concurrency: usize,
) -> Result<(), MissingSide> {
    let node = contexts.node.as_ref().ok_or(MissingSide { queue: J::QUEUE, side: "push host" })?;
    workers.spawn::<J>(&node.queues, node.clone(), Some(node.settings.node_id.as_str()), concurrency);
    Ok(())
}

/// Every job vteacher runs, in the dashboard's order, each with how many one worker runs at
/// once. Short jobs that mostly wait on the database or Redis run 8 at a time; a transcode
/// (ffmpeg, a whole core) and a download (a share of the host's bandwidth) as configured.
pub const JOBS: &[Registration] = &[
    Registration::central::<BookingJob>(|_| 8),
    Registration::central::<TranscodeResultJob>(|_| 4),
    Registration::central::<NotifyJob>(|_| 8),
    Registration::central::<NodeReportJob>(|_| 8),
    // Submitting to the cloud and polling it: waiting on the network, so many at once.
    Registration::central::<TranscodeOssJob>(|_| 16),
    Registration::central::<TranscodeEcsJob>(|settings| settings.transcode_concurrency),
    Registration::node::<DownloadJob>(|settings| settings.download_concurrency),
    Registration::node::<ClassEndJob>(|_| 8),
    // One answer at a time: each releases the hold on eviction once its classes are attached.
    Registration::node::<ReferencesJob>(|_| 1),
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

/// Starts the worker of `queue` (a per-node queue on this process's `NODE_ID`), running as many
/// at once as its registration says.
pub fn spawn_worker(workers: &mut Workers, contexts: &Contexts, queue: &str) -> Result<(), SpawnError> {
    let job = find(queue)?;
    let settings = contexts.settings().ok_or(MissingSide { queue: job.queue, side: "central or push host" })?;
    (job.spawn)(workers, contexts, (job.concurrency)(settings))?;
    Ok(())
}

#[cfg(test)]
mod tests;
