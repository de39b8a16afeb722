//! Eviction: when the cache would exceed MAX_VIDEO_NUM or MAX_VIDEO_SIZE, the least recently
//! used videos no class references go first; a referenced one never does; when nothing can go
//! the booking fails with the numbers.

use std::time::Duration;

use serde_json::json;

use super::{book, cited, end, path_of, video};
use crate::helpers::*;

async fn served(server: &FileServer, records: &[i64], len: usize) {
    for record in records {
        server.put(&format!("{record}.flv"), lesson_bytes(len + *record as usize));
    }
}

async fn ready(app: &TestApp, server: &FileServer, class_id: &str, record: i64) {
    book(app, class_id, record, &server.url(&format!("{record}.flv")), json!({})).await;
    app.wait_for_state(class_id, "ready").await;
}

fn on_disk(env: &TestEnv, record: i64) -> bool {
    env.video_root().join(path_of(record)).exists()
}

/// MAX_VIDEO_NUM: the least recently used unreferenced video makes room; a referenced one stays.
async fn the_least_recently_used_unreferenced_video_goes_first(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    env.set("MAX_VIDEO_NUM", "2");
    let server = FileServer::start().await.unwrap();
    served(&server, &[81, 82, 83, 84], 10_000).await;
    let app = env.spawn().await;
    ready(&app, &server, "c-81", 81).await;
    ready(&app, &server, "c-82", 82).await;
    // Ended one after the other: 81 was used last before 82.
    for record in [81, 82] {
        assert_eq!(end(&app, &format!("c-{record}")).await.0, 200);
        cited(&app, &path_of(record), 0).await;
    }
    // 81 was used before 82: it goes.
    ready(&app, &server, "c-83", 83).await;
    assert!(!on_disk(&env, 81) && video(&app, &path_of(81)).await.is_none(), "81 was evicted");
    assert!(on_disk(&env, 82) && on_disk(&env, 83));
    // 83 is referenced (its class is on), 82 is not: 82 goes, 83 stays.
    ready(&app, &server, "c-84", 84).await;
    assert!(!on_disk(&env, 82), "the unreferenced video went");
    assert!(on_disk(&env, 83) && on_disk(&env, 84), "a referenced video is never deleted");
    app.stop().await;
}

/// MAX_VIDEO_SIZE (GiB, fractions allowed): room is made by size.
async fn the_size_limit_evicts_by_bytes(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    // 100 000 bytes.
    env.set("MAX_VIDEO_SIZE", format!("{}", 100_000.0 / (1u64 << 30) as f64));
    let server = FileServer::start().await.unwrap();
    served(&server, &[91, 92, 93], 40_000).await;
    let app = env.spawn().await;
    for record in [91, 92] {
        ready(&app, &server, &format!("c-{record}"), record).await;
        end(&app, &format!("c-{record}")).await;
        cited(&app, &path_of(record), 0).await;
    }
    ready(&app, &server, "c-93", 93).await;
    assert!(!on_disk(&env, 91), "the oldest went to make room for 40 kB");
    assert!(on_disk(&env, 92) && on_disk(&env, 93));
    app.stop().await;
}

/// Every video referenced: the booking fails, saying how much is needed, held and allowed.
async fn a_cache_full_of_referenced_videos_fails_the_booking_with_the_numbers(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    env.set("MAX_VIDEO_NUM", "1");
    let server = FileServer::start().await.unwrap();
    served(&server, &[95, 96], 10_000).await;
    let app = env.spawn().await;
    ready(&app, &server, "c-95", 95).await;
    book(&app, "c-96", 96, &server.url("96.flv"), json!({})).await;
    let failed = app.wait_for_state("c-96", "failed").await;
    let reason = failed["reason"].as_str().unwrap();
    assert!(
        reason.contains("cache full") && reason.contains("MAX_VIDEO_NUM is 1") && reason.contains("1 videos"),
        "{reason}"
    );
    assert!(on_disk(&env, 95), "the referenced video is intact");
    assert!(!on_disk(&env, 96));
    // Once the class ends, the next booking of 96 makes room.
    end(&app, "c-95").await;
    cited(&app, &path_of(95), 0).await;
    book(&app, "c-96b", 96, &server.url("96.flv"), json!({})).await;
    app.wait_for_state("c-96b", "ready").await;
    assert!(!on_disk(&env, 95));
    app.stop().await;
}

every_stack!(
    the_least_recently_used_unreferenced_video_goes_first,
    the_size_limit_evicts_by_bytes,
    a_cache_full_of_referenced_videos_fails_the_booking_with_the_numbers
);

/// The cache manager evicts down to CACHE_LOW_WATER ahead of need.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_manager_evicts_to_the_low_water_mark_ahead_of_need() {
    let mut env = TestEnv::new(Stack::Embedded).await;
    env.set("MAX_VIDEO_NUM", "10").set("CACHE_LOW_WATER", "0.5").set("SWEEP_INTERVAL", "1s");
    let server = FileServer::start().await.unwrap();
    let records: Vec<i64> = (101..=108).collect();
    served(&server, &records, 5_000).await;
    let app = env.spawn().await;
    for &record in &records {
        ready(&app, &server, &format!("c-{record}"), record).await;
    }
    // Eight videos, all referenced: over the low-water mark (5), but nothing may go.
    for &record in &records[..6] {
        end(&app, &format!("c-{record}")).await;
        // Unreferenced, or already evicted: the manager (every second) may take the first ends'
        // videos before this looks.
        let path = path_of(record);
        eventually(&format!("{path} let go"), Duration::from_secs(20), || async {
            video(&app, &path).await.is_none_or(|v| v.num_cite == 0).then_some(())
        })
        .await;
    }
    let left = eventually("the manager to evict down to five videos", Duration::from_secs(20), || async {
        let left: Vec<i64> = records.iter().copied().filter(|&r| on_disk(&env, r)).collect();
        (left.len() == 5).then_some(left)
    })
    .await;
    assert_eq!(left, vec![104, 105, 106, 107, 108], "the three least recently used went");
    app.stop().await;
}
