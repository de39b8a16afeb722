//! How one queue lives in Redis. Every key of a queue shares the hash tag `{queue}`, so a
//! queue stays on one node of a cluster.
//!
//! ```text
//! {Q}:pending   LIST  job ids ready to run, oldest first
//! {Q}:inflight  ZSET  job id → lease deadline (ms): held by some worker (running, or fetched
//!                     and waiting for a slot), renewed every third of a lease
//! {Q}:delayed   ZSET  job id → when it may run (ms): scheduled jobs and retries
//! {Q}:done      ZSET  job id → when it finished (ms), until QUEUE_RETENTION
//! {Q}:dead      ZSET  job id → when it failed for good (ms), until QUEUE_RETENTION
//! {Q}:j:<id>    HASH  d payload, a failed runs, m max attempts, w worker, s state, r last error,
//!                     t created, f finished, k idempotency key
//! {Q}:signal    LIST  at most one wake-up token: a job is ready, or something became due
//!                     sooner (a delayed push, a retry, a lease taken where there was none
//!                     on a per-node queue); an idle worker's blocking pop takes it and its
//!                     next fetch looks again. A per-node queue's is a pub/sub channel of
//!                     that name instead (no key): its host listens on its one connection
//! {Q}:workers   ZSET  worker → when it was last seen alive (ms): registered, fetched with
//!                     chores, renewed its leases, heart-beat (every idle cap)
//! {Q}:idem:<k>  STR   the job id holding idempotency key k
//! <prefix>:queues SET every queue name, for the dashboard
//! ```

use std::time::Duration;

use crate::job::QueueKind;

/// A queue's settings and key names.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    pub queue: String,
    /// The set listing every queue (`<prefix>:queues`).
    pub registry: String,
    /// How long a worker may go without renewing before its jobs go back (QUEUE_LEASE).
    pub lease: Duration,
    /// Jobs taken per fetch.
    pub batch: usize,
    /// Runs a job gets before it is dead (JOB_ATTEMPTS).
    pub max_attempts: u32,
    /// The first retry's delay (JOB_BACKOFF); it doubles, with jitter.
    pub backoff: Duration,
    /// How long finished jobs are kept (QUEUE_RETENTION).
    pub retention: Duration,
    /// How many finished jobs are kept at most, done and dead each (QUEUE_RETENTION_COUNT).
    pub retention_count: u64,
    /// How long a worker waits for a Redis that is away before it stops (DEPENDENCY_WAIT): a
    /// restart or a failover is waited out; a Redis gone for good stops the process, non-zero,
    /// for its supervisor to see.
    pub redis_wait: Duration,
    /// The longest an idle worker waits before it looks anyway, also apalis's heartbeat
    /// interval; `None` for a shared queue's (`idle_cap`). Set by `of_kind`.
    pub idle_cap: Option<Duration>,
    /// Fetch the next batch while this one runs (a queue of short jobs: `Job::FETCH_AHEAD`).
    pub prefetch: bool,
}

/// Bounded work per script call: delayed jobs promoted, expired leases recovered.
pub const CHORE_LIMIT: usize = 1000;
/// Jobs per push or re-drive script call: bounded work per call (and `unpack` has a limit,
/// ~8k values; the scripts also unpack a slice at a time).
pub const PUSH_CHUNK: usize = 1000;
/// A per-node queue's idle cap. A fleet has thousands of nodes, each with idle per-node
/// workers: one look every ten minutes keeps them cheap. Nothing waits for the cap: pushes,
/// delayed jobs and retries coming due, and leases running out wake the worker on time.
pub const PER_NODE_IDLE_CAP: Duration = Duration::from_secs(600);

/// The set listing every queue of the deployment under `prefix`, for the dashboard.
pub fn registry(prefix: &str) -> String {
    format!("{prefix}:queues")
}

impl QueueConfig {
    pub fn new(queue: &str, registry: &str) -> Self {
        Self {
            queue: queue.to_owned(),
            registry: registry.to_owned(),
            lease: Duration::from_secs(30),
            batch: 10,
            max_attempts: 5,
            backoff: Duration::from_secs(2),
            retention: Duration::from_secs(24 * 3600),
            retention_count: 10_000,
            redis_wait: Duration::from_secs(30 * 60),
            idle_cap: None,
            prefetch: false,
        }
    }

    /// As the product configures a queue of this kind: a per-node queue's workers look on
    /// their own only every `PER_NODE_IDLE_CAP`.
    pub fn of_kind(self, kind: QueueKind) -> Self {
        let idle_cap = (kind == QueueKind::PerNode).then_some(PER_NODE_IDLE_CAP);
        Self { idle_cap, ..self }
    }

    /// `{queue}`: the prefix of every key of the queue.
    pub fn prefix(&self) -> String {
        format!("{{{}}}", self.queue)
    }

    pub fn key(&self, name: &str) -> String {
        format!("{{{}}}:{name}", self.queue)
    }

    pub fn job_key(&self, id: &str) -> String {
        format!("{{{}}}:j:{id}", self.queue)
    }

    /// `1` when the queue's signal is a pub/sub channel (a per-node queue: its host listens on
    /// its one connection, `hub.rs`), `0` when it is a list a worker pops (a shared queue's):
    /// what the scripts are told.
    pub fn signal_is_channel(&self) -> u8 {
        u8::from(self.idle_cap.is_some())
    }

    /// A worker renews its leases this often...
    pub fn renew_every(&self) -> Duration {
        self.lease / 3
    }

    /// ...to this far ahead, so that a dead worker's jobs are back within one lease even
    /// counting an idle worker's wait before it next looks.
    pub fn lease_ahead(&self) -> Duration {
        self.lease * 2 / 3
    }

    /// The longest an idle worker waits before it looks again though nothing woke it: a safety
    /// net (an idle worker wakes on a signal, or when what its last fetch saw comes due), and
    /// how often apalis's heartbeat marks the worker alive. A shared queue's is a sixth of the
    /// lease, 0.5-5 s; a per-node queue's `PER_NODE_IDLE_CAP`.
    pub fn idle_cap(&self) -> Duration {
        self.idle_cap.unwrap_or_else(|| (self.lease / 6).clamp(Duration::from_millis(500), Duration::from_secs(5)))
    }

    /// A worker not seen for this long is dropped from `{Q}:workers`: well past its heartbeat.
    pub fn workers_gone_after(&self) -> Duration {
        (self.lease * 10).max(self.idle_cap() * 3)
    }
}
