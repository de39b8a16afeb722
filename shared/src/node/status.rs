//! What a push host publishes about itself every `NODE_HEARTBEAT`: that it is alive, its
//! limits and running totals, its free disk and DIR_INFO. Read from the totals row and
//! `cache_dirs` (never a SUM over the videos), written with one command to the directory.

use std::sync::atomic::Ordering;

use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};

use super::{
    NodeServices,
    cache::{reserve::free_disk_bytes, store},
    gauges::Gauges,
};
use crate::{
    db::{cache_dirs, now_ms},
    domain::{DirInfo, NodeStatus},
};

/// This node's status now.
pub async fn current(node: &NodeServices, gauges: &Gauges) -> Result<NodeStatus, DbErr> {
    let conn = &node.cache.conn;
    let totals = store::totals(conn, node.id()).await?;
    let evictions = store::evictions(conn, node.id()).await?;
    let dirs = cache_dirs::Entity::find().filter(cache_dirs::Column::Node.eq(node.id())).all(conn).await?;
    let limits = node.limits();
    Ok(NodeStatus {
        node: node.settings.node_id.clone(),
        video_root: node.settings.video_root.display().to_string(),
        seen_at: now_ms(),
        started_at: node.started_at,
        max_video_size_bytes: limits.max_bytes,
        max_video_num: limits.max_count,
        min_free_disk_bytes: limits.min_free_bytes,
        used_bytes: totals.used_bytes,
        video_count: totals.video_count,
        reserved_bytes: totals.reserved_bytes,
        reserved_count: totals.reserved_count,
        referenced_bytes: totals.referenced_bytes,
        free_disk_bytes: free_disk_bytes(&node.settings.video_root),
        evictions,
        downloads_active: gauges.downloads_active.load(Ordering::Relaxed),
        downloads_at_risk: gauges.downloads_at_risk.load(Ordering::Relaxed),
        unknown_files: gauges.unknown_files.load(Ordering::Relaxed),
        downloaded_bytes: gauges.downloaded_bytes.load(Ordering::Relaxed),
        download_millis: gauges.download_millis.load(Ordering::Relaxed),
        dir_info: dirs
            .into_iter()
            .filter(|d| d.video_count > 0)
            .map(|d| DirInfo {
                dir: d.dir,
                size_bytes: d.size_bytes.max(0) as u64,
                video_count: d.video_count.max(0) as u64,
            })
            .collect(),
    })
}

/// One heartbeat: the status, published.
pub async fn beat(node: &NodeServices, gauges: &Gauges) -> Result<NodeStatus, String> {
    let status = current(node, gauges).await.map_err(|e| e.to_string())?;
    node.directory.beat(&status, node.settings.node_live_for()).await.map_err(|e| e.to_string())?;
    Ok(status)
}
