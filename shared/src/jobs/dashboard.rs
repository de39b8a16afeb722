//! The queues as apalis-board shows them (its API under `/api/v1`): every job of the list, a
//! per-node job once per node the directory knows, with the answers corrected for its UI
//! (`queue::board_view`: each failed job's error, no 1970 dates).

use super::JOBS;
use crate::{app::App, domain::NodeId};
use apalis_board::axum::framework::ApiBuilder;
use axum::{Router, middleware};
use vteacher_queue::{Queues, board_view, queue_name};

/// This process's node and every node that has reported to the directory.
pub async fn known_nodes(app: &App) -> Vec<NodeId> {
    let mut known = vec![app.settings.node_id.clone()];
    for status in app.directory.statuses().await.unwrap_or_default() {
        if !known.contains(&status.node) {
            known.push(status.node);
        }
    }
    known
}

/// The name of every queue `board_api` shows for `nodes`.
pub fn board_queues(queues: &Queues, nodes: &[NodeId]) -> Vec<String> {
    let mut names = Vec::new();
    for job in JOBS {
        if job.is_per_node() {
            names.extend(nodes.iter().map(|node| queue_name(queues.prefix(), job.queue, Some(node.as_str()))));
        } else {
            names.push(queue_name(queues.prefix(), job.queue, None));
        }
    }
    names
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
    api.build().layer(middleware::from_fn_with_state(queues.clone(), board_view::corrected))
}
