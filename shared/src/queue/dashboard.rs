//! The queues as apalis-board shows them: its API (served under `/api/v1`) for every queue of
//! vteacher, per-node queues for every node known to the database.

use apalis_board::axum::framework::{ApiBuilder, RegisterRoute};
use axum::Router;
use sea_orm::EntityTrait;

use super::{
    backend::{Backend, Queues, sqlite_storage},
    booking::BookingJob,
    download::DownloadJob,
    notify::NotifyJob,
    transcode_ecs::TranscodeEcsJob,
    transcode_oss::TranscodeOssJob,
    transcode_result::TranscodeResultJob,
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

/// Registers every queue with apalis-board, `$make!(JobType, name)` making its storage.
macro_rules! register_all {
    ($api:ident, $queues:expr, $nodes:expr, $make:ident) => {{
        let name = $queues.name_of::<BookingJob>(None);
        $api = $api.register(&name, $make!(BookingJob, &name));
        let name = $queues.name_of::<TranscodeResultJob>(None);
        $api = $api.register(&name, $make!(TranscodeResultJob, &name));
        let name = $queues.name_of::<NotifyJob>(None);
        $api = $api.register(&name, $make!(NotifyJob, &name));
        let name = $queues.name_of::<TranscodeOssJob>(None);
        $api = $api.register(&name, $make!(TranscodeOssJob, &name));
        let name = $queues.name_of::<TranscodeEcsJob>(None);
        $api = $api.register(&name, $make!(TranscodeEcsJob, &name));
        for node in $nodes {
            let name = $queues.name_of::<DownloadJob>(Some(node));
            $api = $api.register(&name, $make!(DownloadJob, &name));
        }
    }};
}

/// apalis-board's API router for vteacher's queues.
pub fn api(queues: &Queues, nodes: &[NodeId]) -> Router {
    let mut api = ApiBuilder::new(Router::new());
    match &queues.backend {
        Backend::Redis { conn, .. } => {
            macro_rules! redis_queue {
                ($job:ty, $name:expr) => {
                    queues.redis_queue::<$job>(conn, $name, 1)
                };
            }
            register_all!(api, queues, nodes, redis_queue)
        }
        Backend::Sqlite(pool) => {
            macro_rules! sqlite_queue {
                ($job:ty, $name:expr) => {
                    sqlite_storage::<$job>(pool, $name, None)
                };
            }
            register_all!(api, queues, nodes, sqlite_queue)
        }
    }
    api.build()
}
