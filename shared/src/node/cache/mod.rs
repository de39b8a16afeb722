//! A push host's cache of videos, in its own database (docs/design/push-hosts.md): which videos
//! are on its disk, which classes reference them (num_cite), running totals per node, and the
//! per-directory summary (DIR_INFO). The decisions are pure (`evict`); the rest applies them in
//! short transactions, each row change together with the totals it moves.

pub mod claim;
mod disk_full;
pub mod evict;
pub mod fetch;
pub mod finish;
pub mod hold;
pub mod holdings;
pub mod manager;
pub mod purge;
pub mod refs;
pub mod reserve;
pub mod restore;
pub mod scan;
pub mod store;
mod watch;

#[cfg(test)]
mod model_tests;

use std::path::Path;

use sea_orm::DbErr;

use super::{DownloadError, NodeServices};
use crate::domain::{ClassId, Retryable};

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("the node's cache index: {0}")]
    Db(#[from] DbErr),
    #[error(transparent)]
    Download(#[from] DownloadError),
    /// Another process took the download over while this one stalled; it finishes it.
    #[error("the download of {0} was taken over by another process")]
    LostClaim(String),
    #[error("interrupted by shutdown")]
    Interrupted,
    /// The hold on eviction (`VIDEO_ROOT/.vteacher-refs-pending`) could not be released.
    #[error("the hold on eviction: {0}")]
    Hold(String),
}

impl Retryable for CacheError {
    fn is_retryable(&self) -> bool {
        match self {
            Self::Download(e) => e.is_retryable(),
            Self::Db(_) | Self::LostClaim(_) | Self::Interrupted | Self::Hold(_) => true,
        }
    }

    fn is_interrupted(&self) -> bool {
        match self {
            Self::Download(e) => e.is_interrupted(),
            Self::Interrupted => true,
            _ => false,
        }
    }
}

/// The class is over on this node: its reference drops once. Returns whether anything changed.
pub async fn end_class(node: &NodeServices, class_id: &ClassId) -> Result<bool, DbErr> {
    let txn = node.cache.write_txn().await?;
    let changed = refs::end(&txn, node.id(), class_id).await?;
    txn.commit().await?;
    Ok(changed)
}

/// Removes a download's `.part` and its sidecar (abandoned: no class needs it).
pub(crate) async fn part_gone(dest: &Path) {
    for suffix in [".part", ".part.json"] {
        let mut name = dest.as_os_str().to_owned();
        name.push(suffix);
        let _ = tokio::fs::remove_file(std::path::PathBuf::from(name)).await;
    }
}
