//! A push host whose disk is not mounted when it starts: `VIDEO_ROOT` is there but empty. The
//! host must tell that from an empty cache (its marker is missing while its index holds
//! videos): it downloads nothing again, stays not live, and an alarm names the path. Once the
//! disk is back, the host is live again with its videos as they were.

use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde_json::{Value, json};

use super::FACTOR;
use crate::{cache::book, helpers::*};

/// The host's entry in `GET /api/nodes`.
async fn node_view(app: &TestApp, id: &str) -> Option<Value> {
    let nodes: Value = app.http.get(app.url("/api/nodes")).send().await.ok()?.json().await.ok()?;
    nodes.as_array()?.iter().find(|n| n["node"] == id).cloned()
}

/// Video files (not the marker, not a write probe) below `dir`.
fn videos_under(dir: &std::path::Path) -> Vec<String> {
    let names = files_under(dir).into_iter().map(|p| p.display().to_string());
    names.filter(|p| p.ends_with(".flv") || p.ends_with(".part")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_whose_disk_is_not_mounted_downloads_nothing_again_and_stays_not_live() {
    let mut env = TestEnv::at_default_timers(Stack::Fleet, FACTOR).await;
    let alarms = WebhookSink::start().await;
    env.set("ALARM_WEBHOOK_URL", alarms.url.clone());
    let settings = env.settings();
    let server = FileServer::start().await.unwrap();
    server.put("one.flv", lesson_bytes(120_000));
    server.put("two.flv", lesson_bytes(80_000));
    let app = env.spawn_with(central()).await;
    let mut host = env.start_node("a", &[]);
    live_nodes(&app, 1).await;
    book(&app, "c-one", 301, &server.url("one.flv"), json!({})).await;
    book(&app, "c-two", 302, &server.url("two.flv"), json!({})).await;
    app.wait_for_state("c-one", "ready").await;
    app.wait_for_state("c-two", "ready").await;
    let fetched = server.requests();

    // The host stops; at its next start its disk is not mounted: the mount point is empty.
    host.process.signal(Signal::SIGTERM);
    host.process.exit_status(Duration::from_secs(20)).await;
    let root = host.video_root();
    let disk = host.root.join("unmounted-disk");
    std::fs::rename(&root, &disk).unwrap();
    std::fs::create_dir(&root).unwrap();
    let mut host = env.start_node("a", &[]);

    let alarm = alarms.one_with("alarm", "video_root_not_mounted").await;
    let message = alarm["message"].as_str().unwrap_or_default();
    assert!(message.contains(&root.display().to_string()), "the alarm names the path: {message}");
    assert_eq!(alarm["node"], host.id, "the alarm names the host");

    // Not live (its last heartbeat ages out), and it stays so: over several heartbeats and
    // sweeps it neither reports itself nor fetches anything.
    let live_for = settings.node_live_for();
    eventually("the host shown not live", live_for * 3, || async {
        (node_view(&app, &host.id).await?["live"] == false).then_some(())
    })
    .await;
    let watched = Instant::now();
    while watched.elapsed() < settings.sweep_interval.0 * 3 {
        let view = node_view(&app, &host.id).await.expect("the host is listed");
        assert_eq!(view["live"], false, "a host without its disk reported itself live: {view}");
        assert_eq!(server.requests(), fetched, "a host without its disk downloaded again");
        tokio::time::sleep(settings.node_heartbeat.0).await;
    }
    assert!(videos_under(&root).is_empty(), "videos written onto the root filesystem: {:?}", videos_under(&root));
    for class_id in ["c-one", "c-two"] {
        let booking = app.booking(class_id).await.unwrap();
        assert_eq!(booking["state"], "ready", "{class_id} stays ready: {booking}");
    }

    // The disk is mounted again: the host comes back by itself, with its videos.
    std::fs::remove_dir(&root).unwrap();
    std::fs::rename(&disk, &root).unwrap();
    live_nodes(&app, 1).await;
    assert_eq!(server.requests(), fetched, "no video was downloaded twice");
    assert_eq!(videos_under(&root).len(), 2, "both videos on the disk");
    host.process.signal(Signal::SIGTERM);
    host.process.exit_status(Duration::from_secs(20)).await;
    app.stop().await;
}
