//! The queues as apalis-board shows them (its API under `/api/v1`), with the answers corrected
//! for its UI (`queue::board_view`: each failed job's error, no 1970 dates). The board lists
//! every shared queue and this process's own node's queues (the push host's, in one process);
//! any other push host's queue is served on request (`board_queue_api`), so that what a page
//! costs does not grow with the fleet.

use std::sync::Arc;

use super::JOBS;
use crate::domain::NodeId;
use apalis_board::axum::framework::ApiBuilder;
use axum::{Router, middleware};
use vteacher_queue::{Queues, board_view, queue_name, split_queue_name};

/// The name of every queue `board_api` lists: each shared queue, and `node`'s per-node ones.
pub fn board_queues(queues: &Queues, node: &NodeId) -> Vec<String> {
    let on = |per_node: bool| per_node.then_some(node.as_str());
    JOBS.iter().map(|job| queue_name(queues.prefix(), job.queue, on(job.is_per_node()))).collect()
}

/// apalis-board's API for the queues `board_queues` lists.
pub fn board_api(queues: &Queues, node: &NodeId) -> Router {
    let listed: Arc<[String]> = board_queues(queues, node).into();
    let mut api = ApiBuilder::new(Router::new());
    for job in JOBS {
        let node = job.is_per_node().then_some(node);
        api = (job.show)(api, queues, node, &listed);
    }
    corrected(api, queues)
}

/// apalis-board's API for one push host's queue named in a request (`<prefix>:download:<host>`),
/// built when asked; `None` when the name is no per-node queue of ours.
pub fn board_queue_api(queues: &Queues, name: &str) -> Option<Router> {
    let (base, node) = split_queue_name(queues.prefix(), name);
    let node: NodeId = node?.parse().ok()?;
    let job = JOBS.iter().find(|job| job.is_per_node() && job.queue == base)?;
    let listed: Arc<[String]> = [name.to_owned()].into();
    Some(corrected((job.show)(ApiBuilder::new(Router::new()), queues, Some(&node), &listed), queues))
}

fn corrected(api: ApiBuilder<Router>, queues: &Queues) -> Router {
    api.build().layer(middleware::from_fn_with_state(queues.clone(), board_view::corrected))
}
