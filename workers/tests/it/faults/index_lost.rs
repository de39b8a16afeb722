//! Two push hosts lose their cache index while their classes are ready: one's is deleted,
//! the other's overwritten with garbage. Each rebuilds its index from its disk and its
//! references from what the central side knows of it, an alarm says so, and when bookings of
//! more videos push the caches over their limits no video of a class that has not ended is
//! evicted; nothing is downloaded twice.

use std::{io::Write, path::Path, time::Duration};

use nix::sys::signal::Signal;
use serde_json::json;

use super::FACTOR;
use crate::{
    cache::{book, end, path_of},
    helpers::*,
};

/// The num_cite of each of `records` in `host`'s index (0 when absent).
async fn num_cites(host: &Node, records: &[i64]) -> Vec<i32> {
    let mut cites = Vec::new();
    for record in records {
        cites.push(host.num_cite(&path_of(*record)).await.unwrap_or(0));
    }
    cites
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_whose_index_is_lost_rebuild_their_references_and_evict_no_video_of_a_class_not_ended() {
    let mut env = TestEnv::at_default_timers(Stack::Fleet, FACTOR).await;
    let alarms = WebhookSink::start().await;
    env.set("ALARM_WEBHOOK_URL", alarms.url.clone());
    let server = FileServer::start().await.unwrap();
    for name in ["1", "2", "3", "4"] {
        server.put(&format!("{name}.flv"), lesson_bytes(60_000));
    }
    let app = env.spawn_with(central()).await;
    // Room for three videos: the cache manager keeps two (CACHE_LOW_WATER 0.9, rounded down).
    let small = [("MAX_VIDEO_NUM", Some("3".to_owned()))];
    let names = ["deleted", "corrupt"];
    let mut hosts: Vec<_> = names.iter().map(|name| env.start_node(name, &small)).collect();
    live_nodes(&app, 2).await;
    // Two classes ready on each host, not ended: their videos must stay.
    for (h, host) in hosts.iter().enumerate() {
        for n in 1..=2i64 {
            let record = 400 + 10 * h as i64 + n;
            book(&app, &format!("c-{h}-{n}"), record, &server.url(&format!("{n}.flv")), json!({"node": host.id})).await;
            app.wait_for_state(&format!("c-{h}-{n}"), "ready").await;
        }
    }

    for host in &mut hosts {
        host.process.signal(Signal::SIGTERM);
        host.process.exit_status(Duration::from_secs(20)).await;
    }
    let lose = |root: &Path| {
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(root.join(format!("node.db{suffix}")));
        }
    };
    lose(&hosts[0].root);
    std::fs::remove_file(hosts[0].root.join("node.db")).unwrap();
    lose(&hosts[1].root);
    let mut garbage = std::fs::OpenOptions::new().write(true).open(hosts[1].root.join("node.db")).unwrap();
    garbage.write_all(&lesson_bytes(64 * 1024)).unwrap();
    drop(garbage);
    let hosts: Vec<_> = names.iter().map(|name| env.start_node(name, &small)).collect();

    for host in &hosts {
        let alarm = eventually(&format!("an index-rebuilt alarm for {}", host.id), Duration::from_secs(30), || async {
            alarms.received().into_iter().find(|a| a["alarm"] == "node_index_rebuilt" && a["node"] == host.id)
        })
        .await;
        let message = alarm["message"].as_str().unwrap_or_default();
        assert!(message.contains("rebuilt"), "the alarm says what happened: {message}");
    }
    live_nodes(&app, 2).await;

    // A third video each, whose class then ends; then a fourth: over MAX_VIDEO_NUM, something
    // must go, and only the ended class's video may.
    for (h, host) in hosts.iter().enumerate() {
        let (record, class_id) = (400 + 10 * h as i64 + 3, format!("c-{h}-3"));
        book(&app, &class_id, record, &server.url("3.flv"), json!({"node": host.id})).await;
        app.wait_for_state(&class_id, "ready").await;
        let (status, body) = end(&app, &class_id).await;
        assert_eq!(status, 200, "{class_id} ends: {body}");
    }
    for (h, host) in hosts.iter().enumerate() {
        let (record, class_id) = (400 + 10 * h as i64 + 4, format!("c-{h}-4"));
        book(&app, &class_id, record, &server.url("4.flv"), json!({"node": host.id})).await;
        app.wait_for_state(&class_id, "ready").await;
    }
    // The cache manager runs every SWEEP_INTERVAL: give it two passes to do harm.
    let settings = env.settings();
    for (h, host) in hosts.iter().enumerate() {
        let records: Vec<i64> = (1..=2).map(|n| 400 + 10 * h as i64 + n).collect();
        eventually(&format!("{}'s references rebuilt", host.id), Duration::from_secs(30), || async {
            (num_cites(host, &records).await == [1, 1]).then_some(())
        })
        .await;
    }
    let passes = tokio::time::Instant::now() + settings.sweep_interval.0 * 2;
    while tokio::time::Instant::now() < passes {
        for (h, host) in hosts.iter().enumerate() {
            for n in [1, 2, 4] {
                let path = host.video_root().join(path_of(400 + 10 * h as i64 + n));
                assert!(path.is_file(), "{} evicted {} of a class not ended", host.id, path.display());
            }
        }
        tokio::time::sleep(settings.node_heartbeat.0).await;
    }
    for (h, _) in hosts.iter().enumerate() {
        for n in [1, 2, 4] {
            let booking = app.booking(&format!("c-{h}-{n}")).await.unwrap();
            assert_eq!(booking["state"], "ready", "{booking}");
        }
    }
    for ((path, agent), count) in server.requests_by_path_and_agent() {
        assert_eq!(count, 1, "{agent} fetched {path} {count} times");
    }
    app.stop().await;
}
