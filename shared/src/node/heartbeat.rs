//! A node's heartbeat: it says it is alive, and how much room its cache has, every few
//! seconds (the `nodes` table; placement reads it).

use std::{path::Path, time::Duration};

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    sea_query::{Expr, Func, OnConflict},
};

use crate::{
    db::{nodes, now_ms, videos},
    services::Services,
};

pub const INTERVAL: Duration = Duration::from_secs(10);

#[derive(Debug, FromQueryResult)]
struct Usage {
    count: Option<i64>,
    bytes: Option<i64>,
}

/// Free bytes on the filesystem holding `dir`.
pub fn free_disk_bytes(dir: &Path) -> u64 {
    nix::sys::statvfs::statvfs(dir).map(|s| s.blocks_available() * s.fragment_size()).unwrap_or(0)
}

/// Records one heartbeat of this process's node.
pub async fn beat(services: &Services) -> Result<(), DbErr> {
    let (settings, conn) = (&services.settings, &services.db.conn);
    let node = settings.node_id.to_string();
    let usage = videos::Entity::find()
        .select_only()
        .column_as(Expr::from(Func::count(Expr::col(videos::Column::Id))), "count")
        .column_as(Expr::from(Func::sum(Expr::col(videos::Column::SizeBytes))), "bytes")
        .filter(videos::Column::Node.eq(&node))
        .into_model::<Usage>()
        .one(conn)
        .await?;
    let (count, bytes) = usage.map_or((0, 0), |u| (u.count.unwrap_or(0), u.bytes.unwrap_or(0)));
    let root = &settings.video_root;
    let row = nodes::ActiveModel {
        node_id: Set(node),
        video_root: Set(root.to_string_lossy().into_owned()),
        last_seen_at: Set(now_ms()),
        video_count: Set(count),
        used_bytes: Set(bytes),
        capacity_bytes: Set(settings.max_video_size.bytes() as i64),
        free_disk_bytes: Set(free_disk_bytes(root) as i64),
    };
    nodes::Entity::insert(row)
        .on_conflict(
            OnConflict::column(nodes::Column::NodeId)
                .update_columns([
                    nodes::Column::VideoRoot,
                    nodes::Column::LastSeenAt,
                    nodes::Column::VideoCount,
                    nodes::Column::UsedBytes,
                    nodes::Column::CapacityBytes,
                    nodes::Column::FreeDiskBytes,
                ])
                .to_owned(),
        )
        .exec(conn)
        .await?;
    Ok(())
}
