//! `POST /api/transcode/oss|ecs` and `GET /api/transcodes/{record_id}`.

use std::time::Duration;

use serde_json::{Value, json};

use super::fixture::Fixture;
use crate::helpers::*;

async fn the_two_transcode_apis_queue_their_provider(stack: Stack) {
    let f = Fixture::new(stack).await;
    let post = |path: &'static str, body: Value| f.app.http.post(f.app.url(path)).json(&body).send();
    let oss = post(
        "/api/transcode/oss",
        json!({"record_id": 6666, "video_resolution": "240p", "video_url": f.server.url("src.flv")}),
    )
    .await
    .unwrap();
    assert_eq!(oss.status(), 202);
    let status: Value = oss.json().await.unwrap();
    assert_eq!((status["state"].as_str(), status["provider"].as_str()), (Some("transcoding"), Some("oss")));
    let again = post("/api/transcode/oss", json!({"record_id": 6666, "video_resolution": "240P"})).await.unwrap();
    assert_eq!(again.status(), 202, "already in progress");
    let busy = post("/api/transcode/ecs", json!({"record_id": 6666, "video_resolution": "240P"})).await.unwrap();
    assert_eq!(busy.status(), 409);
    eventually("one oss job", Duration::from_secs(10), || async { (f.oss_jobs().await.len() == 1).then_some(()) })
        .await;

    let ecs = post(
        "/api/transcode/ecs",
        json!({"record_id": 7, "video_resolution": "480P", "video_url_list": {"720P": f.server.url("src.flv")}}),
    )
    .await
    .unwrap();
    assert_eq!(ecs.status(), 202);
    eventually("one ecs job", Duration::from_secs(10), || async { (f.ecs_jobs().await.len() == 1).then_some(()) })
        .await;
    let listed: Vec<Value> = f.app.http.get(f.app.url("/api/transcodes/7")).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["provider"], "ecs");
    f.stop().await;
}

every_stack!(the_two_transcode_apis_queue_their_provider);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_transcode_requests_and_results_are_refused_naming_the_field() {
    let f = Fixture::new(Stack::Embedded).await;
    let cases = [
        ("/api/transcode/oss", json!({"video_resolution": "240P", "video_url": "http://h/a"}), "record_id"),
        (
            "/api/transcode/oss",
            json!({"record_id": 1, "video_resolution": "360P", "video_url": "http://h/a"}),
            "video_resolution",
        ),
        (
            "/api/transcode/ecs",
            json!({"record_id": 1, "video_resolution": "240P", "video_url": "ftp://h/a"}),
            "video_url",
        ),
        ("/api/transcode/ecs", json!({"record_id": 1, "video_resolution": "240P"}), "video_url"),
        (
            "/api/transcode/result",
            json!({"record_id": 1, "video_resolution": "240P", "result": "sucess", "type": "oss"}),
            "transcode_video_url",
        ),
        (
            "/api/transcode/result",
            json!({"record_id": 1, "video_resolution": "240P", "result": "fail", "type": "cloud"}),
            "type",
        ),
    ];
    for (path, body, field) in cases {
        let response = f.app.http.post(f.app.url(path)).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 400, "{path} {body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["field"], field, "{path} {body}: {error}");
    }
    let bad_path = f.app.http.get(f.app.url("/api/transcodes/abc")).send().await.unwrap();
    assert_eq!(bad_path.status(), 400);
    assert!(f.transcode().await.is_none(), "nothing was created");
    assert!(f.oss_jobs().await.is_empty() && f.ecs_jobs().await.is_empty());
    f.stop().await;
}
