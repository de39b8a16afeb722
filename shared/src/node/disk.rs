//! A push host's disk is checked, not assumed (docs/design/push-hosts.md "The disk and its
//! marker"). On its first start with an empty `VIDEO_ROOT` the node writes a marker there
//! (`.vteacher-root`: its id and when). At every start the marker and the index are compared:
//!
//! - marker there, index knows this node: the disk is the one the index describes;
//! - marker missing, index holds videos none of which is on the disk: the disk is not mounted
//!   (the mount point is an empty directory), and nothing may be downloaded or adopted there;
//! - marker missing, index empty (a first start) or holding files that are there (a cache from
//!   before markers): the marker is written;
//! - marker there, index knows nothing of this node: the index was lost (deleted, or corrupt
//!   and set aside): it is rebuilt from the disk, its references from the central side.

use std::path::{Path, PathBuf};

use sea_orm::{ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};

use super::NodeServices;
use crate::{
    db::{cache_totals, cache_videos, now_ms},
    domain::NodeId,
};

/// The marker's name in `VIDEO_ROOT`.
pub const MARKER: &str = ".vteacher-root";

/// Indexed videos looked for on the disk when the marker is missing.
const SAMPLE: u64 = 16;

#[derive(Debug, thiserror::Error)]
pub enum DiskError {
    #[error("the node's cache index: {0}")]
    Db(#[from] DbErr),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// What the marker says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Marker {
    /// `None` when the marker is there but cannot be read (it still marks the disk).
    pub node: Option<NodeId>,
    /// Unix ms when the node first used this disk.
    pub created_at: i64,
}

/// What a start finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disk {
    /// The disk the index describes (or a first start, now marked).
    Ready,
    /// `VIDEO_ROOT` lacks the marker and the index's videos: its disk is not mounted.
    NotMounted { indexed: u64 },
    /// The marker is there but the index knows nothing of this node: it was lost.
    IndexLost,
}

/// Compares the marker, the index and the disk; writes the marker on a first start.
pub async fn check(node: &NodeServices) -> Result<Disk, DiskError> {
    let root = &node.settings.video_root;
    let marker = read_marker(root).await;
    let conn = &node.cache.conn;
    let known = cache_totals::Entity::find_by_id(node.id().as_str().to_owned()).one(conn).await?.is_some();
    let videos =
        cache_videos::Entity::find().filter(cache_videos::Column::Node.eq(node.id())).limit(SAMPLE).all(conn).await?;
    if let Some(marker) = marker {
        if marker.node.as_ref().is_some_and(|marked| marked != node.id()) {
            tracing::warn!(node = %node.id(), marked_by = ?marker.node, root = %root.display(),
                "VIDEO_ROOT was marked by another node id; used as this node's");
        }
        return Ok(if known || !videos.is_empty() { Disk::Ready } else { Disk::IndexLost });
    }
    if !videos.is_empty() && !videos.iter().any(|v| root.join(&v.path).is_file()) {
        let indexed = cache_videos::Entity::find().filter(cache_videos::Column::Node.eq(node.id())).count(conn).await?;
        return Ok(Disk::NotMounted { indexed });
    }
    write_marker(root, node.id()).await?;
    tracing::info!(node = %node.id(), root = %root.display(), "VIDEO_ROOT marked as this node's disk");
    Ok(Disk::Ready)
}

async fn read_marker(root: &Path) -> Option<Marker> {
    let text = tokio::fs::read(root.join(MARKER)).await.ok()?;
    match serde_json::from_slice(&text) {
        Ok(marker) => Some(marker),
        // A marker damaged but present still says this is the disk.
        Err(_) => Some(Marker { node: None, created_at: 0 }),
    }
}

/// Writes the marker (to a temporary name, then renamed: never half a marker).
pub async fn write_marker(root: &Path, node: &NodeId) -> Result<(), DiskError> {
    let marker = Marker { node: Some(node.clone()), created_at: now_ms() };
    let path = root.join(MARKER);
    let temporary = root.join(format!("{MARKER}.tmp"));
    let io = |source| DiskError::Io { path: path.clone(), source };
    let body = serde_json::to_vec_pretty(&marker).expect("a marker serializes");
    tokio::fs::write(&temporary, body).await.map_err(io)?;
    tokio::fs::rename(&temporary, &path).await.map_err(io)
}
