//! The node's video cache in the database: which videos are on the disk, and which classes
//! hold a reference on them (num_cite).

use std::path::Path;

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};

use crate::{
    booking::store,
    db::{Database, bookings, class_videos, now_ms, videos},
    domain::{BookingState, ClassId, NodeId, VideoKey},
};

/// Records that `booking`'s class is booked onto the video at `path` on `node`, and marks the
/// booking ready, in one transaction. Idempotent: a class holds one reference however often
/// this runs.
pub async fn attach(
    db: &Database,
    booking: &bookings::Model,
    key: &VideoKey,
    node: &NodeId,
    path: &Path,
    size: u64,
) -> Result<(), DbErr> {
    let now = now_ms();
    let path_text = path.to_string_lossy().into_owned();
    let class_id: ClassId = booking.class_id.parse().map_err(|e| DbErr::Custom(format!("class_id: {e}")))?;
    let txn = db.write_txn().await?;

    let video = videos::ActiveModel {
        node: Set(node.to_string()),
        path: Set(path_text.clone()),
        record_id: Set(key.record_id.get()),
        resolution: Set(key.resolution.map(|r| r.to_string())),
        org_id: Set(key.org_id.as_ref().map(ToString::to_string)),
        size_bytes: Set(size as i64),
        num_cite: Set(0),
        last_used_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    };
    videos::Entity::insert(video)
        .on_conflict_do_nothing_on([videos::Column::Node, videos::Column::Path])
        .exec(&txn)
        .await?;
    let video = videos::Entity::find()
        .filter(videos::Column::Node.eq(node.as_str()))
        .filter(videos::Column::Path.eq(&path_text))
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("video {path_text} on {node}")))?;

    let link = class_videos::ActiveModel {
        class_id: Set(booking.class_id.clone()),
        node: Set(node.to_string()),
        video_id: Set(video.id),
        path: Set(path_text.clone()),
        ended_at: Set(None),
        created_at: Set(now),
    };
    let linked = class_videos::Entity::insert(link)
        .on_conflict_do_nothing_on([class_videos::Column::ClassId])
        .exec(&txn)
        .await?;
    if matches!(linked, sea_orm::TryInsertResult::Inserted(_)) {
        videos::Entity::update_many()
            .col_expr(videos::Column::NumCite, Expr::col(videos::Column::NumCite).add(1))
            .col_expr(videos::Column::LastUsedAt, Expr::value(now))
            .filter(videos::Column::Id.eq(video.id))
            .exec(&txn)
            .await?;
    }

    store::transition(&txn, &class_id, &[BookingState::Queued, BookingState::Downloading], |row| {
        row.state = Set(BookingState::Ready);
        row.node = Set(Some(node.to_string()));
        row.video_path = Set(Some(path_text));
        row.reason = Set(None);
    })
    .await?;
    txn.commit().await
}
