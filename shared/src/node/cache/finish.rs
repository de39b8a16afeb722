//! A claimed download is in place: the row becomes ready with its real size, the reservation
//! becomes used bytes, and every class waiting on the video is attached, in one transaction.

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::{
    CacheError,
    claim::Claim,
    refs,
    store::{self, Delta},
};
use crate::{
    db::{cache_videos, now_ms},
    domain::{ClassId, VideoState},
    node::{Downloaded, NodeServices},
};

/// What became of the class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The video is in place; `classes` are the classes this call attached (the caller's,
    /// and any other waiting on the same download).
    Ready { classes: Vec<ClassId>, path: String, bytes: u64, downloaded: Option<Downloaded> },
    /// The class ended before its video was ready.
    Cancelled,
}

pub async fn finish(
    node: &NodeServices,
    claim: &Claim,
    bytes: u64,
    downloaded: Option<Downloaded>,
) -> Result<Delivery, CacheError> {
    let txn = node.cache.write_txn().await?;
    let change = cache_videos::ActiveModel {
        state: Set(VideoState::Ready),
        size_bytes: Set(bytes as i64),
        last_used_at: Set(now_ms()),
        owner: Set(None),
        lease_until: Set(None),
        ..Default::default()
    };
    let done = cache_videos::Entity::update_many()
        .set(change)
        .filter(cache_videos::Column::Id.eq(claim.video_id))
        .filter(cache_videos::Column::Owner.eq(claim.owner.as_str()))
        .filter(cache_videos::Column::State.eq(VideoState::Downloading))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        // Taken over while this process stalled: the other claimant finishes it.
        return Err(CacheError::LostClaim(claim.path.clone()));
    }
    let d = Delta { reserved_bytes: -(claim.reserved as i64), reserved_count: -1, ..Delta::video(bytes as i64, 1) };
    store::add(&txn, node.id(), d).await?;
    store::add_to_dir(&txn, node.id(), &claim.path, bytes as i64, 1).await?;
    let video = cache_videos::Entity::find_by_id(claim.video_id)
        .one(&txn)
        .await?
        .ok_or_else(|| CacheError::LostClaim(claim.path.clone()))?;
    let waiting: Vec<ClassId> = store::pending_refs(&txn, node.id(), &claim.path)
        .await?
        .into_iter()
        .filter_map(|r| r.class_id.parse().ok())
        .collect();
    let classes = refs::attach(&txn, &video, &waiting).await?;
    txn.commit().await?;
    tracing::info!(path = claim.path, bytes, classes = classes.len(), "video in place");
    Ok(Delivery::Ready { classes, path: claim.path.clone(), bytes, downloaded })
}
