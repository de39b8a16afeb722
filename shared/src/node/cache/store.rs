//! The cache index's rows and running totals, changed together inside the caller's
//! transaction: a video's bytes and count move in `cache_totals` and `cache_dirs` in the same
//! step as the row, so the totals never drift and no decision ever sums the table.

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Alias, Expr, ExprTrait, OnConflict},
};

use super::evict::{Candidate, Totals};
use crate::{
    db::{cache_dirs, cache_refs, cache_totals, cache_videos, now_ms},
    domain::{ClassId, NodeId, RefState, VideoKey, VideoState},
};

/// A change to the running totals (signed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delta {
    pub used_bytes: i64,
    pub video_count: i64,
    pub reserved_bytes: i64,
    pub reserved_count: i64,
    pub referenced_bytes: i64,
    pub evictions: i64,
}

impl Delta {
    /// A ready video of `bytes` joins (positive) or leaves (`-bytes`, negative count).
    pub fn video(bytes: i64, count: i64) -> Self {
        Self { used_bytes: bytes, video_count: count, ..Self::default() }
    }
}

/// The node's totals row, locked for the rest of the transaction (PostgreSQL; SQLite's write
/// transactions hold the whole file), created the first time.
pub async fn totals(conn: &impl ConnectionTrait, node: &NodeId) -> Result<Totals, DbErr> {
    let select = || {
        let select = cache_totals::Entity::find_by_id(node.as_str().to_owned());
        if conn.get_database_backend() == sea_orm::DbBackend::Postgres { select.lock_exclusive() } else { select }
    };
    let row = match select().one(conn).await? {
        Some(row) => row,
        None => {
            create_totals(conn, node).await?;
            select().one(conn).await?.ok_or_else(|| DbErr::RecordNotFound(format!("cache totals of {node}")))?
        }
    };
    let u = |v: i64| std::cmp::max(v, 0) as u64;
    Ok(Totals {
        used_bytes: u(row.used_bytes),
        video_count: u(row.video_count),
        reserved_bytes: u(row.reserved_bytes),
        reserved_count: u(row.reserved_count),
        referenced_bytes: u(row.referenced_bytes),
    })
}

/// The node's totals row, all zero, unless it is there.
pub async fn create_totals(conn: &impl ConnectionTrait, node: &NodeId) -> Result<(), DbErr> {
    let row = cache_totals::ActiveModel {
        node: Set(node.as_str().to_owned()),
        used_bytes: Set(0),
        video_count: Set(0),
        reserved_bytes: Set(0),
        reserved_count: Set(0),
        referenced_bytes: Set(0),
        evictions: Set(0),
        updated_at: Set(now_ms()),
    };
    cache_totals::Entity::insert(row)
        .on_conflict(OnConflict::column(cache_totals::Column::Node).do_nothing().to_owned())
        .exec_without_returning(conn)
        .await
        .map(drop)
}

/// The evictions counted so far (for the node's status).
pub async fn evictions(conn: &impl ConnectionTrait, node: &NodeId) -> Result<u64, DbErr> {
    let row = cache_totals::Entity::find_by_id(node.as_str().to_owned()).one(conn).await?;
    Ok(row.map_or(0, |t| std::cmp::max(t.evictions, 0) as u64))
}

pub async fn add(conn: &impl ConnectionTrait, node: &NodeId, d: Delta) -> Result<(), DbErr> {
    if d == Delta::default() {
        return Ok(());
    }
    // One upsert: the node's first change (a claim on a fresh index) creates the row, rather
    // than updating nothing and losing the change.
    use cache_totals::Column as C;
    let row = cache_totals::ActiveModel {
        node: Set(node.as_str().to_owned()),
        used_bytes: Set(d.used_bytes),
        video_count: Set(d.video_count),
        reserved_bytes: Set(d.reserved_bytes),
        reserved_count: Set(d.reserved_count),
        referenced_bytes: Set(d.referenced_bytes),
        evictions: Set(d.evictions),
        updated_at: Set(now_ms()),
    };
    let plus = |col: C| (col, Expr::col((cache_totals::Entity, col)).add(Expr::col((Alias::new("excluded"), col))));
    let mut on_conflict = OnConflict::column(C::Node);
    on_conflict
        .values(
            [C::UsedBytes, C::VideoCount, C::ReservedBytes, C::ReservedCount, C::ReferencedBytes, C::Evictions]
                .map(plus),
        )
        .update_column(C::UpdatedAt);
    cache_totals::Entity::insert(row).on_conflict(on_conflict).exec_without_returning(conn).await?;
    Ok(())
}

