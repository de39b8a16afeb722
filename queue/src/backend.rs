//! The one enqueue interface over the two backends: vteacher's own Redis queues
//! (`redisq`) when `REDIS_URL` is set, apalis-sqlite in the state file when it is not. Nothing
//! outside `queue/` knows a key name.

use std::time::Duration;

use apalis_core::{backend::TaskSink, task::builder::TaskBuilder};
use apalis_sqlite::{SqlitePool, SqliteStorage};
use redis::aio::ConnectionManager;
use std::collections::HashMap;

use crate::{
    clock::now_ms,
    job::{Job, QueueKind, queue_name},
    redisq::{QueueConfig, RedisQueue},
    retry::Retryable,
    settings::QueueSettings,
};

/// Deliveries a job may have from apalis-sqlite, which re-runs a failed job at once: vteacher
/// counts its own attempts (`JOB_ATTEMPTS`) inside one delivery there, and a new delivery only
/// follows a hand-back at shutdown or a crash, which must not use up the job.
pub(crate) const MAX_DELIVERIES: usize = 25;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("queue backend (Redis) unavailable: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("could not enqueue on {queue}: {reason}")]
    Push { queue: String, reason: String },
    #[error("could not read the queues: {0}")]
    Read(String),
    #[error("the queues are in Redis but REDIS_URL is not set")]
    NoBackend,
    #[error("Redis cannot hold the queues: {0}")]
    Unfit(String),
}

/// Redis may be back in a moment; a refused push is retried like any other outage. A Redis
/// unfit for the queues stays so until a person changes it.
impl Retryable for QueueError {
    fn is_retryable(&self) -> bool {
        !matches!(self, Self::Unfit(_))
    }

    fn waits_for(&self) -> Option<&'static str> {
        matches!(self, Self::Redis(_)).then_some("Redis")
    }
}

#[derive(Clone)]
pub(crate) enum Backend {
    Redis { conn: ConnectionManager, client: redis::Client, hub: crate::redisq::WakeHub },
    Sqlite(SqlitePool),
}

/// How jobs are held and retried, from the settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tuning {
    pub lease: Duration,
    pub attempts: u32,
    pub backoff: Duration,
    pub retention: Duration,
    pub retention_count: u64,
    pub dependency_wait: Duration,
}

/// Where jobs go. Cheap to clone; every role holds one.
#[derive(Clone)]
pub struct Queues {
    pub(crate) backend: Backend,
    pub(crate) prefix: String,
    pub(crate) tuning: Tuning,
    /// `QueueSettings::fail_enqueue`: enqueues still to refuse, per queue.
    faults: std::sync::Arc<std::sync::Mutex<HashMap<String, u32>>>,
}

impl std::fmt::Debug for Queues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queues").field("backend", &self.backend_name()).field("prefix", &self.prefix).finish()
    }
}

impl Queues {
    /// Redis when `settings.redis_url` is set, else the SQLite database `sqlite` (required then;
    /// its queue tables made by `Queues::migrate_sqlite`).
    pub async fn connect(settings: &QueueSettings, sqlite: Option<&SqlitePool>) -> Result<Self, QueueError> {
        let backend = match (&settings.redis_url, sqlite) {
            (Some(url), _) => {
                let (client, mut conn, hub) = crate::redisq::connect(url).await?;
                if let Some(reason) = crate::redisq::unfit(&mut conn).await? {
                    return Err(QueueError::Unfit(reason));
                }
                Backend::Redis { conn, client, hub }
            }
            (None, Some(pool)) => Backend::Sqlite(pool.clone()),
            (None, None) => return Err(QueueError::NoBackend),
        };
        let tuning = Tuning {
            lease: settings.lease,
            attempts: settings.attempts,
            backoff: settings.backoff,
            retention: settings.retention,
            retention_count: settings.retention_count,
            dependency_wait: settings.dependency_wait,
        };
        let faults = std::sync::Arc::new(std::sync::Mutex::new(settings.fail_enqueue.clone()));
        Ok(Self { backend, prefix: settings.prefix.clone(), tuning, faults })
    }

    /// Creates or updates apalis-sqlite's tables in `pool`. (Not `SqliteStorage::setup`: it
    /// would set `synchronous = OFF` on a pooled connection.)
    pub async fn migrate_sqlite(pool: &SqlitePool) -> Result<(), sqlx::migrate::MigrateError> {
        SqliteStorage::<()>::migrations().run(pool).await
    }

    /// The Redis connection the queues use, when they are in Redis (for other keys of the same
    /// deployment).
    pub fn redis(&self) -> Option<ConnectionManager> {
        match &self.backend {
            Backend::Redis { conn, .. } => Some(conn.clone()),
            Backend::Sqlite(_) => None,
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Redis { .. } => "redis",
            Backend::Sqlite(_) => "sqlite",
        }
    }

    /// Whether the backend retries failed runs itself (with backoff, through its delayed set),
    /// or the job runner must (apalis-sqlite re-runs a failed job at once).
    pub fn backend_retries(&self) -> bool {
        matches!(self.backend, Backend::Redis { .. })
    }

    /// The full name of `J`'s queue (for a per-node job, on `node`).
    pub fn name_of<J: Job>(&self, node: Option<&str>) -> String {
        queue_name(&self.prefix, J::QUEUE, node)
    }

