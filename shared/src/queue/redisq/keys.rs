//! How one queue lives in Redis. Every key of a queue shares the hash tag `{queue}`, so a
//! queue stays on one node of a cluster.
//!
//! ```text
//! {Q}:pending   LIST  job ids ready to run, oldest first
//! {Q}:inflight  ZSET  job id → lease deadline (ms): running on some worker
//! {Q}:delayed   ZSET  job id → when it may run (ms): scheduled jobs and retries
//! {Q}:done      ZSET  job id → when it finished (ms), until QUEUE_RETENTION
//! {Q}:dead      ZSET  job id → when it failed for good (ms), until QUEUE_RETENTION
//! {Q}:j:<id>    HASH  d payload, a failed runs, m max attempts, w worker, s state, r last error,
//!                     t created, f finished, k idempotency key
//! {Q}:signal    LIST  a wake-up token for idle workers
//! {Q}:workers   ZSET  worker → last heartbeat (ms)
//! {Q}:idem:<k>  STR   the job id holding idempotency key k
//! <prefix>:queues SET every queue name, for the dashboard
//! ```

use std::time::Duration;

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
}

/// Bounded work per script call: delayed jobs promoted, expired leases recovered.
pub const CHORE_LIMIT: usize = 1000;
/// Jobs per push script call (`unpack` has a limit; this stays far below it).
pub const PUSH_CHUNK: usize = 1000;

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
        }
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

    /// A worker renews its leases this often...
    pub fn renew_every(&self) -> Duration {
        self.lease / 3
    }

    /// ...to this far ahead, so that a dead worker's jobs are back within one lease even
    /// counting an idle worker's wait before it next looks.
    pub fn lease_ahead(&self) -> Duration {
        self.lease * 2 / 3
    }

    /// The longest an idle worker waits for a wake-up before it looks again (for due retries
    /// and expired leases).
    pub fn idle_wait(&self) -> Duration {
        (self.lease / 6).clamp(Duration::from_millis(500), Duration::from_secs(5))
    }
}
