//! Placement's record in Redis: which node each video is placed on, the videos placed on each
//! node (their count is its load), their total, and the ring of nodes placement samples.
//!
//! ```text
//! <prefix>:place:video      HASH video path -> node
//! <prefix>:place:on:<node>  ZSET the videos placed on the node (held, or on their way),
//!                           scored by when each was placed there
//! <prefix>:place:total      STR  how many videos are placed, over every node
//! <prefix>:place:ring       ZSET the nodes placement samples (a node puts itself back)
//! ```
//!
//! All of it is derived: a Redis that forgot it is given it again by the holders the database
//! names at placement and by the nodes' ready and holdings reports.

use std::{sync::LazyLock, time::Duration};

use redis::{Script, aio::ConnectionManager};

use super::{LOAD_FACTOR_PERCENT, SAMPLE};
use crate::domain::NodeId;

static PLACE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("place.lua")));
static HOLD: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("hold.lua")));
static LET_GO: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("let_go.lua")));

/// Paths per call of `hold` or `let_go` (a holdings report may list thousands).
const CHUNK: usize = 500;

pub(crate) fn ring_key(prefix: &str) -> String {
    format!("{prefix}:place:ring")
}

fn video_key(prefix: &str) -> String {
    format!("{prefix}:place:video")
}

fn total_key(prefix: &str) -> String {
    format!("{prefix}:place:total")
}

/// Places the video at `path` and records it, in one step; `None` when no live node can take
/// it.
pub(crate) async fn place(
    mut conn: ConnectionManager,
    prefix: &str,
    path: &str,
    holders: &[NodeId],
    live_for: Duration,
    now: i64,
) -> redis::RedisResult<Option<NodeId>> {
    let mut call = PLACE.prepare_invoke();
    call.key(video_key(prefix)).key(ring_key(prefix)).key(total_key(prefix));
    call.arg(path).arg(now).arg(live_for.as_millis() as u64).arg(format!("{prefix}:"));
    call.arg(SAMPLE).arg(LOAD_FACTOR_PERCENT);
    for holder in holders {
        call.arg(holder.as_str());
    }
    let chosen: Option<String> = call.invoke_async(&mut conn).await?;
    Ok(chosen.and_then(|node| node.parse().ok()))
}

/// `node` holds the videos at `paths`: each placed nowhere yet is placed on it.
pub(crate) async fn hold(
    conn: ConnectionManager,
    prefix: &str,
    node: &NodeId,
    paths: &[String],
) -> redis::RedisResult<()> {
    each_chunk(conn, &HOLD, prefix, node, paths).await
}

/// `node` no longer holds the videos at `paths`: those placed on it are placed nowhere.
pub(crate) async fn let_go(
    conn: ConnectionManager,
    prefix: &str,
    node: &NodeId,
    paths: &[String],
) -> redis::RedisResult<()> {
    each_chunk(conn, &LET_GO, prefix, node, paths).await
}

async fn each_chunk(
    mut conn: ConnectionManager,
    script: &Script,
    prefix: &str,
    node: &NodeId,
    paths: &[String],
) -> redis::RedisResult<()> {
    for chunk in paths.chunks(CHUNK) {
        let mut call = script.prepare_invoke();
        call.key(video_key(prefix)).key(total_key(prefix));
        call.arg(format!("{prefix}:")).arg(node.as_str()).arg(crate::db::now_ms()).arg(chunk);
        let _: i64 = call.invoke_async(&mut conn).await?;
    }
    Ok(())
}

fn on_key(prefix: &str, node: &NodeId) -> String {
    format!("{prefix}:place:on:{node}")
}

/// How many videos are placed on `node` (its load; the script reads it itself).
#[cfg(test)]
pub(crate) async fn load(mut conn: ConnectionManager, prefix: &str, node: &NodeId) -> redis::RedisResult<u64> {
    redis::cmd("ZCARD").arg(on_key(prefix, node)).query_async(&mut conn).await
}

/// The videos placed on `node` before `before` (unix ms).
pub(crate) async fn placed_before(
    mut conn: ConnectionManager,
    prefix: &str,
    node: &NodeId,
    before: i64,
) -> redis::RedisResult<Vec<String>> {
    redis::cmd("ZRANGEBYSCORE")
        .arg(on_key(prefix, node))
        .arg("-inf")
        .arg(format!("({before}"))
        .query_async(&mut conn)
        .await
}
