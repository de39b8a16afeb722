//! How many jobs each queue holds, by state, read from the backend itself (never from
//! counters a process keeps): what `/metrics` reports as `vteacher_queue_jobs`. Per-node
//! queues are summed by their base name (`download`), so that a fleet of thousands of push
//! hosts does not make thousands of series.

use std::collections::BTreeMap;

use super::{
    QueueError,
    backend::{Backend, Queues},
};

/// Jobs by state: `pending`, `running`, `delayed` (a retry or a scheduled job), `done`, `dead`.
pub type Depth = BTreeMap<&'static str, u64>;

/// The states, in the order the Redis backend sums them (`redisq::depths::Sums`).
const STATES: [&str; 5] = ["pending", "running", "delayed", "done", "dead"];

impl Queues {
    /// Every queue's depth, by base name.
    pub async fn depths(&self) -> Result<BTreeMap<String, Depth>, QueueError> {
        let mut depths: BTreeMap<String, Depth> = BTreeMap::new();
        let failed = |e: &dyn std::fmt::Display| QueueError::Read(e.to_string());
        match &self.backend {
            Backend::Redis { conn, .. } => {
                // Counted by Redis a page of queues per call: a scrape's cost does not grow by
                // five commands per push host's queue.
                let registry = crate::redisq::keys::registry(&self.prefix);
                let lead = format!("{}:", self.prefix);
                let retention = self.tuning.retention;
                let sums =
                    crate::redisq::depths::by_base(conn, &registry, &lead, retention).await.map_err(|e| failed(&e))?;
                for (base, sums) in sums {
                    let depth = depths.entry(base).or_default();
                    for (state, n) in STATES.into_iter().zip(sums) {
                        *depth.entry(state).or_default() += n;
                    }
                }
            }
            Backend::Sqlite(pool) => {
                let rows: Vec<(String, String, i64)> =
                    sqlx::query_as("SELECT job_type, status, COUNT(*) FROM Jobs GROUP BY job_type, status")
                        .fetch_all(pool)
                        .await
                        .map_err(|e| failed(&e))?;
                for (name, status, n) in rows {
                    let state = match status.as_str() {
                        "Pending" => "pending",
                        "Running" | "Queued" => "running",
                        "Failed" => "delayed",
                        "Done" => "done",
                        _ => "dead",
                    };
                    *depths.entry(self.base_of(&name)).or_default().entry(state).or_default() += n.max(0) as u64;
                }
            }
        }
        Ok(depths)
    }

    /// `vt:download:node-1` → `download`.
    fn base_of(&self, name: &str) -> String {
        crate::job::split_queue_name(&self.prefix, name).0.to_owned()
    }
}