/// DIR_INFO: the top-level directory of `path` gains (or, negative, loses) a video.
pub async fn add_to_dir(
    conn: &impl ConnectionTrait,
    node: &NodeId,
    path: &str,
    bytes: i64,
    count: i64,
) -> Result<(), DbErr> {
    use cache_dirs::Column as C;
    let row = cache_dirs::ActiveModel {
        node: Set(node.as_str().to_owned()),
        dir: Set(top_dir(path)),
        size_bytes: Set(bytes),
        video_count: Set(count),
    };
    // One statement: the existing row's columns, qualified (PostgreSQL finds them ambiguous
    // beside the proposed row's otherwise).
    let grow = |col: C, by: i64| Expr::col((cache_dirs::Entity, col)).add(by);
    let upsert = OnConflict::columns([C::Node, C::Dir])
        .value(C::SizeBytes, grow(C::SizeBytes, bytes))
        .value(C::VideoCount, grow(C::VideoCount, count))
        .to_owned();
    cache_dirs::Entity::insert(row).on_conflict(upsert).exec_without_returning(conn).await.map(drop)
}

/// `22/6666/6666_720P.flv` → `22` (an institution); `6666/6666_720P.flv` → `.` (the old layout).
pub fn top_dir(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    if parts.len() >= 3 { parts[0].to_owned() } else { ".".to_owned() }
}

pub async fn video(
    conn: &impl ConnectionTrait,
    node: &NodeId,
    path: &str,
) -> Result<Option<cache_videos::Model>, DbErr> {
    cache_videos::Entity::find()
        .filter(cache_videos::Column::Node.eq(node))
        .filter(cache_videos::Column::Path.eq(path))
        .one(conn)
        .await
}

pub async fn class_ref(
    conn: &impl ConnectionTrait,
    node: &NodeId,
    class_id: &ClassId,
) -> Result<Option<cache_refs::Model>, DbErr> {
    cache_refs::Entity::find_by_id((node.as_str().to_owned(), class_id.as_str().to_owned())).one(conn).await
}

/// The classes waiting for the video at `path`.
pub async fn pending_refs(
    conn: &impl ConnectionTrait,
    node: &NodeId,
    path: &str,
) -> Result<Vec<cache_refs::Model>, DbErr> {
    cache_refs::Entity::find()
        .filter(cache_refs::Column::Node.eq(node))
        .filter(cache_refs::Column::Path.eq(path))
        .filter(cache_refs::Column::State.eq(RefState::Pending))
        .all(conn)
        .await
}

/// Moves a class reference to `state`, only from one of `from`. Returns whether it moved.
pub async fn move_ref(
    conn: &impl ConnectionTrait,
    node: &NodeId,
    class_id: &ClassId,
    from: &[RefState],
    state: RefState,
) -> Result<bool, DbErr> {
    let change = cache_refs::ActiveModel { state: Set(state), updated_at: Set(now_ms()), ..Default::default() };
    let done = cache_refs::Entity::update_many()
        .set(change)
        .filter(cache_refs::Column::Node.eq(node))
        .filter(cache_refs::Column::ClassId.eq(class_id))
        .filter(cache_refs::Column::State.is_in(from.iter().copied()))
        .exec(conn)
        .await?;
    Ok(done.rows_affected > 0)
}

/// Adds `by` (±) to the video's reference count, marks it used now, and keeps the node's
/// referenced bytes right when the count leaves or reaches zero.
pub async fn cite(conn: &impl ConnectionTrait, video: &cache_videos::Model, by: i32) -> Result<(), DbErr> {
    if by == 0 {
        return Ok(());
    }
    let after = std::cmp::max(video.num_cite + by, 0);
    cache_videos::Entity::update_many()
        .col_expr(cache_videos::Column::NumCite, Expr::value(after))
        .col_expr(cache_videos::Column::LastUsedAt, Expr::value(now_ms()))
        .filter(cache_videos::Column::Id.eq(video.id))
        .exec(conn)
        .await?;
    let referenced = match (video.num_cite > 0, after > 0) {
        (false, true) => video.size_bytes,
        (true, false) => -video.size_bytes,
        _ => 0,
    };
    add(conn, &NodeId::stored(video.node.clone()), Delta { referenced_bytes: referenced, ..Delta::default() }).await
}

