//! A push host's filesystem fills mid-download (another process writes to it): the host evicts
//! the videos no class holds, least recently used first, and goes on, resuming its download;
//! only when nothing can go does the booking fail, saying why, and no `.part` is left. The
//! filesystem is a real small one (a 6 MiB tmpfs mounted for the test; tests run as root), so
//! MIN_FREE_DISK, whose default floor is 1 GiB, is 0 there: every timer is the default's.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use serde_json::{Value, json};

use super::FACTOR;
use crate::{
    cache::{book, end, path_of},
    helpers::*,
};

/// `.part` files below `dir`.
fn parts_under(dir: &Path) -> Vec<PathBuf> {
    files_under(dir).into_iter().filter(|p| p.display().to_string().contains(".part")).collect()
}

/// Waits for the booking to settle (ready or failed).
async fn settled(app: &TestApp, class_id: &str, within: Duration) -> Value {
    eventually(&format!("{class_id} to settle"), within, || async {
        let booking = app.booking(class_id).await?;
        matches!(booking["state"].as_str(), Some("ready" | "failed")).then_some(booking)
    })
    .await
}

/// Waits until `bytes` of the download into `dest` are on the disk.
async fn under_way(dest: &Path, bytes: u64) {
    let part = PathBuf::from(format!("{}.part", dest.display()));
    eventually(&format!("{} at {bytes} bytes", part.display()), Duration::from_secs(30), || async {
        (std::fs::metadata(&part).ok()?.len() >= bytes).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_filled_mid_download_is_met_by_eviction_and_fails_only_when_nothing_can_go() {
    let env = TestEnv::at_default_timers(Stack::Fleet, FACTOR).await;
    let disk = SmallDisk::mount(&env.dir.path().join("small-disk"), "6m");
    let root = disk.0.join("video");
    let server = FileServer::start().await.unwrap();
    for (name, len) in
        [("old1", 1_000_000), ("old2", 1_000_000), ("keep", 500_000), ("big", 2_000_000), ("huge", 2_500_000)]
    {
        server.put(&format!("{name}.flv"), lesson_bytes(len));
    }
    let app = env.spawn_with(central()).await;
    let host = env
        .start_node("a", &[("VIDEO_ROOT", Some(root.display().to_string())), ("MIN_FREE_DISK", Some("0".to_owned()))]);
    live_nodes(&app, 1).await;

    // Two videos whose classes ended (they may go) and one whose class has not (it stays).
    for (class_id, record, name) in [("c-old1", 501, "old1"), ("c-old2", 502, "old2"), ("c-keep", 503, "keep")] {
        book(&app, class_id, record, &server.url(&format!("{name}.flv")), json!({"node": host.id})).await;
        app.wait_for_state(class_id, "ready").await;
    }
    for class_id in ["c-old1", "c-old2"] {
        assert_eq!(end(&app, class_id).await.0, 200);
    }

    // A download under way when another process fills the disk. Fast enough that its next
    // write (every 256 KiB) meets the full disk well before the cache manager's next pass.
    server.set_knobs(Knobs { rate: Some(1_000_000), ..Knobs::default() });
    book(&app, "c-big", 504, &server.url("big.flv"), json!({"node": host.id})).await;
    under_way(&root.join(path_of(504)), 600_000).await;
    disk.fill_leaving(0);
    let big = settled(&app, "c-big", Duration::from_secs(30)).await;
    assert_eq!(big["state"], "ready", "the host made room and went on: {big}");
    assert!(root.join(path_of(504)).is_file() && root.join(path_of(503)).is_file(), "the videos of live classes stay");
    assert!(!root.join(path_of(501)).exists(), "the least recently used video no class holds made room");
    assert!(parts_under(&root).is_empty(), "no .part left: {:?}", parts_under(&root));
    let starts = server.range_starts();
    let big_requests = server.requests_for("big.flv") as usize;
    for start in &starts[starts.len() - big_requests + 1..] {
        assert!(start.is_some_and(|s| s > 0), "the download resumed, not downloaded again: {starts:?}");
    }

    // Nothing may go: every video left is a live class's. The booking fails with the reason.
    disk.unfill();
    book(&app, "c-huge", 505, &server.url("huge.flv"), json!({"node": host.id})).await;
    under_way(&root.join(path_of(505)), 600_000).await;
    disk.fill_leaving(0);
    let huge = settled(&app, "c-huge", Duration::from_secs(30)).await;
    assert_eq!(huge["state"], "failed", "{huge}");
    let reason = huge["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("no space left") && reason.contains("nothing"), "the reason says why: {reason}");
    assert!(parts_under(&root).is_empty(), "no .part left: {:?}", parts_under(&root));
    assert!(root.join(path_of(504)).is_file() && root.join(path_of(503)).is_file(), "the videos of live classes stay");
    app.stop().await;
    drop(host);
}
