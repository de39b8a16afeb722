//! The node directory in Redis: one `SET … PX` per heartbeat, a set of node ids, and a key
//! per download in progress.

use std::time::Duration;

use redis::{AsyncCommands, aio::ConnectionManager};

use super::placement::redis::ring_key;
use crate::domain::{ClassId, DownloadProgress, NodeId, NodeStatus};

const STATUS_KEPT_MS: u64 = 24 * 3600 * 1000;
const PROGRESS_KEPT_MS: u64 = 10 * 60 * 1000;
/// Statuses read per MGET.
const CHUNK: usize = 500;

fn status_key(prefix: &str, node: &str) -> String {
    format!("{prefix}:node:{node}")
}

fn progress_key(prefix: &str, class_id: &ClassId) -> String {
    format!("{prefix}:progress:{class_id}")
}

/// A key of the directory a push host's Redis user is granted, with the commands it sends on
/// it (its ACL: `jobs::node_acl`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeGrant {
    pub commands: &'static [&'static str],
    /// The key, or the start of the keys (`any_suffix`).
    pub key: String,
    pub any_suffix: bool,
    /// Only written, never read (a set the node adds itself to).
    pub write_only: bool,
}

/// What push host `node` sends to the directory: its own status (`SET … GET`, read back to
/// know whether it joined), its id into the set of nodes and into placement's ring, and the
/// progress of its downloads.
/// Progress is keyed by class, not by node: a host may write any class's progress (shown on
/// a booking's status, never acted on).
pub fn node_grants(prefix: &str, node: &NodeId) -> Vec<NodeGrant> {
    let grant = |commands, key, any_suffix, write_only| NodeGrant { commands, key, any_suffix, write_only };
    vec![
        grant(&["SET", "GET"], status_key(prefix, node.as_str()), false, false),
        grant(&["SADD"], format!("{prefix}:nodes"), false, true),
        grant(&["ZADD"], ring_key(prefix), false, true),
        grant(&["SET", "GET"], format!("{prefix}:progress:"), true, false),
    ]
}

pub(super) async fn beat(
    mut conn: ConnectionManager,
    prefix: &str,
    status: &NodeStatus,
    live_for: Duration,
) -> redis::RedisResult<()> {
    let json = serde_json::to_string(status).unwrap_or_default();
    let key = status_key(prefix, status.node.as_str());
    // One command per heartbeat: the id joins the set only when the key was not there.
    let before: Option<String> =
        redis::cmd("SET").arg(&key).arg(json).arg("PX").arg(STATUS_KEPT_MS).arg("GET").query_async(&mut conn).await?;
    if before.is_none() {
        let _: () = conn.sadd(format!("{prefix}:nodes"), status.node.as_str()).await?;
    }
    if rejoins(before.as_deref(), status, live_for) {
        // Placement takes a node it finds not live out of its ring; the node puts itself back.
        let _: () = conn.zadd(ring_key(prefix), status.node.as_str(), 0).await?;
    }
    Ok(())
}

/// Whether this heartbeat is a node's first (a new key, a Redis that forgot) or its first after
/// more than `live_for` without one.
fn rejoins(before: Option<&str>, status: &NodeStatus, live_for: Duration) -> bool {
    let Some(previous) = before.and_then(|json| serde_json::from_str::<NodeStatus>(json).ok()) else { return true };
    status.seen_at - previous.seen_at > live_for.as_millis() as i64 || previous.started_at != status.started_at
}

pub(super) async fn statuses(mut conn: ConnectionManager, prefix: &str) -> redis::RedisResult<Vec<NodeStatus>> {
    let ids: Vec<String> = conn.smembers(format!("{prefix}:nodes")).await?;
    let mut found = Vec::with_capacity(ids.len());
    let mut gone = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let keys: Vec<String> = chunk.iter().map(|id| status_key(prefix, id)).collect();
        let values: Vec<Option<String>> = redis::cmd("MGET").arg(&keys).query_async(&mut conn).await?;
        for (id, value) in chunk.iter().zip(values) {
            match value {
                Some(json) => found.extend(serde_json::from_str(&json).ok()),
                None => gone.push(id),
            }
        }
    }
    if !gone.is_empty() {
        // Its status expired: a day without a heartbeat. The set of nodes does not only grow;
        // a node that comes back joins again (its first heartbeat finds no key).
        let _: () = conn.srem(format!("{prefix}:nodes"), gone).await?;
    }
    Ok(found)
}

pub(super) async fn status(
    mut conn: ConnectionManager,
    prefix: &str,
    node: &NodeId,
) -> redis::RedisResult<Option<NodeStatus>> {
    let json: Option<String> = conn.get(status_key(prefix, node.as_str())).await?;
    Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
}

pub(super) async fn set_progress(
    mut conn: ConnectionManager,
    prefix: &str,
    class_id: &ClassId,
    progress: &DownloadProgress,
) -> redis::RedisResult<()> {
    let json = serde_json::to_string(progress).unwrap_or_default();
    redis::cmd("SET")
        .arg(progress_key(prefix, class_id))
        .arg(json)
        .arg("PX")
        .arg(PROGRESS_KEPT_MS)
        .query_async(&mut conn)
        .await
}

pub(super) async fn progress(
    mut conn: ConnectionManager,
    prefix: &str,
    class_id: &ClassId,
) -> redis::RedisResult<Option<DownloadProgress>> {
    let json: Option<String> = conn.get(progress_key(prefix, class_id)).await?;
    Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
}
