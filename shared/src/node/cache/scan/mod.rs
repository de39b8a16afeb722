//! The start-up scan of `VIDEO_ROOT` (原文：每次启动时会扫描磁盘), after nginx's cache loader: it
//! runs beside the workers, in batches, and holds no booking back. Files on disk but not in the
//! index are adopted (size, mtime as last use, no reference); rows whose file is gone are
//! dropped, and a class still attached to one gets its download again; `.part` files are kept
//! for resume, those untouched for `PART_MAX_AGE` removed; files that match no layout are
//! reported, never deleted; deletions and downloads a dead process left half done are
//! finished or released. Then the totals and DIR_INFO are summed once, from the rows.

mod walk;

use std::{collections::HashSet, path::Path, time::Duration};

use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{claim, refs, store};
use crate::{
    db::{cache_videos, now_ms},
    domain::{DownloadOrder, VideoKey, VideoState},
    node::NodeServices,
};
pub use walk::{Found, walk};

/// Files per transaction.
pub const BATCH: usize = 500;

/// What a scan found and did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Scanned {
    pub files: u64,
    pub adopted: u64,
    pub dropped: u64,
    pub parts_kept: u64,
    pub parts_removed: u64,
    /// Files that match no layout (reported, never deleted).
    pub unknown: Vec<String>,
    /// Videos dropped because their file was gone.
    pub gone: Vec<VideoKey>,
    /// Classes whose video was gone: downloaded again.
    pub redownload: Vec<DownloadOrder>,
}

/// Scans `VIDEO_ROOT` and reconciles the index with it. `progress` hears the files seen so far.
pub async fn scan(node: &NodeServices, progress: &(dyn Fn(u64) + Sync)) -> Result<Scanned, DbErr> {
    let mut scanned = Scanned::default();
    release_stale_claims(node).await?;
    let mut seen = HashSet::new();
    let mut batches = walk(node.settings.video_root.clone(), BATCH);
    while let Some(batch) = batches.recv().await {
        scanned.files += batch.len() as u64;
        adopt(node, &batch, &mut scanned, &mut seen).await?;
        progress(scanned.files);
    }
    drop_missing(node, &seen, &mut scanned).await?;
    store::recount(node.cache.write_txn().await?, node.id()).await?;
    tracing::info!(
        node = %node.id(),
        files = scanned.files,
        adopted = scanned.adopted,
        dropped = scanned.dropped,
        parts_kept = scanned.parts_kept,
        parts_removed = scanned.parts_removed,
        unknown = scanned.unknown.len(),
        "start-up scan done"
    );
    Ok(scanned)
}

/// Rows a dead process left claimed: a deletion is finished, a download's reservation freed
/// (its `.part` stays for the next claimant to resume).
async fn release_stale_claims(node: &NodeServices) -> Result<(), DbErr> {
    let stale = cache_videos::Entity::find()
        .filter(cache_videos::Column::Node.eq(node.id()))
        .filter(cache_videos::Column::State.ne(VideoState::Ready))
        .all(&node.cache.conn)
        .await?;
    for video in stale.into_iter().filter(|v| !claim::is_held(v, now_ms())) {
        if video.state == VideoState::Evicting {
            let _ = tokio::fs::remove_file(node.settings.video_root.join(&video.path)).await;
            cache_videos::Entity::delete_by_id(video.id).exec(&node.cache.conn).await?;
            continue;
        }
        let claim = claim::Claim {
            video_id: video.id,
            owner: video.owner.clone().unwrap_or_default(),
            path: video.path.clone(),
            reserved: video.size_bytes.max(0) as u64,
        };
        claim::release(&node.cache.conn, node.id(), &claim).await?;
    }
    Ok(())
}

async fn adopt(
    node: &NodeServices,
    batch: &[Found],
    scanned: &mut Scanned,
    seen: &mut HashSet<String>,
) -> Result<(), DbErr> {
    let max_age = node.settings.part_max_age.0;
    let mut videos = Vec::new();
    for found in batch {
        if let Some(video) = found.path.strip_suffix(".part") {
            if found.age > max_age && !is_claimed(node, video).await? {
                super::part_gone(&node.settings.video_root.join(video)).await;
                scanned.parts_removed += 1;
            } else {
                scanned.parts_kept += 1;
            }
        } else if found.path.ends_with(".part.json") || found.path.starts_with(".vteacher-") {
            // A sidecar, or vteacher's own (the disk's marker, the hold on eviction).
        } else if let Some(key) = VideoKey::from_relative_path(&found.path) {
            seen.insert(found.path.clone());
            videos.push((key, found));
        } else {
            if scanned.unknown.len() < 20 {
                tracing::warn!(
                    node = %node.id(),
                    file = found.path,
                    "a file under VIDEO_ROOT matches no layout; left alone"
                );
            }
            scanned.unknown.push(found.path.clone());
        }
    }
    let txn = node.cache.write_txn().await?;
    for (key, found) in videos {
        if store::insert_ready(&txn, node.id(), &key, &found.path, found.bytes, found.modified_ms).await? {
            scanned.adopted += 1;
        }
    }
    txn.commit().await
}

async fn is_claimed(node: &NodeServices, path: &str) -> Result<bool, DbErr> {
    let video = store::video(&node.cache.conn, node.id(), path).await?;
    Ok(video.is_some_and(|v| v.state != VideoState::Ready && claim::is_held(&v, now_ms())))
}

/// Drops ready rows whose file is not on the disk (looked at once more, in case a download
/// put it there during the walk); their attached classes are downloaded again.
async fn drop_missing(node: &NodeServices, seen: &HashSet<String>, scanned: &mut Scanned) -> Result<(), DbErr> {
    let mut after = 0;
    loop {
        let page = cache_videos::Entity::find()
            .filter(cache_videos::Column::Node.eq(node.id()))
            .filter(cache_videos::Column::Id.gt(after))
            .filter(cache_videos::Column::State.eq(VideoState::Ready))
            .order_by_asc(cache_videos::Column::Id)
            .limit(BATCH as u64)
            .all(&node.cache.conn)
            .await?;
        let Some(last) = page.last() else { return Ok(()) };
        after = last.id;
        for video in page.into_iter().filter(|v| !seen.contains(&v.path)) {
            if exists(&node.settings.video_root, &video.path).await {
                continue;
            }
            let txn = node.cache.write_txn().await?;
            let orders = refs::detach_all(&txn, &video).await?;
            store::remove_ready(&txn, &video).await?;
            txn.commit().await?;
            tracing::warn!(
                node = %node.id(),
                path = video.path,
                classes = orders.len(),
                "video missing from the disk; row dropped"
            );
            scanned.dropped += 1;
            scanned.gone.extend(VideoKey::from_relative_path(&video.path));
            scanned.redownload.extend(orders);
        }
    }
}

async fn exists(root: &Path, path: &str) -> bool {
    tokio::fs::metadata(root.join(path)).await.is_ok_and(|m| m.is_file())
}

/// How old a file is, from its mtime.
pub(crate) fn age_of(modified_ms: i64) -> Duration {
    Duration::from_millis((now_ms() - modified_ms).max(0) as u64)
}
