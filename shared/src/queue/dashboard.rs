//! The queues as apalis-board shows them: its API (served under `/api/v1`) for every queue of
//! vteacher, per-node queues for every node known to the database.

use apalis_board::axum::framework::{ApiBuilder, RegisterRoute};
use axum::Router;
use sea_orm::EntityTrait;

use super::{
    backend::{Backend, Queues, redis_storage, sqlite_storage},
    booking::BookingJob,
    download::DownloadJob,
    notify::NotifyJob,
};
use crate::{app::App, db::nodes, domain::NodeId};

/// This process's node and every node that has sent a heartbeat.
pub async fn known_nodes(app: &App) -> Vec<NodeId> {
    let mut known = vec![app.settings.node_id.clone()];
    let stored = nodes::Entity::find().all(&app.db.conn).await.unwrap_or_default();
    for node in stored.iter().filter_map(|n| n.node_id.parse::<NodeId>().ok()) {
        if !known.contains(&node) {
            known.push(node);
        }
    }
    known
}

macro_rules! register_all {
    ($api:ident, $queues:expr, $nodes:expr, $storage:ident, $conn:expr) => {{
        let name = $queues.name_of::<BookingJob>(None);
        $api = $api.register(&name, $storage::<BookingJob>($conn, &name, None));
        let name = $queues.name_of::<NotifyJob>(None);
        $api = $api.register(&name, $storage::<NotifyJob>($conn, &name, None));
        for node in $nodes {
            let name = $queues.name_of::<DownloadJob>(Some(node));
            $api = $api.register(&name, $storage::<DownloadJob>($conn, &name, None));
        }
    }};
}

/// apalis-board's API router for vteacher's queues.
pub fn api(queues: &Queues, nodes: &[NodeId]) -> Router {
    let mut api = ApiBuilder::new(Router::new());
    match &queues.backend {
        Backend::Redis(conn) => register_all!(api, queues, nodes, redis_storage, conn),
        Backend::Sqlite(pool) => register_all!(api, queues, nodes, sqlite_storage, pool),
    }
    api.build()
}
