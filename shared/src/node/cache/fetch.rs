//! Putting a class's video on this push host's disk: a cache hit, or one download however
//! many classes (and processes) want the video at once. The class's reference is registered
//! first; the first to claim the video downloads it (reserving its size, evicting to make
//! room) while the others wait, and when it is in place every class waiting on it is attached
//! in one transaction: they become ready together.

use std::time::Duration;

use sea_orm::{DbErr, EntityTrait};

use super::{
    CacheError,
    claim::{self, Claim, Seen},
    disk_full, finish,
    finish::Delivery,
    refs,
    reserve::Evicted,
    store,
    watch::Watcher,
};
use crate::{
    db::cache_refs,
    domain::{ClassId, DownloadOrder, RefState, Retryable},
    node::{DownloadError, Downloader, NodeServices, bandwidth::Share},
};

/// Rounds of making room on a full disk within one attempt (another process may go on filling it).
const DISK_FULL_ROUNDS: usize = 3;

/// How often a class waiting for another's download looks again.
const WAIT_STEP: Duration = Duration::from_millis(250);

/// What became of the class, and the videos deleted to make room on the way.
#[derive(Debug)]
pub struct Put {
    pub delivery: Delivery,
    pub evicted: Vec<Evicted>,
}

enum Turn {
    Done(Delivery),
    Claimed(Claim),
    Wait,
}

/// Puts `order`'s video on the disk for its class. Idempotent: a repeat finds the class
/// attached (or ended) and says so.
pub async fn put_on_disk(node: &NodeServices, order: &DownloadOrder) -> Result<Put, CacheError> {
    let path = order.key.relative_path_text();
    let mut claim = loop {
        match take_turn(node, order, &path).await? {
            Turn::Done(delivery) => return Ok(Put { delivery, evicted: Vec::new() }),
            Turn::Claimed(claim) => break claim,
            Turn::Wait => {
                tokio::select! {
                    () = tokio::time::sleep(WAIT_STEP) => {}
                    () = node.shutdown.cancelled() => return Err(CacheError::Interrupted),
                }
            }
        }
    };
    let dest = node.settings.video_root.join(&path);
    // Already in place without a row: a crash after the rename, or a file the scan has not
    // reached yet. It is the video: adopt it.
    if let Ok(meta) = tokio::fs::metadata(&dest).await
        && meta.is_file()
    {
        let delivery = finish::finish(node, &claim, meta.len(), None).await?;
        return Ok(Put { delivery, evicted: Vec::new() });
    }
    let watcher = Watcher::new(node, order, &path, claim.clone());
    let downloader = Downloader {
        http: &node.sources,
        idle_timeout: node.settings.download_idle_timeout.0,
        rate: node.settings.download_rate,
        cancel: &node.shutdown,
        watch: Some(&watcher),
        share: Some(Share { bandwidth: &node.bandwidth, priority: order.class_start_at.unwrap_or(Share::UNDATED) }),
    };
    let started = std::time::Instant::now();
    let mut freed = Vec::new();
    let mut fetched = downloader.fetch(&order.url, &dest).await;
    // A disk another process filled: make room as eviction may, and resume.
    for _ in 0..DISK_FULL_ROUNDS {
        let Err(DownloadError::DiskFull(full)) = &fetched else { break };
        match disk_full::make_room(node, &dest, watcher.reserved(), full).await {
            Ok(evicted) => freed.extend(evicted),
            Err(err) => {
                fetched = Err(err);
                break;
            }
        }
        fetched = downloader.fetch(&order.url, &dest).await;
    }
    if let Ok(done) = &fetched {
        node.gauges.downloaded(done.bytes.saturating_sub(done.resumed_from), started.elapsed());
    }
    let mut evicted = watcher.evicted();
    evicted.extend(freed);
    claim.reserved = watcher.reserved();
    let delivery = match fetched {
        Ok(downloaded) => finish::finish(node, &claim, downloaded.bytes, Some(downloaded)).await,
        Err(DownloadError::Abandoned) => {
            tracing::info!(path, "download abandoned: no class needs the video any more");
            super::part_gone(&dest).await;
            claim::release(&node.cache.conn, node.id(), &claim).await?;
            Ok(Delivery::Cancelled)
        }
        Err(err) => {
            if !err.is_retryable() {
                // Nothing will resume it: the failed download holds no space.
                super::part_gone(&dest).await;
            }
            if let Err(db) = claim::release(&node.cache.conn, node.id(), &claim).await {
                tracing::warn!(path, error = %db, "could not release a failed download's claim; its lease will run out");
            }
            Err(err.into())
        }
    };
    Ok(Put { delivery: delivery?, evicted })
}

/// One look at the class and its video, in one transaction: the class's reference registered
/// (or found attached or ended), the video attached if it is there, else claimed or busy.
async fn take_turn(node: &NodeServices, order: &DownloadOrder, path: &str) -> Result<Turn, DbErr> {
    let txn = node.cache.write_txn().await?;
    let turn = match refs::register(&txn, node.id(), order, path).await? {
        RefState::Ended => Turn::Done(Delivery::Cancelled),
        RefState::Attached => {
            let bytes = store::video(&txn, node.id(), path).await?.map_or(0, |v| v.size_bytes.max(0) as u64);
            Turn::Done(ready(order, path, bytes))
        }
        RefState::Pending => match claim::claim(&txn, node.id(), path, &order.key).await? {
            Seen::Ready(video) => {
                refs::attach(&txn, &video, std::slice::from_ref(&order.class_id)).await?;
                Turn::Done(ready(order, path, video.size_bytes.max(0) as u64))
            }
            Seen::Claimed(claim) => Turn::Claimed(claim),
            Seen::Busy => Turn::Wait,
        },
    };
    txn.commit().await?;
    Ok(turn)
}

fn ready(order: &DownloadOrder, path: &str, bytes: u64) -> Delivery {
    Delivery::Ready { classes: vec![order.class_id.clone()], path: path.to_owned(), bytes, downloaded: None }
}

/// The class will not get its video (a failure that will not be retried): its pending
/// reference goes, so that the class booked again starts afresh.
pub async fn forget_pending(node: &NodeServices, class_id: &ClassId) -> Result<(), DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    cache_refs::Entity::delete_many()
        .filter(cache_refs::Column::Node.eq(node.id()))
        .filter(cache_refs::Column::ClassId.eq(class_id))
        .filter(cache_refs::Column::State.eq(RefState::Pending))
        .exec(&node.cache.conn)
        .await?;
    Ok(())
}
