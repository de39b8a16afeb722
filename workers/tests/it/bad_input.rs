//! Bad input, through the API and through the bridge: a clear error, no row stored, and the
//! process still serving.

use std::time::Duration;

use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use shared::db::bookings;

use crate::helpers::*;

/// (body, expected code, expected field)
fn bad_bookings(url: &str) -> Vec<(String, &'static str, Option<&'static str>)> {
    let ok = |extra: Value| {
        let mut body = json!({"class_id": "c-bad", "record_id": 1, "video_url": url});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body.to_string()
    };
    vec![
        ("{\"class_id\": \"c-bad\", ".to_owned(), "malformed_json", None),
        ("[1, 2, 3]".to_owned(), "not_an_object", None),
        (json!({"record_id": 1, "video_url": url}).to_string(), "invalid_field", Some("class_id")),
        (ok(json!({"class_id": "../../etc/passwd"})), "invalid_field", Some("class_id")),
        (ok(json!({"record_id": "abc"})), "invalid_field", Some("record_id")),
        (ok(json!({"video_resolution": "360P"})), "invalid_field", Some("video_resolution")),
        (ok(json!({"org_id": "22/../../root"})), "invalid_field", Some("org_id")),
        (ok(json!({"video_url": "file:///etc/passwd"})), "invalid_field", Some("video_url")),
        (ok(json!({"video_url": "ftp://127.0.0.1/a.flv"})), "invalid_field", Some("video_url")),
        (
            ok(json!({"video_resolution": "720P", "video_url_list": {"4K": url}})),
            "invalid_field",
            Some("video_url_list.4K"),
        ),
        (ok(json!({"node": "host 1; rm -rf"})), "invalid_field", Some("node")),
    ]
}

async fn stored_bookings(app: &TestApp) -> u64 {
    bookings::Entity::find().count(&app.app.db.conn).await.unwrap()
}

async fn the_api_refuses_bad_bookings_naming_the_field(stack: Stack) {
    let env = TestEnv::new(stack).await;
    let server = FileServer::start().await.unwrap();
    server.put("ok.flv", lesson_bytes(1000));
    let app = env.spawn().await;

    for (body, code, field) in bad_bookings(&server.url("ok.flv")) {
        let response = app.post_raw(&body).await;
        assert_eq!(response.status(), 400, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], code, "{body}: {error}");
        assert_eq!(error["error"]["field"].as_str(), field, "{body}: {error}");
        assert!(!error["error"]["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(stored_bookings(&app).await, 0, "nothing is stored");
    assert!(app.booking("c-bad").await.is_none());
    assert_eq!(server.requests(), 0);

    // Still serving.
    let good = json!({"class_id": "c-good", "record_id": 1, "video_url": server.url("ok.flv")});
    assert_eq!(app.post_booking(&good).await.status(), 202);
    app.wait_for_state("c-good", "ready").await;
    app.stop().await;
}

async fn the_bridge_logs_counts_and_drops_bad_messages(stack: Stack) {
    let env = TestEnv::new(stack).await;
    let server = FileServer::start().await.unwrap();
    server.put("ok.flv", lesson_bytes(1000));
    let app = env.spawn().await;
    env.bridge_subscribed().await;

    let cases = bad_bookings(&server.url("ok.flv"));
    for (body, _, _) in &cases {
        env.publish_booking(body).await;
    }
    let expected = cases.len() as u64;
    eventually("every bad message to be counted", Duration::from_secs(10), || async {
        let rejected = app.metric("vteacher_bridge_rejected_total", "reason=").await;
        (rejected == expected).then_some(())
    })
    .await;
    assert_eq!(app.metric("vteacher_bridge_rejected_total", "reason=\"invalid_field\"").await, expected - 2);
    assert_eq!(app.metric("vteacher_bridge_rejected_total", "reason=\"malformed_json\"").await, 1);
    assert_eq!(stored_bookings(&app).await, 0, "nothing is stored");

    // Still serving: a legacy message as the old system sends it.
    env.publish_booking(
        &json!({"class_id": "c-bridge", "record_id": 1, "video_url": server.url("ok.flv")}).to_string(),
    )
    .await;
    eventually("the good message's booking", Duration::from_secs(10), || app.booking("c-bridge")).await;
    app.wait_for_state("c-bridge", "ready").await;
    app.stop().await;
}

mod api {
    use super::*;
    every_stack!(the_api_refuses_bad_bookings_naming_the_field);
}

on_stacks!(bridge = the_bridge_logs_counts_and_drops_bad_messages; redis => Redis, fleet => Fleet);