    /// Puts `job` on its queue (per-node jobs on `node`'s). Returns once the backend has it.
    pub async fn enqueue<J: Job>(&self, job: J, node: Option<&str>) -> Result<(), QueueError> {
        let queue = self.name_of::<J>(node);
        let push_err = |e: &dyn std::fmt::Display| QueueError::Push { queue: queue.clone(), reason: e.to_string() };
        if self.injected_fault(J::QUEUE) {
            return Err(push_err(&"refused by FAIL_ENQUEUE (a fault injected for a test or a drill)"));
        }
        let unique = job.unique_key();
        let builder = match &unique {
            Some(key) => TaskBuilder::new(job).idempotency_key(key),
            None => TaskBuilder::new(job),
        };
        match &self.backend {
            Backend::Redis { conn, .. } => {
                let task = builder.max_attempts(self.tuning.attempts as usize).build();
                let mut storage = self.redis_queue::<J>(conn, &queue, 1);
                storage.push_task(task).await.map_err(|e| push_err(&e))
            }
            Backend::Sqlite(pool) => {
                if let Some(key) = &unique {
                    release_unique_key(pool, &queue, key).await.map_err(|e| push_err(&e))?;
                }
                let task = builder.max_attempts(MAX_DELIVERIES).build();
                let mut storage = sqlite_storage::<J>(pool, &queue, None);
                storage.push_task(task).await.map_err(|e| push_err(&e))
            }
        }?;
        tracing::debug!(queue, job = J::QUEUE, "enqueued");
        Ok(())
    }

    /// Whether `fail_enqueue` refuses this enqueue on `queue` (and counts it).
    fn injected_fault(&self, queue: &str) -> bool {
        let mut faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        match faults.get_mut(queue) {
            Some(left) if *left > 0 => {
                *left -= 1;
                true
            }
            _ => false,
        }
    }

    /// `J`'s queue (named `queue`) as the engine configures it: a per-node queue's idle workers
    /// look only every `PER_NODE_IDLE_CAP`.
    pub(crate) fn redis_queue<J: Job>(&self, conn: &ConnectionManager, queue: &str, batch: usize) -> RedisQueue<J> {
        self.redis_queue_of::<J>(conn, queue, batch, J::KIND)
    }

    pub(crate) fn redis_queue_of<Args>(
        &self,
        conn: &ConnectionManager,
        queue: &str,
        batch: usize,
        kind: QueueKind,
    ) -> RedisQueue<Args> {
        let registry = crate::redisq::keys::registry(&self.prefix);
        let config = QueueConfig {
            lease: self.tuning.lease,
            batch: batch.max(1),
            max_attempts: self.tuning.attempts,
            backoff: self.tuning.backoff,
            retention: self.tuning.retention,
            retention_count: self.tuning.retention_count,
            redis_wait: self.tuning.dependency_wait,
            ..QueueConfig::new(queue, &registry).of_kind(kind)
        };
        RedisQueue::new(conn.clone(), config)
    }
}

impl Queues {
    /// Drops jobs that finished (done, or failed for good) longer than `older_than` ago, and in
    /// each queue all but the newest `keep`. Never a job that is running, waiting, or waiting
    /// for a retry. (apalis's own `Vacuum` deletes failed jobs still awaiting their retry, and
    /// on SQLite every finished job whatever its age.) The Redis queues trim their own
    /// (`redisq`, ack.lua).
    pub async fn purge_finished(&self, older_than: Duration, keep: u64) -> Result<u64, QueueError> {
        let Backend::Sqlite(pool) = &self.backend else {
            return Ok(0);
        };
        let failed = |e: sqlx::Error| QueueError::Push { queue: "(retention)".into(), reason: e.to_string() };
        // apalis-sqlite's `done_at` is in unix seconds.
        let cutoff = (now_ms().saturating_sub(older_than.as_millis() as u64) / 1000) as i64;
        let pattern = format!("{}:%", self.prefix);
        let by_age = sqlx::query(
            "DELETE FROM Jobs WHERE status IN ('Done', 'Killed') AND done_at IS NOT NULL \
             AND done_at < ?1 AND job_type LIKE ?2",
        )
        .bind(cutoff)
        .bind(&pattern)
        .execute(pool)
        .await
        .map_err(failed)?;
        let by_count = sqlx::query(
            "DELETE FROM Jobs WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER \
             (PARTITION BY job_type, status ORDER BY done_at DESC, rowid DESC) AS newest FROM Jobs \
             WHERE status IN ('Done', 'Killed') AND job_type LIKE ?1) WHERE newest > ?2)",
        )
        .bind(&pattern)
        .bind(keep.min(i64::MAX as u64) as i64)
        .execute(pool)
        .await
        .map_err(failed)?;
        Ok(by_age.rows_affected() + by_count.rows_affected())
    }
}

/// apalis-sqlite keeps a job's idempotency key for as long as the row: a key is taken back
/// from a job that no longer waits (running, done or dead), so that only a waiting job makes
/// an enqueue of the same key a no-op (`Job::unique_key`), as on Redis (push.lua).
async fn release_unique_key(pool: &SqlitePool, queue: &str, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE Jobs SET idempotency_key = NULL WHERE job_type = ?1 AND idempotency_key = ?2 AND status != 'Pending'",
    )
    .bind(queue)
    .bind(key)
    .execute(pool)
    .await
    .map(drop)
}

/// How an apalis-sqlite worker holds its jobs: heart-beat three times per lease (a worker
/// silent for a whole lease is taken for dead and its jobs go back to the queue), and fetch one
/// batch at a time. (Redis workers renew their leases from a task of their own: `redisq`.)
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lease {
    pub lease: Duration,
    pub batch: usize,
}

impl Lease {
    fn interval(self) -> Duration {
        self.lease / 3
    }
}

pub(crate) fn sqlite_storage<J>(pool: &SqlitePool, queue: &str, lease: Option<Lease>) -> SqliteStorage<J> {
    let mut config = apalis_sqlite::Config::default().queue(queue);
    if let Some(lease) = lease {
        config = config.heartbeat_interval(lease.interval()).missed_heartbeats(3).batch_size(lease.batch);
    }
    SqliteStorage::new(pool).with_config(config)
}
