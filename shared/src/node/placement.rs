//! Which push host takes a booking: the one the web app named; else a live node that already
//! holds the video (no download); else the live node with the most free cache capacity.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::{
    db::{nodes, now_ms, videos},
    domain::{NodeId, VideoKey},
};

/// A node is live while its heartbeat is younger than this.
pub const LIVE_FOR_MS: i64 = 45_000;

/// The pure choice: `nodes` as stored, `holders` the ids of nodes holding the video.
pub fn choose(nodes: &[nodes::Model], holders: &[String], now: i64) -> Option<String> {
    let live = || nodes.iter().filter(move |n| now - n.last_seen_at <= LIVE_FOR_MS);
    if let Some(holder) = live().find(|n| holders.contains(&n.node_id)) {
        return Some(holder.node_id.clone());
    }
    live().max_by_key(|n| (n.capacity_bytes - n.used_bytes).min(n.free_disk_bytes)).map(|n| n.node_id.clone())
}

/// Picks a live node for the video `key`, or `None` when no node is live.
pub async fn place(conn: &impl ConnectionTrait, key: &VideoKey) -> Result<Option<NodeId>, DbErr> {
    let all = nodes::Entity::find().all(conn).await?;
    let mut holding =
        videos::Entity::find().filter(videos::Column::RecordId.eq(key.record_id.get())).filter(match key.resolution {
            Some(r) => videos::Column::Resolution.eq(r.to_string()),
            None => videos::Column::Resolution.is_null(),
        });
    holding = match &key.org_id {
        Some(org) => holding.filter(videos::Column::OrgId.eq(org.as_str())),
        None => holding.filter(videos::Column::OrgId.is_null()),
    };
    let holders: Vec<String> = holding.all(conn).await?.into_iter().map(|v| v.node).collect();
    Ok(choose(&all, &holders, now_ms()).and_then(|id| id.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, seen_ago: i64, free_cache: i64) -> nodes::Model {
        nodes::Model {
            node_id: id.into(),
            video_root: "/v".into(),
            last_seen_at: 1_000_000 - seen_ago,
            video_count: 0,
            used_bytes: 0,
            capacity_bytes: free_cache,
            free_disk_bytes: i64::MAX,
        }
    }

    #[test]
    fn prefers_a_live_holder_then_the_most_free_capacity() {
        let nodes = [node("a", 0, 10), node("b", 0, 50), node("c", 0, 30)];
        assert_eq!(choose(&nodes, &[], 1_000_000).as_deref(), Some("b"));
        assert_eq!(choose(&nodes, &["c".into()], 1_000_000).as_deref(), Some("c"));
    }

    #[test]
    fn ignores_nodes_whose_heartbeat_is_stale() {
        let nodes = [node("dead", LIVE_FOR_MS + 1, 100), node("live", 1_000, 1)];
        assert_eq!(choose(&nodes, &["dead".into()], 1_000_000).as_deref(), Some("live"));
        assert_eq!(choose(&[node("dead", LIVE_FOR_MS + 1, 1)], &[], 1_000_000), None);
    }
}
