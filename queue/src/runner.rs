//! Runs one delivered job: `JOB_ATTEMPTS` runs at most, exponential backoff with jitter
//! between them, an abort that skips the rest, and `give_up` once at the end. One mechanism
//! owns the retries. On Redis it is the backend: a failed run goes back through its delayed
//! set and the next run comes as a new delivery. On SQLite it is this runner, inside one
//! delivery, because apalis-sqlite re-runs a failed job at once. Either way a hand-back at
//! shutdown (or a crash) uses no attempt.

use std::time::Duration;

use apalis_core::{
    error::{AbortError, BoxDynError, RetryAfterError},
    task::{attempt::Attempt, data::Data, task_id::TaskId},
};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::{
    backoff::{backoff, backoff_for},
    clock::now_ms,
    job::{Job, JobError},
    retry::RetryNotice,
};

/// How a worker's jobs are run: what every delivery of its queue is handed.
#[derive(Clone)]
pub(super) struct Runner<C> {
    pub ctx: C,
    pub attempts: u32,
    pub backoff: Duration,
    /// The backend retries failed runs itself (Redis), or this runner must (SQLite).
    pub backend_retries: bool,
    /// How long a job waits for a dependency that is away before a wait spends an attempt.
    pub dependency_wait: Duration,
    /// The longest pause between two looks at a dependency that is away (the lease: a job
    /// notices within one lease that its dependency is back).
    pub wait_cap: Duration,
    pub shutdown: CancellationToken,
}

/// The apalis handler of every job type. Its events carry the job's span (the ids that
/// matter) and, innermost, a `task` span with the task id and attempt: the dashboard's Logs
/// page shows the events whose current span has those.
pub(super) async fn handle<J: Job>(
    job: J,
    runner: Data<Runner<J::Context>>,
    attempt: Attempt,
    task_id: TaskId,
) -> Result<(), BoxDynError> {
    let span = job.span();
    let current = attempt.current().max(1);
    let task = tracing::info_span!(parent: &span, "task", task_id = %task_id, attempt = current);
    let task_id = task_id.to_string();
    if runner.backend_retries {
        run_once(&job, &runner, current as u32, &task_id).instrument(task).instrument(span).await
    } else {
        run_attempts(&job, &runner, &task_id).instrument(task).instrument(span).await
    }
}

/// One run of a delivery; the backend schedules the next after a retryable failure.
async fn run_once<J: Job>(
    job: &J,
    runner: &Runner<J::Context>,
    attempt: u32,
    task_id: &str,
) -> Result<(), BoxDynError> {
    let attempts = runner.attempts;
    match run_waiting(job, runner).await {
        Ok(()) => {
            count::<J>("done");
            Ok(())
        }
        // Pending, not failed: back on the queue at once, no attempt used.
        Err(JobError::Interrupted) => Err(Box::new(RetryAfterError::new(hand_back::<J>(), Duration::ZERO))),
        Err(error @ JobError::Retry(_)) if attempt < attempts => {
            tracing::warn!(attempt, attempts, %error, "job failed; the queue will retry it");
            count::<J>("retried");
            // The backend schedules the next run after the same delay (`backoff_for`).
            announce_retry(job, runner, attempt, &error, backoff_for(runner.backoff, attempt, task_id)).await;
            Err(Box::new(error))
        }
        Err(error) => give_up(job, runner, error, attempt).await,
    }
}

async fn run_attempts<J: Job>(job: &J, runner: &Runner<J::Context>, task_id: &str) -> Result<(), BoxDynError> {
    let attempts = runner.attempts;
    let mut attempt = 1;
    loop {
        let error = match run_waiting(job, runner).await {
            Ok(()) => {
                count::<J>("done");
                return Ok(());
            }
            Err(error) => error,
        };
        match error {
            JobError::Interrupted => return Err(hand_back::<J>()),
            JobError::Retry(_) if attempt < attempts => {
                let delay = backoff_for(runner.backoff, attempt, task_id);
                tracing::warn!(attempt, attempts, ?delay, %error, "job failed; will retry");
                count::<J>("retried");
                announce_retry(job, runner, attempt, &error, delay).await;
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = runner.shutdown.cancelled() => return Err(hand_back::<J>()),
                }
                attempt += 1;
            }
            error => return give_up(job, runner, error, attempt).await,
        }
    }
}

