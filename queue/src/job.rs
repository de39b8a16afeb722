//! What every job is: a serde struct with its queue as a const, a `run` whose errors say
//! whether they heal, and a `give_up` that records the failure once. The engine knows no job:
//! each job names the context its handler is given, and how many run at once is said where the
//! job is registered (`Workers::spawn`), not by the job.

use std::{fmt, future::Future};

use serde::{Serialize, de::DeserializeOwned};

use crate::retry::{RetryNotice, Retryable};

/// How a run failed. `Retry` heals with time (a timeout, a 503, a dead connection); `Abort`
/// never will (a 404, bad input), so it skips the remaining attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    Retry(String),
    Abort(String),
    /// A dependency is away (the database, Redis, storage): the job waits for it and runs
    /// again, spending no attempt (`Retryable::waits_for`).
    Wait {
        dependency: &'static str,
        reason: String,
    },
    /// The process is shutting down: the job is handed back untouched, no attempt used.
    Interrupted,
}

impl JobError {
    pub fn retry(reason: impl fmt::Display) -> Self {
        Self::Retry(reason.to_string())
    }

    pub fn abort(reason: impl fmt::Display) -> Self {
        Self::Abort(reason.to_string())
    }

    /// The text a user sees as the failure's reason.
    pub fn reason(&self) -> &str {
        match self {
            Self::Retry(reason) | Self::Abort(reason) | Self::Wait { reason, .. } => reason,
            Self::Interrupted => "interrupted by shutdown",
        }
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Retry(reason) => write!(f, "retryable: {reason}"),
            Self::Abort(reason) => write!(f, "fatal: {reason}"),
            Self::Wait { dependency, reason } => write!(f, "waiting for {dependency}: {reason}"),
            Self::Interrupted => f.write_str("interrupted by shutdown"),
        }
    }
}

impl std::error::Error for JobError {}

/// The one conversion from every layer's errors: each says itself whether it heals.
impl<E: Retryable> From<E> for JobError {
    fn from(err: E) -> Self {
        if err.is_interrupted() {
            Self::Interrupted
        } else if let Some(dependency) = err.waits_for() {
            Self::Wait { dependency, reason: err.to_string() }
        } else if err.is_retryable() {
            Self::Retry(err.to_string())
        } else {
            Self::Abort(err.to_string())
        }
    }
}

/// A queue shared by every worker (`booking`), or one per node of the fleet (a push host's
/// `download:host-1`), consumed on that node alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueKind {
    Shared,
    PerNode,
}

pub trait Job: Serialize + DeserializeOwned + Clone + Send + Sync + Unpin + 'static {
    /// The queue's name; a per-node queue's full name is `{QUEUE}:{node}`.
    const QUEUE: &'static str;
    const KIND: QueueKind = QueueKind::Shared;

    /// What the handler is given besides the job.
    type Context: Clone + Send + Sync + 'static;

    /// A queue of short jobs fetches ahead on Redis: `FETCH_AHEAD_JOBS` more than it runs, and
    /// its next batch while one runs (the leases of jobs waiting for a slot are renewed like
    /// the running ones'). A queue of long jobs holds no more than it runs, so that an idle
    /// worker elsewhere takes the rest.
    const FETCH_AHEAD: bool = false;

    /// Jobs of one queue with the same key are one while they wait: enqueueing finds one
    /// waiting (due, scheduled, or between attempts) and adds nothing. A job that is running
    /// does not count (what it read may be older than what asked for the new one). `None`
    /// (the default): every enqueue adds a job.
    fn unique_key(&self) -> Option<String> {
        None
    }

    /// Does the work. Idempotent: a second run, or a run after a crash at any line, ends in
    /// the same state. Enqueues only after the state it depends on has committed.
    fn run(&self, ctx: &Self::Context) -> impl Future<Output = Result<(), JobError>> + Send;

    /// Records a failure that will not be retried (an abort, or the last attempt spent).
    fn give_up(&self, _ctx: &Self::Context, _error: &JobError) -> impl Future<Output = Result<(), JobError>> + Send {
        async { Ok(()) }
    }

    /// A span carrying the ids that matter (class_id, record_id, node…) as fields.
    fn span(&self) -> tracing::Span;

    /// A run failed and the next attempt is scheduled: a job whose work a person watches
    /// publishes it (best effort; the retry happens whatever this does).
    fn on_retry(&self, _ctx: &Self::Context, _retry: &RetryNotice) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// The full name of a queue under a prefix (every test and every deployment its own); a
/// per-node queue names its node last.
pub fn queue_name(prefix: &str, base: &str, node: Option<&str>) -> String {
    match node {
        Some(node) => format!("{prefix}:{base}:{node}"),
        None => format!("{prefix}:{base}"),
    }
}

/// `queue_name` read back: a queue's base name and, for a per-node queue, its node
/// (`vt:download:host-1` under `vt`: `("download", Some("host-1"))`). A name not under `prefix`
/// is read whole.
pub fn split_queue_name<'a>(prefix: &str, name: &'a str) -> (&'a str, Option<&'a str>) {
    let rest = name.strip_prefix(prefix).and_then(|r| r.strip_prefix(':')).unwrap_or(name);
    match rest.split_once(':') {
        Some((base, node)) => (base, Some(node)),
        None => (rest, None),
    }
}
