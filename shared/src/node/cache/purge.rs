//! `vteacher purge-legacy`: deletes at once the unreferenced videos of the old layout (no
//! institution directory: `VIDEO_ROOT/6666/6666_720P.flv`, and legacy `6666/6666.flv`), as the
//! original asks (老的资源删除). Each goes the way of an eviction (marked, file deleted, row
//! dropped), so a class booked onto one meanwhile keeps it.

use sea_orm::{ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{evict::Candidate, reserve::Evicted};
use crate::{db::cache_videos, domain::VideoState, node::NodeServices};

/// What a purge found (and, unless a dry run, deleted).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Purged {
    pub videos: Vec<Evicted>,
    /// Old-layout videos left alone because a class references them.
    pub referenced: u64,
}

impl Purged {
    pub fn bytes(&self) -> u64 {
        self.videos.iter().map(|v| v.bytes).sum()
    }
}

/// Deletes (or, with `dry_run`, lists) every unreferenced old-layout video; `progress` hears
/// each one.
pub async fn purge_legacy(
    node: &NodeServices,
    dry_run: bool,
    progress: &(dyn Fn(&Evicted) + Sync),
) -> Result<Purged, DbErr> {
    let old = || {
        cache_videos::Entity::find()
            .filter(cache_videos::Column::Node.eq(node.id()))
            .filter(cache_videos::Column::OrgId.is_null())
            .filter(cache_videos::Column::State.eq(VideoState::Ready))
    };
    let referenced = old().filter(cache_videos::Column::NumCite.gt(0)).count(&node.cache.conn).await?;
    let mut purged = Purged { referenced, ..Purged::default() };
    let mut after = 0;
    loop {
        let page = old()
            .filter(cache_videos::Column::NumCite.eq(0))
            .filter(cache_videos::Column::Id.gt(after))
            .order_by_asc(cache_videos::Column::Id)
            .limit(200)
            .all(&node.cache.conn)
            .await?;
        let Some(last) = page.last() else { return Ok(purged) };
        after = last.id;
        let found: Vec<Candidate> =
            page.iter().map(|v| Candidate { id: v.id, bytes: v.size_bytes.max(0) as u64 }).collect();
        let gone = if dry_run {
            page.iter().map(|v| Evicted { path: v.path.clone(), bytes: v.size_bytes.max(0) as u64 }).collect()
        } else {
            node.room().evict(&found).await?
        };
        for video in &gone {
            progress(video);
        }
        purged.videos.extend(gone);
    }
}
