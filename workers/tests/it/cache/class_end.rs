//! Class end from every source: whichever comes first lowers the reference once; the others and
//! any repeat change nothing. A class that ends before its video is ready is cancelled.

use std::time::Duration;

use serde_json::json;

use super::{book, cited, end, path_of, video};
use crate::helpers::*;

fn now_s() -> i64 {
    shared::db::now_ms() / 1000
}

async fn env_with_sweeps(stack: Stack) -> TestEnv {
    let mut env = TestEnv::new(stack).await;
    env.set("SWEEP_INTERVAL", "1s");
    env
}

/// The end request first, then the automatic end: the count drops once.
async fn the_request_then_the_automatic_end(stack: Stack) {
    let env = env_with_sweeps(stack).await;
    let server = FileServer::start().await.unwrap();
    server.put("v.flv", lesson_bytes(20_000));
    let app = env.spawn().await;
    book(&app, "c-a", 71, &server.url("v.flv"), json!({"class_end_at": now_s() + 4})).await;
    book(&app, "c-b", 71, &server.url("v.flv"), json!({})).await;
    app.wait_for_state("c-a", "ready").await;
    app.wait_for_state("c-b", "ready").await;
    cited(&app, &path_of(71), 2).await;

    let (status, first) = end(&app, "c-a").await;
    assert_eq!((status, first["ended_now"].as_bool()), (200, Some(true)), "{first}");
    assert_eq!(first["booking"]["state"], "ready", "a class that was served keeps its outcome");
    cited(&app, &path_of(71), 1).await;
    let (status, again) = end(&app, "c-a").await;
    assert_eq!((status, again["ended_now"].as_bool()), (200, Some(false)), "a repeat changes nothing");
    // The automatic end comes due and changes nothing either.
    let ended_at = first["booking"]["ended_at"].clone();
    eventually("class_end_at to pass and two sweeps to run", Duration::from_secs(15), || async {
        (now_s() > now_s_of(&app, "c-a").await + 2).then_some(())
    })
    .await;
    assert_eq!(app.booking("c-a").await.unwrap()["ended_at"], ended_at);
    // The other class ends: the count reaches zero, never below.
    assert_eq!(end(&app, "c-b").await.0, 200);
    cited(&app, &path_of(71), 0).await;
    assert!(video(&app, &path_of(71)).await.is_some(), "videos are not deleted after class");
    app.stop().await;
}

/// The booking's class_end_at (unix seconds).
async fn now_s_of(app: &TestApp, class_id: &str) -> i64 {
    app.booking(class_id).await.unwrap()["class_end_at"].as_i64().unwrap()
}

/// The automatic end first, then the end request: the request changes nothing.
async fn the_automatic_end_then_the_request(stack: Stack) {
    let env = env_with_sweeps(stack).await;
    let server = FileServer::start().await.unwrap();
    server.put("v.flv", lesson_bytes(20_000));
    let app = env.spawn().await;
    book(&app, "c-auto", 72, &server.url("v.flv"), json!({"class_end_at": now_s() + 3})).await;
    app.wait_for_state("c-auto", "ready").await;
    let ended = eventually("the automatic end", Duration::from_secs(20), || async {
        let booking = app.booking("c-auto").await?;
        (!booking["ended_at"].is_null()).then_some(booking)
    })
    .await;
    assert_eq!(ended["state"], "ready");
    cited(&app, &path_of(72), 0).await;
    let (status, body) = end(&app, "c-auto").await;
    assert_eq!((status, body["ended_now"].as_bool()), (200, Some(false)), "{body}");
    assert_eq!(body["booking"]["ended_at"], ended["ended_at"]);
    // A class booked onto the video since counts from zero: the end did not drop it below.
    book(&app, "c-next", 72, &server.url("v.flv"), json!({})).await;
    app.wait_for_state("c-next", "ready").await;
    cited(&app, &path_of(72), 1).await;
    assert_eq!(server.requests_for("v.flv"), 1, "the second class was a cache hit");
    app.stop().await;
}

