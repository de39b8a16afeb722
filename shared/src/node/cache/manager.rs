//! The cache manager, after nginx's: on the node's own timer (every `SWEEP_INTERVAL`) it evicts
//! unreferenced videos down to the low-water mark (`CACHE_LOW_WATER` of each limit) ahead of
//! need, in bounded passes, and forgets ended classes' references after a while.

use std::time::Duration;

use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};

use super::reserve::Evicted;
use crate::{
    db::{cache_refs, now_ms},
    domain::RefState,
    node::NodeServices,
};

/// An ended class's reference is kept this long (a late download of it then does nothing).
pub const ENDED_KEPT: Duration = Duration::from_secs(7 * 24 * 3600);

/// One pass: the videos evicted.
pub async fn pass(node: &NodeServices) -> Result<Vec<Evicted>, DbErr> {
    let evicted = node.room().to_low_water(node.settings.cache_low_water).await?;
    if !evicted.is_empty() {
        let bytes: u64 = evicted.iter().map(|e| e.bytes).sum();
        tracing::info!(
            node = %node.id(),
            videos = evicted.len(),
            bytes,
            "cache manager evicted down to the low-water mark"
        );
    }
    let forgotten = cache_refs::Entity::delete_many()
        .filter(cache_refs::Column::Node.eq(node.id()))
        .filter(cache_refs::Column::State.eq(RefState::Ended))
        .filter(cache_refs::Column::UpdatedAt.lt(now_ms() - ENDED_KEPT.as_millis() as i64))
        .exec(&node.cache.conn)
        .await?;
    if forgotten.rows_affected > 0 {
        tracing::debug!(node = %node.id(), forgotten = forgotten.rows_affected, "old ended classes forgotten");
    }
    Ok(evicted)
}
