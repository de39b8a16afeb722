//! Every commit-then-enqueue has a repair: each step below commits a state change, then its
//! enqueue fails (`FAIL_ENQUEUE`, as Redis going away right after the commit would); the work
//! still gets done, through the outbox the sweeper drains, or the job's own retry.

use std::time::Duration;

use serde_json::json;
use shared::jobs::{TranscodeEcsJob, TranscodeOssJob};
use workers::roles::Launch;

use crate::{cache::book, helpers::*};

/// The app with the sweeper every second and its transcode queues unconsumed (a test sees what
/// was queued), refusing the next enqueue on `refused`.
async fn app_refusing(
    stack: Stack,
    refused: &str,
    extra: &[(&str, &str)],
) -> (TestEnv, TestApp, FileServer, WebhookSink) {
    let mut env = TestEnv::new(stack).await;
    let results = WebhookSink::start().await;
    env.set("SWEEP_INTERVAL", "1s")
        .set("FAIL_ENQUEUE", format!("{refused}:1"))
        .set("RESULT_WEBHOOK_URL", results.url.clone());
    for (key, value) in extra {
        env.set(key, *value);
    }
    let queues =
        ["booking", "transcode-result", "notify", "node-report", "download", "class-end"].map(String::from).to_vec();
    let app = env.spawn_with(Launch { web: true, migrate: true, sweeper: true, queues, ..Launch::default() }).await;
    let server = FileServer::start().await.unwrap();
    server.put("src.flv", lesson_bytes(20_000));
    (env, app, server, results)
}

fn unlisted(server: &FileServer, class_id: &str) -> serde_json::Value {
    json!({"class_id": class_id, "record_id": 191, "video_resolution": "240P", "video_url": server.url("src.flv")})
}

async fn queued<J: vteacher_queue::Job>(app: &TestApp, what: &str) {
    eventually(what, Duration::from_secs(15), || async {
        (!app.app.queues.waiting::<J>(None).await.ok()?.is_empty()).then_some(())
    })
    .await;
}

/// The booking decision commits "transcoding", then the oss job is refused.
async fn a_refused_oss_submission_is_sent_later(stack: Stack) {
    let (_env, app, server, _) = app_refusing(stack, "transcode-oss", &[]).await;
    assert_eq!(app.post_booking(&unlisted(&server, "c-oss")).await.status(), 202);
    app.wait_for_state("c-oss", "waiting_transcode").await;
    queued::<TranscodeOssJob>(&app, "the oss job to be queued after all").await;
    app.stop().await;
}

/// An oss failure commits the hand-over to ecs, then the ecs job is refused.
async fn a_refused_hand_over_to_ecs_reaches_ecs(stack: Stack) {
    let (_env, app, server, _) = app_refusing(stack, "transcode-ecs", &[]).await;
    app.post_booking(&unlisted(&server, "c-ecs")).await;
    app.wait_for_state("c-ecs", "waiting_transcode").await;
    let body =
        json!({"cmd": "transcoding", "record_id": 191, "video_resolution": "240P", "result": "fail", "type": "oss"});
    app.http.post(app.url("/api/transcode/result")).json(&body).send().await.unwrap();
    queued::<TranscodeEcsJob>(&app, "the ecs job to be queued after all").await;
    app.stop().await;
}

/// A transcode past its oss deadline goes on to ecs (the sweeper), then the ecs job is refused.
async fn a_refused_hand_over_at_the_deadline_reaches_ecs(stack: Stack) {
    let (_env, app, server, _) = app_refusing(stack, "transcode-ecs", &[("TRANSCODE_TIMEOUT_OSS", "1s")]).await;
    app.post_booking(&unlisted(&server, "c-late")).await;
    queued::<TranscodeEcsJob>(&app, "the ecs job to be queued after all").await;
    app.stop().await;
}

/// A node's ready report commits "ready", then the result job is refused.
async fn a_refused_result_is_sent_later(stack: Stack) {
    let (_env, app, server, results) = app_refusing(stack, "notify", &[]).await;
    book(&app, "c-res", 192, &server.url("src.flv"), json!({})).await;
    app.wait_for_state("c-res", "ready").await;
    assert_eq!(results.result_of("c-res").await["result"], "success");
    app.stop().await;
}

/// A class end commits "ended", then the node's job is refused: the node still lets go.
async fn a_refused_class_end_reaches_the_node(stack: Stack) {
    let (_env, app, server, _) = app_refusing(stack, "class-end", &[]).await;
    book(&app, "c-end", 193, &server.url("src.flv"), json!({})).await;
    app.wait_for_state("c-end", "ready").await;
    let response = app.http.post(app.url("/api/classes/c-end/end")).send().await.unwrap();
    assert_eq!(response.status(), 200, "the end is recorded; its node hears of it later");
    crate::cache::cited(&app, &crate::cache::path_of(193), 0).await;
    app.stop().await;
}

/// The placement commits the node, then the download job is refused: the booking job retries.
async fn a_refused_download_is_queued_by_the_retry(stack: Stack) {
    let (_env, app, server, _) = app_refusing(stack, "download", &[]).await;
    book(&app, "c-dl", 194, &server.url("src.flv"), json!({})).await;
    app.wait_for_state("c-dl", "ready").await;
    app.stop().await;
}

every_stack!(
    a_refused_oss_submission_is_sent_later,
    a_refused_hand_over_to_ecs_reaches_ecs,
    a_refused_hand_over_at_the_deadline_reaches_ecs,
    a_refused_result_is_sent_later,
    a_refused_class_end_reaches_the_node,
    a_refused_download_is_queued_by_the_retry
);
