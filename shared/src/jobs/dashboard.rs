//! The queues as apalis-board shows them (its API under `/api/v1`): every job of the list, a
//! per-node job once per node known to the database.

use apalis_board::axum::framework::ApiBuilder;
use axum::Router;
use sea_orm::EntityTrait;

use super::JOBS;
use crate::{app::App, db::nodes, domain::NodeId, queue::Queues};

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

/// apalis-board's API router for vteacher's queues.
pub fn board_api(queues: &Queues, nodes: &[NodeId]) -> Router {
    let mut api = ApiBuilder::new(Router::new());
    for job in JOBS {
        if job.is_per_node() {
            for node in nodes {
                api = (job.show)(api, queues, Some(node));
            }
        } else {
            api = (job.show)(api, queues, None);
        }
    }
    api.build()
}
