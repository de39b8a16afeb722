//! What waits in a queue, for operators and tests. (apalis-redis 1.0.0's own `ListTasks`
//! reads a list that pushes never fill, so the keys are read here, inside `queue/`.)

use serde::de::DeserializeOwned;

use super::{
    Job, QueueError,
    backend::{Backend, Queues},
};
use crate::domain::NodeId;

impl Queues {
    /// The jobs of `J`'s queue that wait to run (due now or scheduled), oldest first.
    pub async fn waiting<J: Job>(&self, node: Option<&NodeId>) -> Result<Vec<J>, QueueError> {
        let queue = self.name_of::<J>(node);
        let payloads = match &self.backend {
            Backend::Redis(conn) => redis_waiting(conn.clone(), &queue).await?,
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

async fn redis_waiting(mut conn: apalis_redis::ConnectionManager, queue: &str) -> Result<Vec<Vec<u8>>, QueueError> {
    let active: Vec<String> =
        redis::cmd("LRANGE").arg(format!("{queue}:active")).arg(0).arg(-1).query_async(&mut conn).await?;
    let scheduled: Vec<String> =
        redis::cmd("ZRANGE").arg(format!("{queue}:scheduled")).arg(0).arg(-1).query_async(&mut conn).await?;
    let ids: Vec<String> = active.into_iter().chain(scheduled).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let data: Vec<Option<Vec<u8>>> =
        redis::cmd("HMGET").arg(format!("{queue}:data")).arg(&ids).query_async(&mut conn).await?;
    Ok(data.into_iter().flatten().collect())
}
