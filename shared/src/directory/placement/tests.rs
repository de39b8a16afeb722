use std::collections::HashMap;

use super::*;

pub(super) const LIVE: Duration = Duration::from_secs(90);
pub(super) const NOW: i64 = 1_000_000_000;

pub(super) fn node(id: &str, seen_ago_ms: i64, room: u64) -> NodeStatus {
    NodeStatus::empty(id.parse().unwrap(), NOW - seen_ago_ms, room, u64::MAX / 2)
}

fn id(s: &str) -> NodeId {
    s.parse().unwrap()
}

fn idle(statuses: &[NodeStatus]) -> Vec<Candidate<'_>> {
    statuses.iter().map(|status| Candidate { status, load: 0 }).collect()
}

#[test]
fn a_live_holder_takes_it() {
    let nodes = [node("a", 0, 10), node("b", 0, 50), node("c", 0, 30)];
    assert_eq!(choose("v/1", &[id("c")], &idle(&nodes), LIVE, NOW), Some(id("c")));
}

#[test]
fn stale_nodes_take_nothing() {
    let stale = LIVE.as_millis() as i64 + 1;
    let nodes = [node("dead", stale, 100), node("live", 1_000, 1)];
    assert_eq!(choose("v/1", &[id("dead")], &idle(&nodes), LIVE, NOW), Some(id("live")));
    assert_eq!(choose("v/1", &[], &idle(&[node("dead", stale, 1)]), LIVE, NOW), None);
}

#[test]
fn a_node_without_room_even_after_eviction_takes_nothing() {
    let mut full = node("full", 0, 100);
    full.used_bytes = 100;
    full.referenced_bytes = 100;
    let mut evictable = node("old-lessons", 0, 100);
    evictable.used_bytes = 100;
    assert_eq!(full.placeable_bytes(), 0);
    assert!(evictable.placeable_bytes() > 0, "a cache full of unreferenced videos can make room");
    let nodes = [full, evictable];
    for video in 0..20 {
        assert_eq!(choose(&format!("v/{video}"), &[], &idle(&nodes), LIVE, NOW), Some(id("old-lessons")));
    }
}

#[test]
fn each_video_has_its_own_order_of_nodes() {
    let nodes: Vec<NodeStatus> = (0..20).map(|i| node(&format!("n{i:02}"), 0, 100)).collect();
    let first: Vec<_> = (0..200).map(|v| choose(&format!("v/{v}"), &[], &idle(&nodes), LIVE, NOW).unwrap()).collect();
    let again: Vec<_> = (0..200).map(|v| choose(&format!("v/{v}"), &[], &idle(&nodes), LIVE, NOW).unwrap()).collect();
    assert_eq!(first, again, "the same video, the same fleet: the same node");
    let distinct: std::collections::HashSet<_> = first.iter().collect();
    assert!(distinct.len() > 15, "videos spread over the nodes: {} of 20 used", distinct.len());
}

#[test]
fn placing_videos_one_by_one_keeps_the_busiest_within_the_load_factor() {
    let nodes: Vec<NodeStatus> = (0..20).map(|i| node(&format!("n{i:02}"), 0, 100)).collect();
    let mut loads: HashMap<NodeId, u64> = HashMap::new();
    for video in 0..2_000 {
        let candidates: Vec<_> = nodes
            .iter()
            .map(|status| Candidate { status, load: loads.get(&status.node).copied().unwrap_or(0) })
            .collect();
        let chosen = choose(&format!("v/{video}"), &[], &candidates, LIVE, NOW).unwrap();
        *loads.entry(chosen).or_default() += 1;
    }
    let busiest = *loads.values().max().unwrap();
    assert!(busiest <= bound(1_999, 20), "busiest {busiest}, bound {}", bound(1_999, 20));
    assert!(busiest as f64 <= 1.25 * 100.0 + 1.0, "busiest {busiest} of a mean of 100");
}

#[test]
fn the_bound_counts_the_video_being_placed() {
    assert_eq!(bound(0, 20), 1, "an empty fleet: every node may take one");
    assert_eq!(bound(199, 20), 13, "200 videos over 20 nodes: at most 12.5, so 13");
    assert_eq!(bound(5, 0), 8, "no node counted: no division by zero");
}
