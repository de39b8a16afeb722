//! The legacy pub/sub messages, accepted as the existing system sends them.

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

async fn legacy_messages_are_accepted_as_they_are(stack: Stack) {
    let env = TestEnv::new(stack).await;
    let server = FileServer::start().await.unwrap();
    let lesson = lesson_bytes(50_000);
    server.put("6666.flv", lesson.clone());
    server.put("720p.flv", lesson.clone());
    let mut results = env.results().await;
    let app = env.spawn().await;
    env.bridge_subscribed().await;

    // The old message: no resolution, extra fields the old system sends.
    env.publish_booking(
        &json!({"class_id": "c-old", "record_id": 6666, "video_url": server.url("6666.flv"),
            "cmd": "booking", "teacher_id": 42, "room": {"id": "r-9"}})
        .to_string(),
    )
    .await;
    // The new fields, with a lower-case resolution and numbers where strings are usual.
    env.publish_booking(
        &json!({"class_id": "c-new", "record_id": "6666", "video_resolution": "720p", "org_id": 22,
            "video_url_list": {"720P": server.url("720p.flv"), "480P": server.url("480p.flv")},
            "course_name": "Phonics 3", "lesson_no": 7})
        .to_string(),
    )
    .await;

    let old = results.of("c-old", Duration::from_secs(20)).await;
    assert_eq!(old["result"], "success");
    assert_eq!(old["video_resolution"], serde_json::Value::Null);
    assert_eq!(old["teacher_id"], 42);
    assert_eq!(old["room"], json!({"id": "r-9"}));
    assert_eq!(old["video_path"], env.video_root().join("6666/6666.flv").display().to_string());

    let new = results.of("c-new", Duration::from_secs(20)).await;
    assert_eq!(new["result"], "success");
    assert_eq!(new["video_resolution"], "720P");
    assert_eq!(new["lesson_no"], 7);
    assert_eq!(new["node"], env.pairs["NODE_ID"]);
    assert_eq!(new["video_path"], env.video_root().join("22/6666/6666_720P.flv").display().to_string());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis() {
    legacy_messages_are_accepted_as_they_are(Stack::Redis).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet() {
    legacy_messages_are_accepted_as_they_are(Stack::Fleet).await
}

/// A message over `BRIDGE_MAX_MESSAGE` (64 KiB by default) is refused and counted before it
/// is read, even a booking that would be valid (unknown fields are kept); a good one after it
/// is booked.
async fn an_oversized_message_is_refused_and_the_next_is_taken(stack: Stack) {
    let env = TestEnv::new(stack).await;
    let server = FileServer::start().await.unwrap();
    server.put("ok.flv", lesson_bytes(1000));
    let app = env.spawn().await;
    env.bridge_subscribed().await;

    let padding = "x".repeat(100 * 1024);
    let oversized = json!({"class_id": "c-big", "record_id": 1, "video_url": server.url("ok.flv"), "notes": padding});
    env.publish_booking(&oversized.to_string()).await;
    let good = json!({"class_id": "c-small", "record_id": 1, "video_url": server.url("ok.flv")});
    env.publish_booking(&good.to_string()).await;

    app.wait_for_state("c-small", "ready").await;
    eventually("the oversized message to be counted", Duration::from_secs(10), || async {
        let refused = app.metric("vteacher_bridge_rejected_total", "reason=\"message_too_large\"").await;
        (refused == 1).then_some(())
    })
    .await;
    assert_eq!(app.booking("c-big").await, None, "the oversized message booked nothing");
    app.stop().await;
}

on_stacks!(oversized = an_oversized_message_is_refused_and_the_next_is_taken; redis => Redis);
