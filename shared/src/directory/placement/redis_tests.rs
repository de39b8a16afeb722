//! `place.lua` against a real Redis (the shared one, under a prefix of this test's own): it
//! agrees with its pure twin, sticks, moves off a node gone quiet, and two placers at once put
//! each video on one node and spread them.

use std::collections::{HashMap, HashSet};

use super::{
    tests::{LIVE, node},
    *,
};
use crate::{db::now_ms, directory::Directory};

struct Fixture {
    directory: Directory,
    conn: ::redis::aio::ConnectionManager,
    prefix: String,
}

impl Fixture {
    /// Deletes this test's keys from the shared Redis.
    async fn clean(mut conn: ::redis::aio::ConnectionManager, prefix: &str) {
        let keys: Vec<String> = ::redis::cmd("KEYS").arg(format!("{prefix}:*")).query_async(&mut conn).await.unwrap();
        if !keys.is_empty() {
            let _: () = ::redis::cmd("DEL").arg(keys).query_async(&mut conn).await.unwrap();
        }
    }
}

async fn fixture() -> Fixture {
    let client = ::redis::Client::open(testkit::redis::redis_url()).unwrap();
    let conn = ::redis::aio::ConnectionManager::new(client).await.unwrap();
    let prefix = format!("vt-place-{}", uuid::Uuid::new_v4().simple());
    Fixture { directory: Directory::redis(conn.clone(), &prefix), conn, prefix }
}

/// `count` live nodes, each with room, beating now.
async fn fleet(directory: &Directory, count: usize) -> Vec<NodeStatus> {
    let mut statuses = Vec::new();
    for i in 0..count {
        let mut status = node(&format!("n{i:04}"), 0, 1 << 40);
        status.seen_at = now_ms();
        directory.beat(&status, LIVE).await.unwrap();
        statuses.push(status);
    }
    statuses
}

#[tokio::test]
async fn the_script_chooses_as_its_pure_twin_does() {
    let Fixture { directory, conn, prefix } = fixture().await;
    let statuses = fleet(&directory, SAMPLE - 4).await;
    let mut loads: HashMap<NodeId, u64> = HashMap::new();
    for video in 0..300 {
        let path = format!("7/{video}/360p.mp4");
        let candidates: Vec<_> = statuses
            .iter()
            .map(|status| Candidate { status, load: loads.get(&status.node).copied().unwrap_or(0) })
            .collect();
        let expected = choose(&path, &[], &candidates, LIVE, now_ms()).unwrap();
        let placed = directory.place(&path, &[], LIVE).await.unwrap().unwrap();
        assert_eq!(placed, expected, "video {video}");
        *loads.entry(placed).or_default() += 1;
    }
    Fixture::clean(conn, &prefix).await;
}

#[tokio::test]
async fn a_video_stays_on_its_node_and_moves_only_when_the_node_goes_quiet() {
    let Fixture { directory, conn, prefix } = fixture().await;
    let statuses = fleet(&directory, 5).await;
    let first = directory.place("9/1.mp4", &[], LIVE).await.unwrap().unwrap();
    for _ in 0..5 {
        assert_eq!(directory.place("9/1.mp4", &[], LIVE).await.unwrap(), Some(first.clone()), "sticky");
    }
    let mut quiet = statuses.iter().find(|s| s.node == first).unwrap().clone();
    quiet.seen_at = now_ms() - 2 * LIVE.as_millis() as i64;
    directory.beat(&quiet, LIVE).await.unwrap();
    let moved = directory.place("9/1.mp4", &[], LIVE).await.unwrap().unwrap();
    assert_ne!(moved, first, "a node gone quiet takes nothing");
    assert_eq!(directory.place("9/1.mp4", &[], LIVE).await.unwrap(), Some(moved.clone()), "sticky on its new node");
    assert_eq!(redis::load(conn.clone(), &prefix, &first).await.unwrap(), 0, "the quiet node's load went with it");
    assert_eq!(redis::load(conn.clone(), &prefix, &moved).await.unwrap(), 1);
    Fixture::clean(conn, &prefix).await;
}

#[tokio::test]
async fn a_holder_named_by_the_database_wins_and_reports_keep_the_record() {
    let Fixture { directory, conn, prefix } = fixture().await;
    let statuses = fleet(&directory, 4).await;
    let holder = statuses[3].node.clone();
    assert_eq!(directory.place("3/1.mp4", std::slice::from_ref(&holder), LIVE).await.unwrap(), Some(holder.clone()));
    let paths = ["3/2.mp4".to_owned()];
    directory.placed_held(&holder, &paths).await.unwrap();
    directory.placed_held(&holder, &paths).await.unwrap();
    assert_eq!(directory.place("3/2.mp4", &[], LIVE).await.unwrap(), Some(holder.clone()), "a ready report places it");
    assert_eq!(redis::load(conn.clone(), &prefix, &holder).await.unwrap(), 2, "a repeated report counts once");
    directory.placed_let_go(&holder, &paths).await.unwrap();
    directory.placed_let_go(&holder, &paths).await.unwrap();
    assert_eq!(redis::load(conn.clone(), &prefix, &holder).await.unwrap(), 1, "an eviction, repeated, counts once");
    let keep: HashSet<String> = ["3/1.mp4".to_owned()].into();
    directory.placed_keep_only(&holder, &HashSet::new(), now_ms() - 60_000).await.unwrap();
    assert_eq!(redis::load(conn.clone(), &prefix, &holder).await.unwrap(), 1, "a video placed just now is left alone");
    directory.placed_keep_only(&holder, &keep, now_ms() + 1).await.unwrap();
    assert_eq!(redis::load(conn.clone(), &prefix, &holder).await.unwrap(), 1, "what the database says it holds stays");
    directory.placed_keep_only(&holder, &HashSet::new(), now_ms() + 1).await.unwrap();
    assert_eq!(redis::load(conn.clone(), &prefix, &holder).await.unwrap(), 0, "what it neither holds nor awaits goes");
    Fixture::clean(conn, &prefix).await;
}

