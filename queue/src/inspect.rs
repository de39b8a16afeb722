//! What waits in a queue, for operators and tests.

use serde::de::DeserializeOwned;

use redis::aio::ConnectionManager;

use super::{
    Job, QueueError, QueueKind,
    backend::{Backend, Queues},
    redisq::{DeadJob, QueueConfig},
};

impl Queues {
    /// Whether the backend answers now (`/readyz`).
    pub async fn ping(&self) -> Result<(), QueueError> {
        match &self.backend {
            Backend::Redis { conn, .. } => Ok(redis::cmd("PING").query_async::<()>(&mut conn.clone()).await?),
            Backend::Sqlite(pool) => {
                sqlx::query("SELECT 1").execute(pool).await.map_err(|e| QueueError::Read(e.to_string()))?;
                Ok(())
            }
        }
    }

    /// The jobs of `J`'s queue that wait to run (due now or scheduled), oldest first.
    pub async fn waiting<J: Job>(&self, node: Option<&str>) -> Result<Vec<J>, QueueError> {
        let queue = self.name_of::<J>(node);
        let payloads = match &self.backend {
            Backend::Redis { conn, .. } => {
                let config = self.redis_queue::<J>(conn, &queue, 1).queue_config().clone();
                redis_waiting(conn.clone(), &config).await?
            }
            Backend::Sqlite(pool) => {
                // `run_at` is in seconds and `id` a ULID, random within a millisecond: the rowid
                // keeps the order of pushing among jobs due in the same second.
                let rows: Vec<(Vec<u8>,)> = sqlx::query_as(
                    "SELECT job FROM Jobs WHERE job_type = ?1 AND status = 'Pending' ORDER BY run_at, rowid",
                )
                .bind(&queue)
                .fetch_all(pool)
                .await
                .map_err(|e| QueueError::Push { queue: queue.clone(), reason: e.to_string() })?;
                rows.into_iter().map(|(job,)| job).collect()
            }
        };
        Ok(payloads.iter().filter_map(|bytes| decode(bytes)).collect())
    }
}

fn decode<J: DeserializeOwned>(bytes: &[u8]) -> Option<J> {
    serde_json::from_slice(bytes).ok()
}

async fn redis_waiting(mut conn: ConnectionManager, config: &QueueConfig) -> Result<Vec<Vec<u8>>, QueueError> {
    let pending: Vec<String> =
        redis::cmd("LRANGE").arg(config.key("pending")).arg(0).arg(-1).query_async(&mut conn).await?;
    let delayed: Vec<String> =
        redis::cmd("ZRANGE").arg(config.key("delayed")).arg(0).arg(-1).query_async(&mut conn).await?;
    let mut payloads = Vec::new();
    for id in pending.into_iter().chain(delayed) {
        let payload: Option<Vec<u8>> =
            redis::cmd("HGET").arg(config.job_key(&id)).arg("d").query_async(&mut conn).await?;
        payloads.extend(payload);
    }
    Ok(payloads)
}

impl Queues {
    /// A per-node queue's name is `<prefix>:<job>:<node>`, a shared one's `<prefix>:<job>`
    /// (`queue_name`): the jobs re-driven onto a per-node queue wake its host (`hub.rs`).
    fn kind_of(&self, name: &str) -> QueueKind {
        match crate::job::split_queue_name(&self.prefix, name) {
            (_, Some(_)) => QueueKind::PerNode,
            (_, None) => QueueKind::Shared,
        }
    }

    /// Jobs of queue `name` (a full queue name) that failed for good, oldest first; `limit` 0
    /// lists them all.
    pub async fn dead(&self, name: &str, limit: usize) -> Result<Vec<DeadJob>, QueueError> {
        match &self.backend {
            Backend::Redis { conn, .. } => {
                let queue = self.redis_queue_of::<serde_json::Value>(conn, name, 1, QueueKind::Shared);
                queue.dead(limit).await.map_err(|e| QueueError::Push { queue: name.to_owned(), reason: e.to_string() })
            }
            Backend::Sqlite(pool) => {
                let rows: Vec<(String, Vec<u8>, i64, Option<String>)> = sqlx::query_as(
                    "SELECT id, job, attempts, last_result FROM Jobs WHERE job_type = ?1 AND status = 'Killed' \
                     ORDER BY done_at, rowid LIMIT ?2",
                )
                .bind(name)
                .bind(if limit == 0 { -1 } else { limit as i64 }) // SQLite: LIMIT -1 is none
                .fetch_all(pool)
                .await
                .map_err(|e| QueueError::Push { queue: name.to_owned(), reason: e.to_string() })?;
                Ok(rows
                    .into_iter()
                    .map(|(id, job, attempts, error)| DeadJob {
                        id,
                        payload: serde_json::from_slice(&job).unwrap_or_default(),
                        attempts: attempts.max(0) as u64,
                        error: error.unwrap_or_default(),
                    })
                    .collect())
            }
        }
    }

    /// Puts dead jobs of queue `name` back (the given ids, or the oldest `limit`, 0: all) with
    /// fresh attempts. Returns how many.
    pub async fn redrive(&self, name: &str, ids: &[String], limit: usize) -> Result<u64, QueueError> {
        let failed = |e: &dyn std::fmt::Display| QueueError::Push { queue: name.to_owned(), reason: e.to_string() };
        match &self.backend {
            Backend::Redis { conn, .. } => self
                .redis_queue_of::<serde_json::Value>(conn, name, 1, self.kind_of(name))
                .redrive(ids, limit)
                .await
                .map_err(|e| failed(&e)),
            Backend::Sqlite(pool) => {
                let chosen = if ids.is_empty() {
                    self.dead(name, limit).await?.into_iter().map(|d| d.id).collect()
                } else {
                    ids.to_vec()
                };
                let mut moved = 0;
                for id in chosen {
                    let done = sqlx::query(
                        "UPDATE Jobs SET status = 'Pending', attempts = 0, lock_by = NULL, lock_at = NULL, done_at = NULL \
                         WHERE id = ?1 AND job_type = ?2 AND status = 'Killed'",
                    )
                    .bind(&id)
                    .bind(name)
                    .execute(pool)
                    .await
                    .map_err(|e| failed(&e))?;
                    moved += done.rows_affected();
                }
                Ok(moved)
            }
        }
    }
}
