//! Making room: before a download starts its size is reserved, and unreferenced videos are
//! deleted least recently used first until it fits (the decision is `evict::plan`). Each
//! victim is marked `evicting` in the transaction that decides it, so no class can be booked
//! onto it any more; then its file is deleted, then its row: a crash between the two leaves a
//! row `evicting` that the next claimant or the start-up scan finishes, never a referenced
//! video without its file.

use std::path::Path;

use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter};

use super::{
    claim::Claim,
    evict::{Candidate, Full, Limits, Need, Plan, fits, plan},
    hold,
    store::{self, Delta},
};
use crate::{
    db::{Database, cache_videos, now_ms},
    domain::{NodeId, VideoState},
};

/// Candidates read per step: the decision's cost, whatever the size of the cache.
pub const PAGE: u64 = 16;

#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("{0}")]
    Full(Full),
    /// Room must be made, but the index was rebuilt and its references are not back yet.
    #[error("the cache index was rebuilt and its references are not back yet: nothing is evicted meanwhile")]
    Held,
}

/// Where the cache is and what it may hold.
#[derive(Debug, Clone, Copy)]
pub struct Room<'a> {
    pub db: &'a Database,
    pub node: &'a NodeId,
    pub root: &'a Path,
    pub limits: Limits,
}

/// A deleted video: its path below the root, and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evicted {
    pub path: String,
    pub bytes: u64,
}

/// Free bytes on the filesystem holding `dir` (statvfs).
pub fn free_disk_bytes(dir: &Path) -> u64 {
    nix::sys::statvfs::statvfs(dir).map(|s| s.blocks_available() * s.fragment_size()).unwrap_or(0)
}