#[tokio::test]
async fn two_placers_at_once_put_each_video_on_one_node_and_spread_them() {
    let Fixture { directory: first, conn, prefix } = fixture().await;
    let second = Directory::redis(conn.clone(), &prefix);
    fleet(&first, 20).await;
    let place_all = |directory: Directory| async move {
        let mut placed = Vec::new();
        for booking in 0..1_000 {
            let path = format!("{}/lesson.mp4", booking % 200);
            placed.push((path.clone(), directory.place(&path, &[], LIVE).await.unwrap().unwrap()));
        }
        placed
    };
    let (a, b) = tokio::join!(tokio::spawn(place_all(first)), tokio::spawn(place_all(second)));
    let mut nodes_of: HashMap<String, HashSet<NodeId>> = HashMap::new();
    for (path, node) in a.unwrap().into_iter().chain(b.unwrap()) {
        nodes_of.entry(path).or_default().insert(node);
    }
    assert!(nodes_of.values().all(|nodes| nodes.len() == 1), "a video on two nodes");
    let mut per_node: HashMap<NodeId, u64> = HashMap::new();
    for nodes in nodes_of.values() {
        *per_node.entry(nodes.iter().next().unwrap().clone()).or_default() += 1;
    }
    let busiest = *per_node.values().max().unwrap();
    assert!(busiest * 20 <= 200 * 3 / 2, "busiest node holds {busiest} of 200 videos over 20 nodes: {per_node:?}");
    Fixture::clean(conn, &prefix).await;
}

#[tokio::test]
async fn a_fleet_larger_than_the_sample_spreads_and_never_gets_a_quiet_node() {
    let Fixture { directory, conn, prefix } = fixture().await;
    let statuses = fleet(&directory, 200).await;
    for quiet in statuses.iter().step_by(4) {
        let mut quiet = quiet.clone();
        quiet.seen_at = now_ms() - 2 * LIVE.as_millis() as i64;
        directory.beat(&quiet, LIVE).await.unwrap();
    }
    let quiet: HashSet<NodeId> = statuses.iter().step_by(4).map(|s| s.node.clone()).collect();
    let mut per_node: HashMap<NodeId, u64> = HashMap::new();
    for video in 0..3_000 {
        let node = directory.place(&format!("{video}/lesson.mp4"), &[], LIVE).await.unwrap().unwrap();
        assert!(!quiet.contains(&node), "placed on a quiet node: {node}");
        *per_node.entry(node).or_default() += 1;
    }
    let mean = 3_000.0 / 150.0;
    let busiest = *per_node.values().max().unwrap() as f64;
    assert!(busiest <= 1.5 * mean, "busiest {busiest}, mean {mean}");
    assert_eq!(per_node.len(), 150, "every live node took some");
    let mut raw = conn.clone();
    let ring: u64 = ::redis::cmd("ZCARD").arg(redis::ring_key(&prefix)).query_async(&mut raw).await.unwrap();
    assert_eq!(ring, 150, "the quiet nodes sampled left the ring");
    Fixture::clean(conn, &prefix).await;
}

#[tokio::test]
async fn a_node_whose_status_expired_leaves_the_set_of_nodes_and_joins_again_when_back() {
    let Fixture { directory, conn, prefix } = fixture().await;
    let statuses = fleet(&directory, 3).await;
    let mut raw = conn.clone();
    let gone = &statuses[1];
    let _: () = ::redis::cmd("DEL").arg(format!("{prefix}:node:{}", gone.node)).query_async(&mut raw).await.unwrap();
    let listed: Vec<NodeId> = directory.statuses().await.unwrap().into_iter().map(|s| s.node).collect();
    assert_eq!(listed.len(), 2);
    let members: Vec<String> =
        ::redis::cmd("SMEMBERS").arg(format!("{prefix}:nodes")).query_async(&mut raw).await.unwrap();
    assert!(!members.contains(&gone.node.to_string()), "pruned: {members:?}");
    let mut back = gone.clone();
    back.seen_at = now_ms();
    directory.beat(&back, LIVE).await.unwrap();
    assert_eq!(directory.statuses().await.unwrap().len(), 3, "back, and listed again");
    Fixture::clean(conn, &prefix).await;
}

#[tokio::test]
async fn the_script_never_sends_a_new_video_to_a_node_without_room() {
    let Fixture { directory, conn, prefix } = fixture().await;
    let statuses = fleet(&directory, 4).await;
    let mut full = statuses[2].clone();
    full.used_bytes = full.max_video_size_bytes;
    full.referenced_bytes = full.max_video_size_bytes;
    assert_eq!(full.placeable_bytes(), 0);
    directory.beat(&full, LIVE).await.unwrap();
    for video in 0..200 {
        let node = directory.place(&format!("{video}/lesson.mp4"), &[], LIVE).await.unwrap().unwrap();
        assert_ne!(node, full.node, "a node whose cache is all referenced took video {video}");
    }
    Fixture::clean(conn, &prefix).await;
}
