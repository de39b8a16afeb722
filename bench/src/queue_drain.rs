//! What every contender of `vteacher-bench queue` shares: the no-op job and its progress, a
//! run's outcome, and waiting for a backlog to be drained.

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::{Duration, Instant},
};

use apalis_core::{
    error::{BoxDynError, WorkerError},
    task::data::Data,
    worker::context::WorkerContext,
};
use tokio::{sync::Notify, task::JoinHandle};
use tokio_util::sync::CancellationToken;

use crate::own_redis::Usage;

/// No progress for this long: the contender is reported as stalled.
const STALL: Duration = Duration::from_secs(30);

/// Jobs the handlers have run, and a wake-up when they reach the target.
#[derive(Default)]
pub(crate) struct Progress {
    done: AtomicU64,
    target: AtomicU64,
    reached: Notify,
}

impl Progress {
    pub(crate) fn new(target: u64) -> Arc<Self> {
        Arc::new(Self { target: AtomicU64::new(target), ..Self::default() })
    }
}

/// The no-op job: counts itself.
pub(crate) async fn noop(_job: u64, progress: Data<Arc<Progress>>) -> Result<(), BoxDynError> {
    if progress.done.fetch_add(1, Relaxed) + 1 == progress.target.load(Relaxed) {
        progress.reached.notify_one();
    }
    Ok(())
}

pub(crate) enum Outcome {
    Drained(Duration),
    Failed(String),
}

pub(crate) struct Run {
    pub who: String,
    pub backlog: u64,
    pub concurrency: usize,
    pub outcome: Outcome,
    pub usage: Usage,
}

impl Run {
    pub(crate) fn jobs_per_sec(&self) -> Option<f64> {
        match self.outcome {
            Outcome::Drained(took) => Some(self.backlog as f64 / took.as_secs_f64()),
            Outcome::Failed(_) => None,
        }
    }
}

/// Stops a worker run with `run_with_ctx` when `stop` is cancelled.
pub(crate) async fn stopped(stop: CancellationToken, ctx: WorkerContext) -> Result<(), WorkerError> {
    stop.cancelled().await;
    ctx.stop()
}

/// Stops a worker and waits (a little) for it to hand back what it holds.
pub(crate) async fn finish(stop: CancellationToken, mut worker: JoinHandle<Result<(), WorkerError>>) {
    stop.cancel();
    if !worker.is_finished() && tokio::time::timeout(Duration::from_secs(10), &mut worker).await.is_err() {
        worker.abort();
    }
}

/// Waits until the handlers have run `target` jobs and Redis counts them done; a worker that
/// stops or makes no progress for `STALL` is the outcome instead.
pub(crate) async fn drain<F, Fut>(
    progress: &Progress,
    target: u64,
    worker: &mut JoinHandle<Result<(), WorkerError>>,
    started: Instant,
    mut done_in_redis: F,
) -> Outcome
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<u64>>,
{
    let mut last = (u64::MAX, Instant::now());
    let mut stalled = |done: u64| {
        if done != last.0 {
            last = (done, Instant::now());
        }
        last.1.elapsed() >= STALL
    };
    loop {
        tokio::select! {
            () = progress.reached.notified() => break,
            joined = &mut *worker => {
                let why = match joined {
                    Ok(Ok(())) => "its stream ended".to_owned(),
                    Ok(Err(e)) => e.to_string(),
                    Err(e) => e.to_string(),
                };
                return Outcome::Failed(format!("worker stopped after {} jobs: {why}", progress.done.load(Relaxed)));
            }
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        let done = progress.done.load(Relaxed);
        if done >= target {
            break;
        }
        if stalled(done) {
            return Outcome::Failed(format!("stalled: no progress for {}s after {done} jobs", STALL.as_secs()));
        }
    }
    loop {
        match done_in_redis().await {
            Ok(done) if done >= target => return Outcome::Drained(started.elapsed()),
            Ok(done) if stalled(done) => return Outcome::Failed(format!("{done} of {target} acknowledged")),
            Ok(_) => tokio::time::sleep(Duration::from_millis(1)).await,
            Err(e) => return Outcome::Failed(format!("counting done jobs: {e:#}")),
        }
    }
}

/// How our worker fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fetching {
    /// As the product does for a queue of short jobs (`Job::FETCH_AHEAD`): a batch of
    /// c + FETCH_AHEAD_JOBS, the next fetched while one runs.
    Ahead,
    /// `batch` jobs at a time, nothing fetched while they run (a queue of long jobs: batch = c).
    Batch(usize),
}
