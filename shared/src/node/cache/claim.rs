//! One download per video per push host, across processes: the video's row in state
//! `downloading` is a lock held by the database. Its `owner` renews `lease_until` while the
//! download runs; a row whose lease ran out (its process died) is taken over, reservation and
//! all. A row `evicting` is the same kind of lock for a deletion.

use std::time::Duration;

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::store::{self, Delta};
use crate::{
    db::{cache_videos, now_ms},
    domain::{NodeId, VideoKey, VideoState},
};

/// How long a claim holds without being renewed: longer than a download may go without a
/// byte (its idle timeout), since it renews as bytes arrive. A claim whose process is gone is
/// taken over at once (claims name their process), so this bounds only a stalled live one.
pub const LEASE: Duration = Duration::from_secs(60);

/// A claim this process holds on the download of one video.
#[derive(Debug, Clone)]
pub struct Claim {
    pub video_id: i64,
    pub owner: String,
    pub path: String,
    /// Bytes reserved for it so far (its Content-Length once known).
    pub reserved: u64,
}

/// What the row of a video says to someone who wants it downloaded.
#[derive(Debug)]
pub enum Seen {
    /// On disk and ready.
    Ready(cache_videos::Model),
    /// Claimed now, by the caller.
    Claimed(Claim),
    /// Someone else downloads or deletes it: wait.
    Busy,
}

fn lease_until() -> i64 {
    now_ms() + LEASE.as_millis() as i64
}

/// A claim's owner: this process and a nonce (`<pid>-<uuid>`).
pub fn new_owner() -> String {
    format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple())
}

/// Whether the claim is held: its lease runs and its process (on this host: the cache index
/// is the host's own) is alive.
pub fn is_held(video: &cache_videos::Model, now: i64) -> bool {
    if video.lease_until.unwrap_or(0) <= now {
        return false;
    }
    let pid = video.owner.as_deref().and_then(|o| o.split('-').next()).and_then(|p| p.parse::<i32>().ok());
    match pid {
        // ESRCH: no such process. Any other answer (EPERM…) means it exists.
        Some(pid) => {
            !matches!(nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None), Err(nix::errno::Errno::ESRCH))
        }
        None => true,
    }
}

/// Claims the video at `path` for the caller unless it is ready or held by a live claim.
/// A claim taken over keeps the reservation its dead owner made.
pub async fn claim(conn: &impl ConnectionTrait, node: &NodeId, path: &str, key: &VideoKey) -> Result<Seen, DbErr> {
    let owner = new_owner();
    let now = now_ms();
    match store::video(conn, node, path).await? {
        Some(video) if video.state == VideoState::Ready => Ok(Seen::Ready(video)),
        Some(video) if is_held(&video, now) => Ok(Seen::Busy),
        Some(video) if video.state == VideoState::Evicting => {
            // Its evictor died between marking and deleting: the totals already let it go.
            let root_relative = video.path.clone();
            tracing::info!(path = root_relative, "finishing an eviction whose process stopped");
            cache_videos::Entity::delete_by_id(video.id).exec(conn).await?;
            Ok(Seen::Busy)
        }
        Some(video) => {
            let change = cache_videos::ActiveModel {
                owner: Set(Some(owner.clone())),
                lease_until: Set(Some(lease_until())),
                ..Default::default()
            };
            cache_videos::Entity::update_many()
                .set(change)
                .filter(cache_videos::Column::Id.eq(video.id))
                .exec(conn)
                .await?;
            let reserved = video.size_bytes.max(0) as u64;
            Ok(Seen::Claimed(Claim { video_id: video.id, owner, path: path.to_owned(), reserved }))
        }
        None => {
            let row = cache_videos::ActiveModel {
                node: Set(node.as_str().to_owned()),
                path: Set(path.to_owned()),
                record_id: Set(key.record_id.get()),
                resolution: Set(key.resolution.map(|r| r.to_string())),
                org_id: Set(key.org_id.as_ref().map(ToString::to_string)),
                size_bytes: Set(0),
                state: Set(VideoState::Downloading),
                num_cite: Set(0),
                last_used_at: Set(now),
                created_at: Set(now),
                owner: Set(Some(owner.clone())),
                lease_until: Set(Some(lease_until())),
                ..Default::default()
            };
            let id = cache_videos::Entity::insert(row).exec(conn).await?.last_insert_id;
            store::add(conn, node, Delta { reserved_count: 1, ..Delta::default() }).await?;
            Ok(Seen::Claimed(Claim { video_id: id, owner, path: path.to_owned(), reserved: 0 }))
        }
    }
}

/// Renews the claim. `false` when it was lost (taken over after a stall): stop at once.
pub async fn renew(conn: &impl ConnectionTrait, claim: &Claim) -> Result<bool, DbErr> {
    let done = cache_videos::Entity::update_many()
        .col_expr(cache_videos::Column::LeaseUntil, sea_orm::sea_query::Expr::value(lease_until()))
        .filter(cache_videos::Column::Id.eq(claim.video_id))
        .filter(cache_videos::Column::Owner.eq(claim.owner.as_str()))
        .exec(conn)
        .await?;
    Ok(done.rows_affected > 0)
}

/// Gives the claim up without a video: the row and its reservation go.
pub async fn release(conn: &impl ConnectionTrait, node: &NodeId, claim: &Claim) -> Result<(), DbErr> {
    let gone = cache_videos::Entity::delete_many()
        .filter(cache_videos::Column::Id.eq(claim.video_id))
        .filter(cache_videos::Column::Owner.eq(claim.owner.as_str()))
        .filter(cache_videos::Column::State.eq(VideoState::Downloading))
        .exec(conn)
        .await?;
    if gone.rows_affected > 0 {
        let d = Delta { reserved_bytes: -(claim.reserved as i64), reserved_count: -1, ..Delta::default() };
        store::add(conn, node, d).await?;
    }
    Ok(())
}
