//! What the engine is configured with. The application reads its own configuration and hands
//! the engine these few values; nothing else of it reaches the engine.

use std::{collections::HashMap, time::Duration};

/// How jobs are held and retried, and where.
#[derive(Debug, Clone)]
pub struct QueueSettings {
    /// Redis, when set; otherwise the SQLite pool given to `Queues::connect`.
    pub redis_url: Option<String>,
    /// The first part of every queue name (every deployment and every test its own).
    pub prefix: String,
    /// How long a worker may go without renewing before its jobs go back to the queue.
    pub lease: Duration,
    /// Runs a job gets, the first included.
    pub attempts: u32,
    /// The first retry's delay; it doubles with each attempt, with jitter, up to 5 minutes.
    pub backoff: Duration,
    /// How long finished jobs (done or dead) are kept.
    pub retention: Duration,
    /// How many finished jobs (done, and dead apart) each queue keeps at most: with `retention`
    /// it bounds the memory finished jobs take.
    pub retention_count: u64,
    /// How long a job may wait for a dependency that is away (the database, Redis, storage)
    /// without spending its attempts; after that each run that finds it away spends one.
    pub dependency_wait: Duration,
    /// A fault injected for tests and drills: the next N enqueues on each named queue (its
    /// base name) fail, as a Redis outage right after a commit would.
    pub fail_enqueue: HashMap<String, u32>,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            redis_url: None,
            prefix: "vteacher".into(),
            lease: Duration::from_secs(30),
            attempts: 5,
            backoff: Duration::from_secs(2),
            retention: Duration::from_secs(24 * 3600),
            retention_count: 10_000,
            dependency_wait: Duration::from_secs(30 * 60),
            fail_enqueue: HashMap::new(),
        }
    }
}
