//! The node directory: `GET /api/nodes`, `GET /api/nodes/{node}`, `vteacher node status`.

use std::time::Duration;

use serde_json::{Value, json};

use super::book;
use crate::helpers::*;

async fn get(app: &TestApp, path: &str) -> (u16, Value) {
    let response = app.http.get(app.url(path)).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

async fn a_node_reports_its_limits_and_totals(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    env.set("MAX_VIDEO_NUM", "7").set("MAX_VIDEO_SIZE", "2");
    let server = FileServer::start().await.unwrap();
    server.put("v.flv", lesson_bytes(50_000));
    let app = env.spawn().await;
    let node = env.pairs["NODE_ID"].clone();
    book(&app, "c-n", 131, &server.url("v.flv"), json!({})).await;
    app.wait_for_state("c-n", "ready").await;

    let listed = eventually("the node to report its video", Duration::from_secs(15), || async {
        let (status, body) = get(&app, "/api/nodes").await;
        assert_eq!(status, 200);
        let me = body.as_array()?.iter().find(|n| n["node"] == node)?.clone();
        (me["video_count"] == 1).then_some(me)
    })
    .await;
    assert_eq!(listed["live"], true);
    assert_eq!(listed["max_video_num"], 7);
    assert_eq!(listed["max_video_size_bytes"], 2u64 << 30);
    assert_eq!((listed["used_bytes"].as_u64(), listed["referenced_bytes"].as_u64()), (Some(50_000), Some(50_000)));
    assert_eq!(listed["evictable_bytes"], 0);
    assert!(listed["free_disk_bytes"].as_u64().unwrap() > 0);
    assert_eq!(listed["dir_info"], json!([{"dir": ".", "size_bytes": 50_000, "video_count": 1}]));

    let (status, one) = get(&app, &format!("/api/nodes/{node}")).await;
    assert_eq!((status, &one["node"]), (200, &json!(node)));
    assert_eq!(get(&app, "/api/nodes/nobody").await.0, 404);
    assert_eq!(get(&app, "/api/nodes/bad%20id").await.1["error"]["field"], "node");
    app.stop().await;

    let shown = env.command(&["node", "status"]).output().await.unwrap();
    assert!(shown.status.success(), "{}", String::from_utf8_lossy(&shown.stderr));
    let status: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!((status["video_count"].as_u64(), status["evictable_bytes"].as_u64()), (Some(1), Some(0)));
}

every_stack!(a_node_reports_its_limits_and_totals);
