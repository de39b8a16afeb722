//! The node directory: what push hosts publish about themselves (liveness and totals, every
//! `NODE_HEARTBEAT`; a download's progress) and the central side reads (placement,
//! `GET /api/nodes`, a booking's status). With Redis it is a few keys per node, one command per
//! heartbeat, so a node needs no database credentials; without Redis (the embedded default, one
//! machine) it is two tables of the state database.
//!
//! ```text
//! <prefix>:nodes            SET  every node id that reported within a day (pruned as read)
//! <prefix>:node:<id>        STR  its last NodeStatus (JSON), kept a day
//! <prefix>:progress:<class> STR  a download's DownloadProgress (JSON), kept ten minutes
//! <prefix>:place:…          placement's record (`placement::redis`)
//! ```

mod db;
pub mod placement;
mod redis_keys;

pub use redis_keys::{NodeGrant, node_grants};

use std::{collections::HashSet, time::Duration};

use redis::aio::ConnectionManager;

use crate::{
    db::now_ms,
    domain::{ClassId, DownloadProgress, NodeId, NodeStatus, Retryable},
};

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("node directory (Redis): {0}")]
    Redis(#[from] redis::RedisError),
    #[error("node directory (database): {0}")]
    Db(#[from] sea_orm::DbErr),
}

impl Retryable for DirectoryError {
    fn is_retryable(&self) -> bool {
        true
    }
}

#[derive(Clone)]
enum Store {
    Redis { conn: ConnectionManager, prefix: String },
    Db(sea_orm::DatabaseConnection),
}

#[derive(Clone)]
pub struct Directory {
    store: Store,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.store {
            Store::Redis { .. } => "redis",
            Store::Db(_) => "database",
        };
        f.debug_struct("Directory").field("store", &kind).finish()
    }
}

impl Directory {
    /// In Redis under `prefix` (a fleet).
    pub fn redis(conn: ConnectionManager, prefix: &str) -> Self {
        Self::of(Store::Redis { conn, prefix: prefix.to_owned() })
    }

    /// In the state database (no Redis: one machine).
    pub fn database(conn: sea_orm::DatabaseConnection) -> Self {
        Self::of(Store::Db(conn))
    }

    fn of(store: Store) -> Self {
        Self { store }
    }

    /// Publishes this node's status (its heartbeat). A node that joins, or comes back after
    /// more than `live_for` away, puts itself back in placement's ring.
    pub async fn beat(&self, status: &NodeStatus, live_for: Duration) -> Result<(), DirectoryError> {
        match &self.store {
            Store::Redis { conn, prefix } => redis_keys::beat(conn.clone(), prefix, status, live_for).await?,
            Store::Db(conn) => db::beat(conn, status).await?,
        }
        Ok(())
    }

    /// Every node that reported within a day, with its last status.
    pub async fn statuses(&self) -> Result<Vec<NodeStatus>, DirectoryError> {
        Ok(match &self.store {
            Store::Redis { conn, prefix } => redis_keys::statuses(conn.clone(), prefix).await?,
            Store::Db(conn) => db::statuses(conn).await?,
        })
    }

    /// The nodes live now: each seen within `live_for`.
    pub async fn live_nodes(&self, live_for: Duration) -> Result<HashSet<NodeId>, DirectoryError> {
        let now = now_ms();
        Ok(self.statuses().await?.into_iter().filter(|s| is_live(s, live_for, now)).map(|s| s.node).collect())
    }

    /// Places the video at `path` on a live push host and records it, in one step
    /// (`placement`); `holders` hold it or have it on the way, as the database says. `None`:
    /// no live node can take it.
    pub async fn place(
        &self,
        path: &str,
        holders: &[NodeId],
        live_for: Duration,
    ) -> Result<Option<NodeId>, DirectoryError> {
        let now = now_ms();
        Ok(match &self.store {
            Store::Redis { conn, prefix } => {
                placement::redis::place(conn.clone(), prefix, path, holders, live_for, now).await?
            }
            Store::Db(conn) => placement::db::place(conn, path, holders, live_for, now).await?,
        })
    }

    /// `node` holds the videos at `paths` (its ready and holdings reports): placement's record
    /// follows. Without Redis the record is the database itself: nothing to do.
    pub async fn placed_held(&self, node: &NodeId, paths: &[String]) -> Result<(), DirectoryError> {
        if let Store::Redis { conn, prefix } = &self.store {
            placement::redis::hold(conn.clone(), prefix, node, paths).await?;
        }
        Ok(())
    }

    /// `node` no longer holds the videos at `paths` (evicted).
    pub async fn placed_let_go(&self, node: &NodeId, paths: &[String]) -> Result<(), DirectoryError> {
        if let Store::Redis { conn, prefix } = &self.store {
            placement::redis::let_go(conn.clone(), prefix, node, paths).await?;
        }
        Ok(())
    }

    /// `node`'s full holdings report has ended: of the videos placed on it before `before`,
    /// those not in `keep` (neither held nor on their way, as the database says) are placed
    /// nowhere.
    pub async fn placed_keep_only(
        &self,
        node: &NodeId,
        keep: &HashSet<String>,
        before: i64,
    ) -> Result<(), DirectoryError> {
        if let Store::Redis { conn, prefix } = &self.store {
            let placed = placement::redis::placed_before(conn.clone(), prefix, node, before).await?;
            let stale: Vec<String> = placed.into_iter().filter(|path| !keep.contains(path)).collect();
            if !stale.is_empty() {
                tracing::info!(%node, videos = stale.len(), "placement let go of videos the node neither holds nor awaits");
                placement::redis::let_go(conn.clone(), prefix, node, &stale).await?;
            }
        }
        Ok(())
    }

    pub async fn status(&self, node: &NodeId) -> Result<Option<NodeStatus>, DirectoryError> {
        Ok(match &self.store {
            Store::Redis { conn, prefix } => redis_keys::status(conn.clone(), prefix, node).await?,
            Store::Db(conn) => db::status(conn, node).await?,
        })
    }

    /// Publishes a download's progress for `class_id`. Best effort: a lost update only makes
    /// the status a little older.
    pub async fn set_progress(&self, class_id: &ClassId, progress: &DownloadProgress) {
        let stored = match &self.store {
            Store::Redis { conn, prefix } => {
                redis_keys::set_progress(conn.clone(), prefix, class_id, progress).await.map_err(|e| e.to_string())
            }
            Store::Db(conn) => db::set_progress(conn, class_id, progress).await.map_err(|e| e.to_string()),
        };
        if let Err(err) = stored {
            tracing::debug!(%class_id, %err, "could not publish a download's progress");
        }
    }

    pub async fn progress(&self, class_id: &ClassId) -> Option<DownloadProgress> {
        let found = match &self.store {
            Store::Redis { conn, prefix } => redis_keys::progress(conn.clone(), prefix, class_id).await.ok()?,
            Store::Db(conn) => db::progress(conn, class_id).await.ok()?,
        };
        // Ten minutes without news is no news.
        found.filter(|p| now_ms() - p.updated_at < 10 * 60 * 1000)
    }
}

/// Whether `status` is live `now` (unix ms).
pub fn is_live(status: &NodeStatus, live_for: Duration, now: i64) -> bool {
    now - status.seen_at <= live_for.as_millis() as i64
}