/// Tells the job its next attempt is due in `delay` (what a person reads while it waits).
async fn announce_retry<J: Job>(job: &J, runner: &Runner<J::Context>, attempt: u32, error: &JobError, delay: Duration) {
    let retry = RetryNotice {
        attempt,
        max_attempts: runner.attempts,
        last_error: error.reason().to_owned(),
        next_attempt_at: now_ms() + delay.as_millis() as u64,
    };
    job.on_retry(&runner.ctx, &retry).await;
}

async fn give_up<J: Job>(
    job: &J,
    runner: &Runner<J::Context>,
    error: JobError,
    attempt: u32,
) -> Result<(), BoxDynError> {
    let error = with_attempts(error, attempt);
    tracing::error!(attempt, %error, "job failed for good");
    count::<J>("failed");
    // The failure must be recorded: a database or queue that is down now is tried again, with
    // backoff, for as long as it takes (the lease renewer keeps the job meanwhile). Only a
    // shutdown hands the job back (no attempt used), to record it on its next delivery.
    let mut tries = 0;
    while let Err(record_error) = job.give_up(&runner.ctx, &error).await {
        if matches!(record_error, JobError::Abort(_)) {
            tracing::error!(%record_error, "the failure cannot be recorded, and waiting would not help");
            break;
        }
        tries += 1;
        let delay = backoff(runner.backoff, tries);
        tracing::warn!(%record_error, tries, ?delay, "could not record the failure yet; trying again");
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = runner.shutdown.cancelled() => return Err(hand_back::<J>()),
        }
    }
    Err(Box::new(AbortError::new(error)))
}

/// A run, and another while a dependency is away, within the job's wait budget: the database
/// being away is not the job's fault, so it spends no attempt. The job keeps its lease while it
/// waits. Past the budget, a wait is an ordinary failure that heals.
async fn run_waiting<J: Job>(job: &J, runner: &Runner<J::Context>) -> Result<(), JobError> {
    let started = std::time::Instant::now();
    let mut looks = 0;
    loop {
        let (dependency, reason) = match timed_run(job, runner).await {
            Err(JobError::Wait { dependency, reason }) => (dependency, reason),
            other => return other,
        };
        let waited = started.elapsed();
        if waited >= runner.dependency_wait {
            let waited = humantime::format_duration(Duration::from_secs(waited.as_secs()));
            return Err(JobError::Retry(format!("{reason} ({dependency} away for {waited})")));
        }
        looks += 1;
        let delay = backoff(runner.backoff, looks).min(runner.wait_cap);
        tracing::warn!(dependency, looks, ?delay, %reason, "waiting for {dependency}; no attempt spent");
        metrics::counter!("vteacher_job_waits_total", "queue" => J::QUEUE, "dependency" => dependency).increment(1);
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = runner.shutdown.cancelled() => return Err(JobError::Interrupted),
        }
    }
}

/// One run, measured: `vteacher_job_duration_seconds{queue}` (every run, failed ones too) and
/// `vteacher_job_runs_total{queue}` (runs, so runs ÷ jobs is the attempts a job takes).
async fn timed_run<J: Job>(job: &J, runner: &Runner<J::Context>) -> Result<(), JobError> {
    let started = std::time::Instant::now();
    let result = job.run(&runner.ctx).await;
    if !matches!(result, Err(JobError::Interrupted)) {
        metrics::histogram!("vteacher_job_duration_seconds", "queue" => J::QUEUE)
            .record(started.elapsed().as_secs_f64());
        metrics::counter!("vteacher_job_runs_total", "queue" => J::QUEUE).increment(1);
    }
    result
}

/// The reason a person reads says how many attempts were made, and why no more.
fn with_attempts(error: JobError, attempt: u32) -> JobError {
    let runs = if attempt == 1 { "1 attempt".to_owned() } else { format!("{attempt} attempts") };
    match error {
        JobError::Retry(reason) => JobError::Retry(format!("{reason} (after {runs})")),
        JobError::Abort(reason) => {
            JobError::Abort(format!("{reason} (after {runs}; not retried: waiting would not help)"))
        }
        wait @ (JobError::Wait { .. } | JobError::Interrupted) => wait,
    }
}

/// The `outcome` label of `vteacher_jobs_total`.
pub const OUTCOMES: [&str; 3] = ["done", "retried", "failed"];

fn count<J: Job>(outcome: &'static str) {
    metrics::counter!("vteacher_jobs_total", "queue" => J::QUEUE, "outcome" => outcome).increment(1);
}

fn hand_back<J: Job>() -> BoxDynError {
    tracing::info!(queue = J::QUEUE, "shutting down; job handed back to the queue");
    Box::new(JobError::Interrupted)
}
