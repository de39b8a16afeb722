//! What waits in a queue, for operators and tests.

use serde::de::DeserializeOwned;

use redis::aio::ConnectionManager;

use super::{
    Job, QueueError,
    backend::{Backend, Queues},
    redisq::QueueConfig,
};
use crate::domain::NodeId;

impl Queues {
    /// The jobs of `J`'s queue that wait to run (due now or scheduled), oldest first.
    pub async fn waiting<J: Job>(&self, node: Option<&NodeId>) -> Result<Vec<J>, QueueError> {
        let queue = self.name_of::<J>(node);
        let payloads = match &self.backend {
            Backend::Redis { conn, .. } => {
                let config = self.redis_queue::<J>(conn, &queue, 1).queue_config().clone();
                redis_waiting(conn.clone(), &config).await?
            }
            Backend::Sqlite(pool) => {
                let rows: Vec<(Vec<u8>,)> = sea_orm::sqlx::query_as(
                    "SELECT job FROM Jobs WHERE job_type = ?1 AND status = 'Pending' ORDER BY run_at, id",
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
