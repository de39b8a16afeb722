//! Push hosts as separate processes: two nodes of a fleet (PostgreSQL state and Redis queues
//! for the central side; each node only Redis and its own disk and index), placement by
//! affinity, a node gone for good, and one download per video across processes.

use std::time::Duration;

use nix::sys::signal::Signal;
use serde_json::json;

use super::{book, path_of};
use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_place_by_affinity_and_a_dead_node_loses_its_downloads() {
    let mut env = TestEnv::new(Stack::Fleet).await;
    env.set("NODE_WAIT", "4s").set("SWEEP_INTERVAL", "1s");
    let server = FileServer::start().await.unwrap();
    server.put("a.flv", lesson_bytes(30_000));
    server.put("b.flv", lesson_bytes(31_000));
    let app = env.spawn_with(central()).await;
    let mut nodes = vec![env.start_node("one", &[]), env.start_node("two", &[])];
    live_nodes(&app, 2).await;
    let index_of =
        |id: &serde_json::Value| nodes.iter().position(|n| n.id == *id).expect("placed on a node of the fleet");

    book(&app, "c-1", 141, &server.url("a.flv"), json!({})).await;
    let first = app.wait_for_state("c-1", "ready").await;
    let holder = &nodes[index_of(&first["node"])];
    assert!(holder.video_root().join(path_of(141)).exists());
    // Affinity: the node that holds the video takes the next class of it, with no download.
    book(&app, "c-2", 141, &server.url("a.flv"), json!({})).await;
    assert_eq!(app.wait_for_state("c-2", "ready").await["node"], first["node"]);
    assert_eq!(server.requests_for("a.flv"), 1);
    for node in &nodes {
        assert!(!node.root.join("vteacher.db").exists(), "a node never opens the state database");
    }

    // The node a new video is placed on dies for good while its download runs; after
    // NODE_WAIT the booking goes to the other node.
    server.set_knobs(Knobs { rate: Some(5_000), ..Knobs::default() });
    book(&app, "c-3", 142, &server.url("b.flv"), json!({})).await;
    let placed = app.wait_for_state("c-3", "downloading").await;
    let doomed = index_of(&placed["node"]);
    eventually("the download to start", Duration::from_secs(10), || async {
        (server.requests_for("b.flv") == 1).then_some(())
    })
    .await;
    let dead = nodes.remove(doomed);
    let mut dead = dead.process;
    dead.signal(Signal::SIGKILL);
    dead.exit_status(Duration::from_secs(10)).await;
    let moved = eventually("the booking to be placed on the live node", Duration::from_secs(40), || async {
        let booking = app.booking("c-3").await?;
        (booking["state"] == "ready").then_some(booking)
    })
    .await;
    assert_eq!(moved["node"], nodes[0].id);
    app.stop().await;
}

/// Two processes of one push host (same NODE_ID, VIDEO_ROOT and index) and two bookings of one
/// video: it is fetched once, and both bookings become ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_of_one_host_download_a_video_once() {
    let env = TestEnv::new(Stack::Redis).await;
    let server = FileServer::start().await.unwrap();
    let lesson = lesson_bytes(600_000);
    server.put("v.flv", lesson.clone());
    server.set_knobs(Knobs { rate: Some(300_000), ..Knobs::default() });
    let app = env.spawn_with(central()).await;
    let node = env.pairs["NODE_ID"].clone();
    let _one = env.start("host-a", &["work", "--queues", "download,class-end"]);
    let _two = env.start("host-b", &["work", "--queues", "download,class-end"]);
    live_nodes(&app, 1).await;
    for class in ["c-x", "c-y", "c-z"] {
        book(&app, class, 151, &server.url("v.flv"), json!({"node": node})).await;
    }
    for class in ["c-x", "c-y", "c-z"] {
        let ready = app.wait_for_state(class, "ready").await;
        assert_eq!(std::fs::read(ready["video_path"].as_str().unwrap()).unwrap(), lesson);
    }
    assert_eq!(server.requests_for("v.flv"), 1, "one download for the host, across its processes");
    app.stop().await;
}

/// A booking that names a node that never reports fails after NODE_WAIT, saying so.
async fn a_booking_naming_a_node_that_never_comes_fails_after_node_wait(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    env.set("NODE_WAIT", "2s").set("SWEEP_INTERVAL", "1s");
    let server = FileServer::start().await.unwrap();
    server.put("v.flv", lesson_bytes(10_000));
    let app = env.spawn().await;
    book(&app, "c-ghost", 161, &server.url("v.flv"), json!({"node": "ghost-host"})).await;
    let failed = app.wait_for_state("c-ghost", "failed").await;
    let reason = failed["reason"].as_str().unwrap();
    assert!(reason.contains("ghost-host") && reason.contains("NODE_WAIT"), "{reason}");
    assert_eq!(server.requests(), 0);
    app.stop().await;
}

every_stack!(a_booking_naming_a_node_that_never_comes_fails_after_node_wait);
