//! The node directory in the state database, for one machine without Redis: the `nodes`
//! table (the whole status as JSON) and `download_progress`.

use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait, sea_query::OnConflict};

use crate::{
    db::{download_progress, nodes, now_ms},
    domain::{ClassId, DownloadProgress, NodeId, NodeStatus},
};

pub(super) async fn beat(conn: &DatabaseConnection, status: &NodeStatus) -> Result<(), DbErr> {
    let row = nodes::ActiveModel {
        node_id: Set(status.node.to_string()),
        video_root: Set(status.video_root.clone()),
        last_seen_at: Set(status.seen_at),
        video_count: Set(status.video_count as i64),
        used_bytes: Set(status.used_bytes as i64),
        capacity_bytes: Set(status.max_video_size_bytes as i64),
        free_disk_bytes: Set(status.free_disk_bytes as i64),
        status: Set(serde_json::to_value(status).ok()),
    };
    use nodes::Column as C;
    let columns =
        [C::VideoRoot, C::LastSeenAt, C::VideoCount, C::UsedBytes, C::CapacityBytes, C::FreeDiskBytes, C::Status];
    nodes::Entity::insert(row)
        .on_conflict(OnConflict::column(C::NodeId).update_columns(columns).to_owned())
        .exec_without_returning(conn)
        .await
        .map(drop)
}

pub(super) async fn statuses(conn: &DatabaseConnection) -> Result<Vec<NodeStatus>, DbErr> {
    let rows = nodes::Entity::find().all(conn).await?;
    Ok(rows.into_iter().filter_map(|n| n.status.and_then(|s| serde_json::from_value(s).ok())).collect())
}

pub(super) async fn status(conn: &DatabaseConnection, node: &NodeId) -> Result<Option<NodeStatus>, DbErr> {
    let row = nodes::Entity::find_by_id(node.to_string()).one(conn).await?;
    Ok(row.and_then(|n| n.status).and_then(|s| serde_json::from_value(s).ok()))
}

pub(super) async fn set_progress(
    conn: &DatabaseConnection,
    class_id: &ClassId,
    progress: &DownloadProgress,
) -> Result<(), DbErr> {
    let row = download_progress::ActiveModel {
        class_id: Set(class_id.as_str().to_owned()),
        node: Set(progress.node.to_string()),
        progress: Set(serde_json::to_value(progress).unwrap_or_default()),
        updated_at: Set(now_ms()),
    };
    use download_progress::Column as C;
    download_progress::Entity::insert(row)
        .on_conflict(OnConflict::column(C::ClassId).update_columns([C::Node, C::Progress, C::UpdatedAt]).to_owned())
        .exec_without_returning(conn)
        .await
        .map(drop)
}

pub(super) async fn progress(conn: &DatabaseConnection, class_id: &ClassId) -> Result<Option<DownloadProgress>, DbErr> {
    let row = download_progress::Entity::find_by_id(class_id.as_str().to_owned()).one(conn).await?;
    Ok(row.and_then(|p| serde_json::from_value(p.progress).ok()))
}
