//! The booking path through the API: every branch that needs no transcode, on every stack.

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

const LESSON: usize = 300_000;

async fn a_legacy_booking_lands_on_the_node(stack: Stack) {
    let env = TestEnv::new(stack).await;
    let server = FileServer::start().await.unwrap();
    let lesson = lesson_bytes(LESSON);
    server.put("6666.flv", lesson.clone());
    let mut results = if stack.has_redis() { Some(env.results().await) } else { None };
    let app = env.spawn().await;

    let response = app
        .post_booking(&json!({"class_id": "c-legacy", "record_id": 6666, "video_url": server.url("6666.flv"),
            "teacher": "Ms Li", "cmd": "booking"}))
        .await;
    assert_eq!(response.status(), 202);
    let accepted: serde_json::Value = response.json().await.unwrap();
    assert_eq!(accepted["state"], "queued");

    let ready = app.wait_for_state("c-legacy", "ready").await;
    let path = env.video_root().join("6666/6666.flv");
    assert_eq!(ready["video_path"], path.display().to_string());
    assert_eq!(ready["node"], env.pairs["NODE_ID"]);
    assert_eq!(std::fs::read(&path).unwrap(), lesson, "the file on the node is the lesson, byte for byte");

    if let Some(results) = &mut results {
        let result = results.of("c-legacy", Duration::from_secs(10)).await;
        assert_eq!(result["cmd"], "booking");
        assert_eq!(result["result"], "success");
        assert_eq!(result["record_id"], 6666);
        assert_eq!(result["video_resolution"], serde_json::Value::Null);
        assert_eq!(result["video_path"], path.display().to_string());
        assert_eq!(result["teacher"], "Ms Li", "unknown fields are echoed back");
    }
    app.stop().await;
}

async fn a_listed_resolution_with_an_org_lands_in_the_org_layout(stack: Stack) {
    let env = TestEnv::new(stack).await;
    let server = FileServer::start().await.unwrap();
    let lesson = lesson_bytes(LESSON);
    server.put("720p.flv", lesson.clone());
    let app = env.spawn().await;

    let response = app
        .post_booking(&json!({"class_id": "c-720", "record_id": 6666, "video_resolution": "720p", "org_id": "22",
            "video_url": server.url("source.flv"), "video_url_list": {"720P": server.url("720p.flv")}}))
        .await;
    assert_eq!(response.status(), 202);
    let ready = app.wait_for_state("c-720", "ready").await;
    let path = env.video_root().join("22/6666/6666_720P.flv");
    assert_eq!(ready["video_path"], path.display().to_string());
    assert_eq!(ready["video_resolution"], "720P");
    assert_eq!(std::fs::read(&path).unwrap(), lesson);
    app.stop().await;
}

async fn booking_a_class_twice_returns_the_booking_as_it_stands(stack: Stack) {
    let env = TestEnv::new(stack).await;
    let server = FileServer::start().await.unwrap();
    server.put("1.flv", lesson_bytes(1000));
    let app = env.spawn().await;
    let body = json!({"class_id": "c-twice", "record_id": 1, "video_url": server.url("1.flv")});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    app.wait_for_state("c-twice", "ready").await;

    let again = app.post_booking(&body).await;
    assert_eq!(again.status(), 200);
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(again["state"], "ready");
    assert_eq!(server.requests(), 1);
    app.stop().await;
}

async fn simultaneous_submissions_of_one_class_store_one_booking(stack: Stack) {
    let env = TestEnv::new(stack).await;
    let server = FileServer::start().await.unwrap();
    server.put("1.flv", lesson_bytes(1000));
    let app = env.spawn().await;
    let body = json!({"class_id": "c-race", "record_id": 1, "video_url": server.url("1.flv")});
    let statuses = futures::future::join_all((0..10).map(|_| app.post_booking(&body))).await;
    let mut codes: Vec<u16> = statuses.iter().map(|r| r.status().as_u16()).collect();
    codes.sort();
    assert_eq!(codes, [200, 200, 200, 200, 200, 200, 200, 200, 200, 202], "one is taken in; the rest see it");
    app.wait_for_state("c-race", "ready").await;
    assert_eq!(server.requests(), 1);
    app.stop().await;
}

async fn two_bookings_of_the_same_video_download_it_once(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    env.set("DOWNLOAD_RATE", "2m");
    let server = FileServer::start().await.unwrap();
    server.put("shared.flv", lesson_bytes(LESSON));
    let app = env.spawn().await;
    for class_id in ["c-a", "c-b"] {
        let body = json!({"class_id": class_id, "record_id": 5, "video_url": server.url("shared.flv")});
        assert_eq!(app.post_booking(&body).await.status(), 202);
    }
    let a = app.wait_for_state("c-a", "ready").await;
    let b = app.wait_for_state("c-b", "ready").await;
    assert_eq!(a["video_path"], b["video_path"]);
    assert_eq!(server.requests(), 1, "the second booking waited for the first download");
    app.stop().await;
}

async fn a_404_source_fails_the_booking_with_the_reason(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    let hook = WebhookSink::start().await;
    env.set("RESULT_WEBHOOK_URL", hook.url.clone());
    let server = FileServer::start().await.unwrap();
    let app = env.spawn().await;

    let body = json!({"class_id": "c-404", "record_id": 9, "video_url": server.url("missing.flv"), "seat": 3});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    let failed = app.wait_for_state("c-404", "failed").await;
    assert!(failed["reason"].as_str().unwrap().contains("404"), "{failed}");
    assert_eq!(server.requests(), 1, "a 404 is not retried");

    let result = hook.result_of("c-404").await;
    assert_eq!(result["result"], "failure");
    assert!(result["reason"].as_str().unwrap().contains("404"));
    assert_eq!(result["seat"], 3);
    app.stop().await;
}

every_stack!(
    a_legacy_booking_lands_on_the_node,
    a_listed_resolution_with_an_org_lands_in_the_org_layout,
    booking_a_class_twice_returns_the_booking_as_it_stands,
    two_bookings_of_the_same_video_download_it_once,
    simultaneous_submissions_of_one_class_store_one_booking,
    a_404_source_fails_the_booking_with_the_reason,
);
