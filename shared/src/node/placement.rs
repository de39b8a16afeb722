//! Which push host takes a booking (docs/design/placement.md): the one the web app
//! named; else a live node that already holds the video (no download); else the live node with
//! the most room (what its cache limit and its disk both allow). Pure: the nodes' last
//! statuses and the holders of the video in, a node out.

use std::time::Duration;

use crate::{
    directory::is_live,
    domain::{NodeId, NodeStatus},
};

/// The pure choice: `statuses` as the nodes last reported them, `holders` the nodes that
/// reported holding the video.
pub fn choose(statuses: &[NodeStatus], holders: &[NodeId], live_for: Duration, now: i64) -> Option<NodeId> {
    let live = || statuses.iter().filter(move |s| is_live(s, live_for, now));
    if let Some(holder) = live().find(|s| holders.contains(&s.node)) {
        return Some(holder.node.clone());
    }
    live().max_by_key(|s| (s.room_bytes(), std::cmp::Reverse(s.node.clone()))).map(|s| s.node.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIVE: Duration = Duration::from_secs(90);
    const NOW: i64 = 1_000_000_000;

    fn node(id: &str, seen_ago_ms: i64, room: u64) -> NodeStatus {
        NodeStatus {
            node: id.parse().unwrap(),
            video_root: "/v".into(),
            seen_at: NOW - seen_ago_ms,
            started_at: 0,
            max_video_size_bytes: room,
            max_video_num: 10,
            min_free_disk_bytes: 0,
            used_bytes: 0,
            video_count: 0,
            reserved_bytes: 0,
            reserved_count: 0,
            referenced_bytes: 0,
            free_disk_bytes: u64::MAX / 2,
            evictions: 0,
            downloads_active: 0,
            downloads_at_risk: 0,
            unknown_files: 0,
            downloaded_bytes: 0,
            download_millis: 0,
            dir_info: vec![],
        }
    }

    fn id(s: &str) -> NodeId {
        s.parse().unwrap()
    }

    #[test]
    fn prefers_a_live_holder_then_the_most_room() {
        let nodes = [node("a", 0, 10), node("b", 0, 50), node("c", 0, 30)];
        assert_eq!(choose(&nodes, &[], LIVE, NOW), Some(id("b")));
        assert_eq!(choose(&nodes, &[id("c")], LIVE, NOW), Some(id("c")));
    }

    #[test]
    fn room_counts_reservations_and_the_disk() {
        let mut busy = node("busy", 0, 100);
        busy.reserved_bytes = 90;
        let mut small_disk = node("disk", 0, 100);
        small_disk.free_disk_bytes = 20;
        let calm = node("calm", 0, 40);
        assert_eq!(choose(&[busy, small_disk, calm], &[], LIVE, NOW), Some(id("calm")));
    }

    #[test]
    fn ignores_nodes_whose_report_is_stale() {
        let stale = LIVE.as_millis() as i64 + 1;
        let nodes = [node("dead", stale, 100), node("live", 1_000, 1)];
        assert_eq!(choose(&nodes, &[id("dead")], LIVE, NOW), Some(id("live")));
        assert_eq!(choose(&[node("dead", stale, 1)], &[], LIVE, NOW), None);
    }
}
