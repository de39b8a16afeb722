//! The classes booked onto a node's videos (num_cite): registered when the class's download
//! job first runs, attached (counted) once the video is in place, ended when the class is
//! over. Every move is guarded by the state it moves from, so each class counts once whatever
//! arrives twice: the automatic end and the end request (虚拟老师自动下课和下课请求冲突).

use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use super::store;
use crate::{
    db::{cache_refs, cache_videos, now_ms},
    domain::{ClassId, DownloadOrder, NodeId, RefState, VideoState},
};

/// Registers the class on the video at `path` (pending) unless it is there already; returns
/// the state the class is in. A class booked again onto another video lets the first go.
pub async fn register(
    conn: &impl ConnectionTrait,
    node: &NodeId,
    order: &DownloadOrder,
    path: &str,
) -> Result<RefState, DbErr> {
    let class_id = &order.class_id;
    match store::class_ref(conn, node, class_id).await? {
        Some(r) if r.state == RefState::Ended => return Ok(RefState::Ended),
        Some(r) if r.path == path => return Ok(r.state),
        Some(other) => {
            // The class now wants another video (booked again after a failure).
            release(conn, &other).await?;
            cache_refs::Entity::delete_by_id((other.node, other.class_id)).exec(conn).await?;
        }
        None => {}
    }
    let now = now_ms();
    let row = cache_refs::ActiveModel {
        class_id: Set(class_id.as_str().to_owned()),
        node: Set(node.as_str().to_owned()),
        path: Set(path.to_owned()),
        state: Set(RefState::Pending),
        order: Set(serde_json::to_value(order).ok()),
        class_start_at: Set(order.class_start_at),
        created_at: Set(now),
        updated_at: Set(now),
    };
    cache_refs::Entity::insert(row).exec_without_returning(conn).await?;
    Ok(RefState::Pending)
}

/// Attaches every class of `classes` still pending on `video`, counting each once. Returns
/// the classes attached.
pub async fn attach(
    conn: &impl ConnectionTrait,
    video: &cache_videos::Model,
    classes: &[ClassId],
) -> Result<Vec<ClassId>, DbErr> {
    let mut attached = Vec::new();
    for class_id in classes {
        if store::move_ref(
            conn,
            &NodeId::stored(video.node.clone()),
            class_id,
            &[RefState::Pending],
            RefState::Attached,
        )
        .await?
        {
            attached.push(class_id.clone());
        }
    }
    store::cite(conn, video, attached.len() as i32).await?;
    Ok(attached)
}

/// The class is over: its reference drops once (a class that never reached the node is
/// remembered as ended, so a late download of it does nothing). Returns whether anything
/// changed.
pub async fn end(conn: &impl ConnectionTrait, node: &NodeId, class_id: &ClassId) -> Result<bool, DbErr> {
    let Some(found) = store::class_ref(conn, node, class_id).await? else {
        let now = now_ms();
        let tombstone = cache_refs::ActiveModel {
            class_id: Set(class_id.to_string()),
            node: Set(node.as_str().to_owned()),
            path: Set(String::new()),
            state: Set(RefState::Ended),
            order: Set(None),
            class_start_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        };
        cache_refs::Entity::insert(tombstone).exec_without_returning(conn).await?;
        return Ok(true);
    };
    if found.state == RefState::Ended {
        return Ok(false);
    }
    release(conn, &found).await?;
    store::move_ref(conn, node, class_id, &[found.state], RefState::Ended).await
}

/// Takes an attached class's count off its video (a pending one was never counted).
async fn release(conn: &impl ConnectionTrait, found: &cache_refs::Model) -> Result<(), DbErr> {
    if found.state != RefState::Attached {
        return Ok(());
    }
    if let Some(video) = store::video(conn, &NodeId::stored(found.node.clone()), &found.path).await?
        && video.state == VideoState::Ready
    {
        store::cite(conn, &video, -1).await?;
    }
    Ok(())
}

/// The video of `video` is gone from the disk: every class attached to it waits for it again
/// (pending). Returns their download orders, to fetch it once more.
pub async fn detach_all(conn: &impl ConnectionTrait, video: &cache_videos::Model) -> Result<Vec<DownloadOrder>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let attached = cache_refs::Entity::find()
        .filter(cache_refs::Column::Node.eq(video.node.as_str()))
        .filter(cache_refs::Column::Path.eq(video.path.as_str()))
        .filter(cache_refs::Column::State.eq(RefState::Attached))
        .all(conn)
        .await?;
    let mut orders = Vec::new();
    for r in attached {
        let (node, class_id) = (NodeId::stored(r.node), ClassId::stored(r.class_id));
        store::move_ref(conn, &node, &class_id, &[RefState::Attached], RefState::Pending).await?;
        orders.extend(r.order.and_then(|o| serde_json::from_value::<DownloadOrder>(o).ok()));
    }
    Ok(orders)
}
