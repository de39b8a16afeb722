//! Showing a queue on apalis-board (served under `/api/v1`), over either backend. Which
//! queues are shown is the job list's business (`jobs/dashboard.rs`).

use std::sync::Arc;

use apalis_board::axum::framework::{ApiBuilder, RegisterRoute};
use axum::Router;

use super::{
    Job,
    backend::{Backend, Queues, sqlite_storage},
};

impl Queues {
    /// Registers `J`'s queue (on `node`'s for a per-node job) with apalis-board's API. The first
    /// queue registered answers the board's lists of every queue: on Redis they show `listed`.
    pub fn show_on_board<J: Job>(
        &self,
        api: ApiBuilder<Router>,
        node: Option<&str>,
        listed: &Arc<[String]>,
    ) -> ApiBuilder<Router> {
        let name = self.name_of::<J>(node);
        match &self.backend {
            Backend::Redis { conn, .. } => {
                api.register(&name, self.redis_queue::<J>(conn, &name, 1).listing(listed.clone()))
            }
            Backend::Sqlite(pool) => api.register(&name, sqlite_storage::<J>(pool, &name, None)),
        }
    }
}