impl Room<'_> {
    /// Reserves `total` bytes for the claimed download, evicting until it fits.
    pub async fn reserve(&self, claim: &mut Claim, total: u64) -> Result<Vec<Evicted>, RoomError> {
        let mut evicted = Vec::new();
        loop {
            let txn = self.db.write_txn().await?;
            let mut totals = store::totals(&txn, self.node).await?;
            // The claim already holds its slot and `claim.reserved` bytes: what is asked is the
            // whole video, against everything else.
            totals.reserved_count = totals.reserved_count.saturating_sub(1);
            totals.reserved_bytes = totals.reserved_bytes.saturating_sub(claim.reserved);
            let need = Need::video(total);
            let free = free_disk_bytes(self.root);
            let decided = if fits(self.limits, totals, free, need) {
                Plan::Fits
            } else {
                let page = store::candidates(&txn, self.node, PAGE).await?;
                plan(self.limits, totals, free, need, &page, (page.len() as u64) < PAGE)
            };
            match decided {
                Plan::Fits => {
                    self.set_reservation(&txn, claim, total).await?;
                    txn.commit().await?;
                    return Ok(evicted);
                }
                Plan::Full(full) => return Err(RoomError::Full(full)),
                Plan::Evict(_) if hold::is_held(self.root) => return Err(RoomError::Held),
                Plan::Evict(victims) => {
                    let marked = mark(&txn, self.node, &victims).await?;
                    txn.commit().await?;
                    evicted.extend(self.delete(marked).await?);
                }
            }
        }
    }

    /// Evicts down to `limits` scaled to the low-water mark (the cache manager's pass).
    pub async fn to_low_water(&self, fraction: f64) -> Result<Vec<Evicted>, DbErr> {
        let low = self.limits.scaled(fraction);
        let mut evicted = Vec::new();
        if hold::is_held(self.root) {
            return Ok(evicted);
        }
        loop {
            let txn = self.db.write_txn().await?;
            let totals = store::totals(&txn, self.node).await?;
            let free = free_disk_bytes(self.root);
            if fits(low, totals, free, Need::NOTHING) {
                return Ok(evicted);
            }
            let page = store::candidates(&txn, self.node, PAGE).await?;
            let Plan::Evict(victims) = plan(low, totals, free, Need::NOTHING, &page, (page.len() as u64) < PAGE) else {
                return Ok(evicted);
            };
            let marked = mark(&txn, self.node, &victims).await?;
            txn.commit().await?;
            evicted.extend(self.delete(marked).await?);
        }
    }

    /// Evicts unreferenced videos, least recently used first, until the filesystem has `bytes`
    /// free or nothing more may go (a download met a disk another process filled). Returns the
    /// videos evicted and the free bytes then.
    pub async fn free_disk(&self, bytes: u64) -> Result<(Vec<Evicted>, u64), RoomError> {
        let mut evicted = Vec::new();
        loop {
            let free = free_disk_bytes(self.root);
            if free >= bytes {
                return Ok((evicted, free));
            }
            if hold::is_held(self.root) {
                return Err(RoomError::Held);
            }
            let txn = self.db.write_txn().await?;
            let page = store::candidates(&txn, self.node, 1).await?;
            if page.is_empty() {
                return Ok((evicted, free));
            }
            let marked = mark(&txn, self.node, &page).await?;
            txn.commit().await?;
            evicted.extend(self.delete(marked).await?);
        }
    }

    /// Evicts the given videos now, those still unreferenced (`vteacher purge-legacy`).
    pub async fn evict(&self, videos: &[Candidate]) -> Result<Vec<Evicted>, DbErr> {
        if hold::is_held(self.root) {
            return Ok(Vec::new());
        }
        let txn = self.db.write_txn().await?;
        let marked = mark(&txn, self.node, videos).await?;
        txn.commit().await?;
        self.delete(marked).await
    }

    async fn set_reservation(&self, txn: &DatabaseTransaction, claim: &mut Claim, total: u64) -> Result<(), DbErr> {
        let change = cache_videos::ActiveModel { size_bytes: Set(total as i64), ..Default::default() };
        cache_videos::Entity::update_many()
            .set(change)
            .filter(cache_videos::Column::Id.eq(claim.video_id))
            .exec(txn)
            .await?;
        let d = Delta { reserved_bytes: total as i64 - claim.reserved as i64, ..Delta::default() };
        store::add(txn, self.node, d).await?;
        claim.reserved = total;
        Ok(())
    }

    /// Deletes the files of videos marked `evicting`, then their rows.
    async fn delete(&self, marked: Vec<cache_videos::Model>) -> Result<Vec<Evicted>, DbErr> {
        let mut evicted = Vec::with_capacity(marked.len());
        for video in marked {
            let file = self.root.join(&video.path);
            match tokio::fs::remove_file(&file).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                // The row stays `evicting`: the scan or the next claimant finishes it.
                Err(e) => {
                    tracing::warn!(path = %file.display(), error = %e, "could not delete an evicted video");
                    continue;
                }
            }
            cache_videos::Entity::delete_by_id(video.id).exec(&self.db.conn).await?;
            tracing::info!(path = video.path, bytes = video.size_bytes, node = %self.node, "evicted");
            evicted.push(Evicted { path: video.path, bytes: video.size_bytes.max(0) as u64 });
        }
        Ok(evicted)
    }
}

/// Marks the victims `evicting` and takes them out of the totals, only those still ready and
/// unreferenced (a class booked onto one since it was read keeps it).
async fn mark(
    txn: &DatabaseTransaction,
    node: &NodeId,
    victims: &[Candidate],
) -> Result<Vec<cache_videos::Model>, DbErr> {
    let owner = super::claim::new_owner();
    let mut marked = Vec::with_capacity(victims.len());
    for victim in victims {
        let change = cache_videos::ActiveModel {
            state: Set(VideoState::Evicting),
            owner: Set(Some(owner.clone())),
            lease_until: Set(Some(now_ms() + super::claim::LEASE.as_millis() as i64)),
            ..Default::default()
        };
        let done = cache_videos::Entity::update_many()
            .set(change)
            .filter(cache_videos::Column::Id.eq(victim.id))
            .filter(cache_videos::Column::State.eq(VideoState::Ready))
            .filter(cache_videos::Column::NumCite.eq(0))
            .exec(txn)
            .await?;
        if done.rows_affected == 0 {
            continue;
        }
        let Some(video) = cache_videos::Entity::find_by_id(victim.id).one(txn).await? else { continue };
        let bytes = video.size_bytes;
        store::add(txn, node, Delta { evictions: 1, ..Delta::video(-bytes, -1) }).await?;
        store::add_to_dir(txn, node, &video.path, -bytes, -1).await?;
        marked.push(video);
    }
    Ok(marked)
}
