//! Runs workers and watches them: a unique name per worker and process start, leases renewed
//! while the worker holds its jobs (on Redis by a task of the worker's own, `redisq/renew.rs`),
//! and one rule for the process: if any worker's backend
//! stream dies, every worker stops and the process exits non-zero (a Procfile runner or
//! systemd restarts it) rather than idling while the queue fills.

use std::time::Duration;

use apalis::prelude::WorkerBuilderExt;
use apalis_core::{backend::ext::BackendExt, error::WorkerError, worker::builder::WorkerBuilder};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{
    backend::{Backend, Lease, Queues, sqlite_storage},
    job::Job,
    runner::{Runner, handle},
};

/// How often an idle SQLite worker asks for work (Redis workers wait on a signal instead).
const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// Jobs a fetch-ahead worker (`Job::FETCH_AHEAD`) takes beyond its concurrency.
pub const FETCH_AHEAD_JOBS: usize = 100;

/// The batch a Redis worker fetches: its concurrency, and more for a queue of short jobs.
pub fn fetch_batch(concurrency: usize, fetch_ahead: bool) -> usize {
    if fetch_ahead { concurrency + FETCH_AHEAD_JOBS } else { concurrency }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkersError {
    #[error("worker {worker} stopped: {reason}")]
    Died { worker: String, reason: String },
}

/// The workers of one process.
pub struct Workers {
    tasks: JoinSet<(String, Result<(), WorkerError>)>,
    shutdown: CancellationToken,
}

impl Workers {
    pub fn new(shutdown: CancellationToken) -> Self {
        Self { tasks: JoinSet::new(), shutdown }
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Starts a worker for `J`'s queue (on `node`'s queue for per-node jobs) running up to
    /// `concurrency` jobs at once, each handed `ctx`.
    pub fn spawn<J: Job>(&mut self, queues: &Queues, ctx: J::Context, node: Option<&str>, concurrency: usize) {
        let queue = queues.name_of::<J>(node);
        let name = format!("{queue}@{}", uuid::Uuid::new_v4().simple());
        let lease = Lease { lease: queues.tuning.lease, batch: concurrency };
        let stop = self.shutdown.clone();
        let stop_when_cancelled = move |ctx: apalis_core::worker::context::WorkerContext| {
            let stop = stop.clone();
            async move {
                stop.cancelled().await;
                ctx.stop()
            }
        };
        tracing::info!(worker = %name, queue, concurrency, backend = queues.backend_name(), "worker starting");
        let runner = Runner {
            ctx,
            attempts: queues.tuning.attempts,
            backoff: queues.tuning.backoff,
            backend_retries: queues.backend_retries(),
            dependency_wait: queues.tuning.dependency_wait,
            wait_cap: queues.tuning.lease,
            shutdown: self.shutdown.clone(),
        };
        let worker_name = name.clone();
        // The same worker over either backend's storage type.
        macro_rules! spawn_on {
            ($storage:expr) => {{
                let worker = WorkerBuilder::new(name.as_str())
                    .backend($storage)
                    .data(runner)
                    .concurrency(concurrency)
                    .build(handle::<J>);
                self.tasks.spawn(async move { (worker_name, worker.run_with_ctx(stop_when_cancelled).await) });
            }};
        }
        match &queues.backend {
            Backend::Redis { conn, client, hub } => {
                let batch = fetch_batch(concurrency, J::FETCH_AHEAD);
                let storage = queues.redis_queue::<J>(conn, &queue, batch).prefetching(J::FETCH_AHEAD);
                let wake = storage.wake_stream_on(hub, client.clone());
                spawn_on!(storage.poll_with_stream(wake))
            }
            Backend::Sqlite(pool) => {
                spawn_on!(sqlite_storage::<J>(pool, &queue, Some(lease)).poll_with_interval(POLL_INTERVAL))
            }
        }
    }

    /// Waits until shutdown is asked (then drains for at most `drain`) or a worker dies (then
    /// stops the others and reports it). While a Redis worker drains, its lease renewer keeps
    /// its jobs' leases; on SQLite heartbeats stop, hence the bound `config::validate` sets.
    pub async fn run(mut self, drain: Duration) -> Result<(), WorkersError> {
        let mut failure = None;
        let drain_deadline = async {
            self.shutdown.cancelled().await;
            tokio::time::sleep(drain).await;
        };
        tokio::pin!(drain_deadline);
        loop {
            tokio::select! {
                joined = self.tasks.join_next() => {
                    let Some(joined) = joined else { break };
                    let (worker, result) = joined.unwrap_or_else(|e| ("(unknown)".into(), Err(WorkerError::PanicError(e.to_string()))));
                    let reason = match result {
                        Ok(()) if self.shutdown.is_cancelled() => continue,
                        Ok(()) => "its backend stream ended".to_owned(),
                        Err(e) => e.to_string(),
                    };
                    tracing::error!(worker, reason, "worker died; stopping every worker");
                    failure.get_or_insert(WorkersError::Died { worker, reason });
                    self.shutdown.cancel();
                }
                () = &mut drain_deadline => {
                    tracing::warn!(running = self.tasks.len(), "drain timed out; running jobs return to the queue when their lease expires");
                    self.tasks.abort_all();
                    break;
                }
            }
        }
        failure.map_or(Ok(()), Err)
    }
}
