//! A push host SIGKILLed mid-download that never comes back: its booking is placed again and
//! ready on a live host within NODE_WAIT plus two sweeps; a booking that named it fails, saying
//! so; no order piles up in the dead host's queue meanwhile.

use std::{
    collections::HashSet,
    time::{Duration, Instant},
};

use nix::sys::signal::Signal;
use serde_json::json;
use shared::jobs::DownloadJob;

use super::FACTOR;
use crate::{cache::book, helpers::*};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_killed_mid_download_has_its_booking_placed_again_within_node_wait() {
    let env = TestEnv::at_default_timers(Stack::Fleet, FACTOR).await;
    let settings = env.settings();
    let server = FileServer::start().await.unwrap();
    server.put("moved.flv", lesson_bytes(200_000));
    server.put("named.flv", lesson_bytes(100_000));
    // Slow enough that both downloads are under way when the host dies.
    server.set_knobs(Knobs { rate: Some(4_000), ..Knobs::default() });
    let app = env.spawn_with(central()).await;
    let mut hosts = [env.start_node("a", &[]), env.start_node("b", &[])];
    live_nodes(&app, 2).await;

    book(&app, "c-moved", 201, &server.url("moved.flv"), json!({})).await;
    let placed = app.wait_for_state("c-moved", "downloading").await;
    let victim = hosts.iter().position(|h| placed["node"] == h.id).expect("placed on one of the hosts");
    let victim_id = hosts[victim].id.clone();
    book(&app, "c-named", 202, &server.url("named.flv"), json!({"node": victim_id})).await;
    eventually("both downloads under way", Duration::from_secs(30), || async {
        (server.requests_for("moved.flv") == 1 && server.requests_for("named.flv") == 1).then_some(())
    })
    .await;

    hosts[victim].process.signal(Signal::SIGKILL);
    hosts[victim].process.exit_status(Duration::from_secs(10)).await;
    let killed = Instant::now();
    server.set_knobs(Knobs::default());
    let bound = settings.node_wait.0 + settings.sweep_interval.0 * 2;
    // The work after the move (a decision and a 200 KB download) gets a few seconds more.
    let moved = eventually("the booking ready on the live host", bound + Duration::from_secs(5), || async {
        let booking = app.booking("c-moved").await?;
        (booking["state"] == "ready").then_some(booking)
    })
    .await;
    let survivor = &hosts[1 - victim];
    assert_eq!(moved["node"], survivor.id, "ready on the live host");
    let named = app.wait_for_state("c-named", "failed").await;
    let reason = named["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(&victim_id) && reason.contains("NODE_WAIT"), "the reason names the host: {reason}");
    assert!(killed.elapsed() <= bound + Duration::from_secs(5), "settled in {:?}", killed.elapsed());

    let piled = app.app.queues.waiting::<DownloadJob>(Some(&victim_id)).await.unwrap();
    let classes: HashSet<String> = piled.iter().map(|job| job.0.class_id.to_string()).collect();
    assert_eq!(piled.len(), classes.len(), "orders piled up in the dead host's queue: {piled:?}");
    for ((path, agent), count) in server.requests_by_path_and_agent() {
        assert_eq!(count, 1, "{agent} fetched {path} {count} times");
    }
    app.stop().await;
}
