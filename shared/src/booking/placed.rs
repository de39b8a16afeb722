//! What push hosts' reports change of placement's record (`directory::placement`), once the
//! report has committed: a video a node holds stays placed there, one it evicted is placed
//! nowhere, and a node's full holdings report lets go of what it neither holds nor has on its
//! way (a booking cancelled before its download, a report lost). Derived and idempotent.

use std::{collections::HashSet, time::Duration};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::{BookingError, dispatch::video_key};
use crate::{
    db::{Database, bookings, node_holdings, now_ms},
    directory::Directory,
    domain::{Booking, BookingState, NodeId, NodeReport},
};

/// A video placed this recently is left alone by the full report: its booking may be about to
/// record the node (placement records the video first).
const SETTLING: Duration = Duration::from_secs(60);

pub async fn follow(db: &Database, directory: &Directory, report: &NodeReport) -> Result<(), BookingError> {
    match report {
        NodeReport::Ready { node, video, .. } => directory.placed_held(node, &[video.key.relative_path_text()]).await?,
        NodeReport::Holdings { node, videos, last, .. } => {
            let paths: Vec<String> = videos.iter().map(|v| v.key.relative_path_text()).collect();
            directory.placed_held(node, &paths).await?;
            if *last {
                let keep = held_or_on_its_way(db, node).await?;
                directory.placed_keep_only(node, &keep, now_ms() - SETTLING.as_millis() as i64).await?;
            }
        }
        NodeReport::Evicted { node, keys } => {
            let paths: Vec<String> = keys.iter().map(|k| k.relative_path_text()).collect();
            directory.placed_let_go(node, &paths).await?;
        }
        NodeReport::Failed { .. } | NodeReport::Ended { .. } | NodeReport::IndexRebuilt { .. } => {}
    }
    Ok(())
}

/// The videos the database says are on `node` or on their way to it.
async fn held_or_on_its_way(db: &Database, node: &NodeId) -> Result<HashSet<String>, BookingError> {
    let held: Vec<String> = node_holdings::Entity::find()
        .select_only()
        .column(node_holdings::Column::Path)
        .filter(node_holdings::Column::Node.eq(node.as_str()))
        .into_tuple()
        .all(&db.conn)
        .await?;
    let on_its_way = bookings::Entity::find()
        .filter(bookings::Column::Node.eq(node.as_str()))
        .filter(bookings::Column::State.is_in([BookingState::Queued, BookingState::Downloading]))
        .all(&db.conn)
        .await?;
    let coming = on_its_way
        .into_iter()
        .filter_map(|row| Booking::from_value(row.message).ok())
        .map(|booking| video_key(&booking).relative_path_text());
    Ok(held.into_iter().chain(coming).collect())
}
