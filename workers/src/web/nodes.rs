//! `GET /api/nodes`, `GET /api/nodes/{node}`: the push hosts as they last reported: live or
//! not, limits, used and reserved bytes and videos, free disk, referenced vs evictable bytes,
//! DIR_INFO.

use axum::{
    Json,
    extract::{Path, State},
};
use serde::Serialize;
use shared::{
    App,
    db::now_ms,
    directory::is_live,
    domain::{NodeId, NodeStatus},
};

use super::{
    error::ApiError,
    openapi::{BadRequest, NotFound, Unauthorized, Unavailable},
};

/// A push host as it last reported.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct NodeView {
    pub live: bool,
    /// Bytes no class references: what eviction may take back.
    pub evictable_bytes: u64,
    #[serde(flatten)]
    pub status: NodeStatus,
}

fn view(app: &App, status: NodeStatus) -> NodeView {
    NodeView {
        live: is_live(&status, app.settings.node_live_for(), now_ms()),
        evictable_bytes: status.evictable_bytes(),
        status,
    }
}

fn directory_down(err: impl std::fmt::Display) -> ApiError {
    ApiError::queue(format!("node directory: {err}"))
}

/// Every push host that has reported, by name.
#[utoipa::path(get, path = "/api/nodes", tag = "nodes",
    responses(
        (status = 200, description = "The push hosts", body = Vec<NodeView>,
            example = json!([example()])),
        (status = 401, response = Unauthorized), (status = 503, response = Unavailable)),
    security(("bearer" = []), ("cookie" = [])))]
pub(super) async fn list(State(app): State<App>) -> Result<Json<Vec<NodeView>>, ApiError> {
    let mut statuses = app.directory.statuses().await.map_err(directory_down)?;
    statuses.sort_by(|a, b| a.node.cmp(&b.node));
    Ok(Json(statuses.into_iter().map(|s| view(&app, s)).collect()))
}

/// One push host.
#[utoipa::path(get, path = "/api/nodes/{node}", tag = "nodes",
    params(("node" = NodeId, Path, description = "the push host's NODE_ID", example = "host-1")),
    responses(
        (status = 200, description = "The push host", body = NodeView, example = json!(example())),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 404, response = NotFound), (status = 503, response = Unavailable)),
    security(("bearer" = []), ("cookie" = [])))]
pub(super) async fn show(State(app): State<App>, Path(node): Path<String>) -> Result<Json<NodeView>, ApiError> {
    let node: NodeId = node.parse().map_err(|e| ApiError::invalid("node", e))?;
    let status = app.directory.status(&node).await.map_err(directory_down)?;
    let status = status.ok_or_else(|| ApiError::not_found(format!("no node {node:?} has reported")))?;
    Ok(Json(view(&app, status)))
}

/// The API document's example of a push host.
fn example() -> NodeView {
    let status = super::openapi::examples::node_status();
    NodeView { live: true, evictable_bytes: status.evictable_bytes(), status }
}