/// A class that ends while its video is still downloading: cancelled, said so in its result,
/// and the download abandoned since no other class needs it.
async fn a_class_ended_before_its_video_is_ready_is_cancelled(stack: Stack) {
    let env = TestEnv::new(stack).await;
    let sink = WebhookSink::start().await;
    let mut env = env;
    env.set("RESULT_WEBHOOK_URL", sink.url.clone());
    let server = FileServer::start().await.unwrap();
    let len = 4_000_000;
    server.put("slow.flv", lesson_bytes(len));
    server.set_knobs(Knobs { rate: Some(300_000), ..Knobs::default() });
    let app = env.spawn().await;
    book(&app, "c-early", 73, &server.url("slow.flv"), json!({})).await;
    let part = env.video_root().join(format!("{}.part", path_of(73)));
    eventually("the download to start", Duration::from_secs(20), || async {
        (tokio::fs::metadata(&part).await.ok()?.len() > 100_000).then_some(())
    })
    .await;

    let (status, body) = end(&app, "c-early").await;
    assert_eq!(status, 200);
    assert_eq!(body["booking"]["state"], "cancelled", "{body}");
    let result = sink.result_of("c-early").await;
    assert_eq!(result["result"], "cancelled", "{result}");
    assert!(result["reason"].as_str().unwrap().contains("ended before its video was ready"), "{result}");
    eventually("the download to be abandoned", Duration::from_secs(20), || async {
        (!part.exists() && video(&app, &path_of(73)).await.is_none()).then_some(())
    })
    .await;
    assert!(!env.video_root().join(path_of(73)).exists(), "no video lands for a class that ended");
    assert!(server.bytes_sent() < len as u64, "the download stopped: {} of {len} bytes sent", server.bytes_sent());
    assert_eq!(sink.received().iter().filter(|r| r["class_id"] == "c-early").count(), 1, "one result");
    app.stop().await;
}

every_stack!(
    the_request_then_the_automatic_end,
    the_automatic_end_then_the_request,
    a_class_ended_before_its_video_is_ready_is_cancelled
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_or_bad_class_changes_nothing() {
    let env = TestEnv::new(Stack::Redis).await;
    let app = env.spawn().await;
    let (status, body) = end(&app, "no-such-class").await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{body}");
    let (status, body) = end(&app, "bad%20id").await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("class_id")), "{body}");

    env.bridge_subscribed().await;
    let channel = env.pairs["CHANNEL_CLASS_END"].clone();
    env.publish(&channel, r#"{"cmd": "class_end", "class_id": "nobody-booked-this"}"#).await;
    env.publish(&channel, r#"{"cmd": "class_end"}"#).await;
    eventually("the bridge to count both", Duration::from_secs(10), || async {
        let name = "vteacher_bridge_rejected_total";
        let not_found = app.metric_with(name, &[&channel, "not_found"]).await;
        let invalid = app.metric_with(name, &[&channel, "invalid_field"]).await;
        (not_found == 1 && invalid == 1).then_some(())
    })
    .await;
    assert!(app.booking("nobody-booked-this").await.is_none(), "nothing was stored");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_legacy_class_end_message_ends_the_class() {
    let env = TestEnv::new(Stack::Redis).await;
    let server = FileServer::start().await.unwrap();
    server.put("v.flv", lesson_bytes(10_000));
    let app = env.spawn().await;
    book(&app, "c-msg", 74, &server.url("v.flv"), json!({})).await;
    app.wait_for_state("c-msg", "ready").await;
    env.bridge_subscribed().await;
    let channel = env.pairs["CHANNEL_CLASS_END"].clone();
    env.publish(&channel, r#"{"cmd": "class_end", "class_id": "c-msg", "record_id": 74, "org_id": 3}"#).await;
    cited(&app, &path_of(74), 0).await;
    assert!(!app.booking("c-msg").await.unwrap()["ended_at"].is_null());
    app.stop().await;
}
