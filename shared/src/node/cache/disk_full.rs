//! A download that meets a full disk (another process filled the filesystem after the video's
//! room was reserved): unreferenced videos are evicted, least recently used first, until what
//! is left of the download fits above `MIN_FREE_DISK`; the download then resumes from its
//! `.part`. Only when nothing can go does it fail, with the numbers, and its `.part` goes.

use std::path::Path;

use super::reserve::{Evicted, RoomError};
use crate::node::{DownloadError, NodeServices};

/// Makes room for the rest of the download into `dest` (`total` bytes in all): the videos
/// evicted, or the error the download fails with.
pub(super) async fn make_room(
    node: &NodeServices,
    dest: &Path,
    total: u64,
    full: &Path,
) -> Result<Vec<Evicted>, DownloadError> {
    let mut part = dest.as_os_str().to_owned();
    part.push(".part");
    let written = tokio::fs::metadata(&part).await.map_or(0, |m| m.len());
    // The rest of the video, a write buffer's worth of slack, and the floor the disk keeps.
    let needed = total.saturating_sub(written) + WRITE_SLACK + node.settings.min_free_disk.bytes();
    let (evicted, free) = match node.room().free_disk(needed).await {
        Ok(done) => done,
        Err(RoomError::Db(db)) => return Err(DownloadError::Index(db.to_string())),
        Err(err) => return Err(DownloadError::Index(err.to_string())),
    };
    if free < needed {
        tracing::warn!(node = %node.id(), path = %dest.display(), free, needed, "disk full and nothing can be evicted");
        return Err(DownloadError::DiskFullNothingToEvict { path: full.to_owned(), free, needed });
    }
    let bytes: u64 = evicted.iter().map(|e| e.bytes).sum();
    tracing::warn!(node = %node.id(), path = %dest.display(), videos = evicted.len(), bytes, free,
        "disk filled mid-download: room made by eviction, resuming");
    Ok(evicted)
}

/// Bytes beyond the video's rest: what a write in flight may hold.
const WRITE_SLACK: u64 = 64 * 1024;