/// A page of eviction candidates: ready, unreferenced, least recently used first (the
/// `cache_videos_lru` index serves it).
pub async fn candidates(conn: &impl ConnectionTrait, node: &NodeId, page: u64) -> Result<Vec<Candidate>, DbErr> {
    let rows = cache_videos::Entity::find()
        .filter(cache_videos::Column::Node.eq(node))
        .filter(cache_videos::Column::State.eq(VideoState::Ready))
        .filter(cache_videos::Column::NumCite.eq(0))
        .order_by_asc(cache_videos::Column::LastUsedAt)
        .order_by_asc(cache_videos::Column::Id)
        .limit(page)
        .all(conn)
        .await?;
    Ok(rows.iter().map(|v| Candidate { id: v.id, bytes: std::cmp::max(v.size_bytes, 0) as u64 }).collect())
}

/// Adopts a file found on disk as a ready, unreferenced video (the scan). Returns whether it
/// was new to the index.
pub async fn insert_ready(
    conn: &impl ConnectionTrait,
    node: &NodeId,
    key: &VideoKey,
    path: &str,
    bytes: u64,
    last_used_at: i64,
) -> Result<bool, DbErr> {
    let row = cache_videos::ActiveModel {
        node: Set(node.as_str().to_owned()),
        path: Set(path.to_owned()),
        record_id: Set(key.record_id.get()),
        resolution: Set(key.resolution.map(|r| r.to_string())),
        org_id: Set(key.org_id.as_ref().map(ToString::to_string)),
        size_bytes: Set(bytes as i64),
        state: Set(VideoState::Ready),
        num_cite: Set(0),
        last_used_at: Set(last_used_at),
        created_at: Set(now_ms()),
        owner: Set(None),
        lease_until: Set(None),
        ..Default::default()
    };
    let inserted = cache_videos::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([cache_videos::Column::Node, cache_videos::Column::Path]).do_nothing().to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    if inserted == 0 {
        return Ok(false);
    }
    add(conn, node, Delta::video(bytes as i64, 1)).await?;
    add_to_dir(conn, node, path, bytes as i64, 1).await?;
    Ok(true)
}

/// Drops a ready video's row (its file is gone), with its share of the totals.
pub async fn remove_ready(conn: &impl ConnectionTrait, video: &cache_videos::Model) -> Result<(), DbErr> {
    let gone = cache_videos::Entity::delete_many()
        .filter(cache_videos::Column::Id.eq(video.id))
        .filter(cache_videos::Column::State.eq(VideoState::Ready))
        .exec(conn)
        .await?;
    if gone.rows_affected == 0 {
        return Ok(());
    }
    let referenced = if video.num_cite > 0 { -video.size_bytes } else { 0 };
    add(
        conn,
        &NodeId::stored(video.node.clone()),
        Delta { referenced_bytes: referenced, ..Delta::video(-video.size_bytes, -1) },
    )
    .await?;
    add_to_dir(conn, &NodeId::stored(video.node.clone()), &video.path, -video.size_bytes, -1).await
}

/// Sums the totals and DIR_INFO from the rows once (the start-up scan), repairing any drift.
pub async fn recount(txn: sea_orm::DatabaseTransaction, node: &NodeId) -> Result<(), DbErr> {
    totals(&txn, node).await?;
    let rows = cache_videos::Entity::find().filter(cache_videos::Column::Node.eq(node)).all(&txn).await?;
    let mut sums = Delta::default();
    let mut dirs: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
    for v in &rows {
        match v.state {
            VideoState::Ready => {
                sums.used_bytes += v.size_bytes;
                sums.video_count += 1;
                if v.num_cite > 0 {
                    sums.referenced_bytes += v.size_bytes;
                }
                let dir = dirs.entry(top_dir(&v.path)).or_default();
                dir.0 += v.size_bytes;
                dir.1 += 1;
            }
            VideoState::Downloading => {
                sums.reserved_bytes += v.size_bytes;
                sums.reserved_count += 1;
            }
            VideoState::Evicting => {}
        }
    }
    let change = cache_totals::ActiveModel {
        used_bytes: Set(sums.used_bytes),
        video_count: Set(sums.video_count),
        reserved_bytes: Set(sums.reserved_bytes),
        reserved_count: Set(sums.reserved_count),
        referenced_bytes: Set(sums.referenced_bytes),
        updated_at: Set(now_ms()),
        ..Default::default()
    };
    cache_totals::Entity::update_many().set(change).filter(cache_totals::Column::Node.eq(node)).exec(&txn).await?;
    cache_dirs::Entity::delete_many().filter(cache_dirs::Column::Node.eq(node)).exec(&txn).await?;
    for (dir, (bytes, count)) in dirs {
        let row = cache_dirs::ActiveModel {
            node: Set(node.as_str().to_owned()),
            dir: Set(dir),
            size_bytes: Set(bytes),
            video_count: Set(count),
        };
        cache_dirs::Entity::insert(row).exec_without_returning(&txn).await?;
    }
    txn.commit().await
}
