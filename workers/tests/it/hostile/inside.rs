//! Sources that point inside (issue 21): a booking or a transcode whose source, or a redirect
//! from it, or the address its name resolves to, is on a network of the fleet's own (loopback,
//! private, link-local, CGNAT …) fails with `source_not_allowed`, and the machine inside sees
//! no request. The tests allow 127.0.0.1 alone (`SOURCE_ALLOW_NETS`, helpers' env): 127.0.0.2
//! plays an office's admin page.

use std::net::Ipv4Addr;

use serde_json::{Value, json};

use crate::helpers::*;

async fn inside() -> FileServer {
    let server = FileServer::start_on(Ipv4Addr::new(127, 0, 0, 2).into()).await.unwrap();
    server.put("lesson.flv", lesson_bytes(100_000));
    server
}

async fn failed_because_not_allowed(app: &TestApp, class_id: &str, names: &[&str]) -> Value {
    let failed = app.wait_for_state(class_id, "failed").await;
    let reason = failed["reason"].as_str().unwrap_or_default();
    // A download's reason starts with the code; a transcode's says what failed first.
    assert!(reason.contains("source_not_allowed: "), "{class_id}: {reason}");
    for name in names {
        assert!(reason.contains(name), "{class_id}: the reason names {name}: {reason}");
    }
    failed
}

#[tokio::test]
async fn a_source_inside_is_refused_directly_and_through_a_redirect() {
    let env = TestEnv::new(Stack::Embedded).await;
    let app = env.spawn().await;
    let inside = inside().await;
    let allowed = FileServer::start().await.unwrap();
    allowed.redirect("lesson.flv", &inside.url("lesson.flv"));

    for (class_id, record_id, url) in
        [("c-inside", 2101, inside.url("lesson.flv")), ("c-redirected", 2102, allowed.url("lesson.flv"))]
    {
        let body = json!({"class_id": class_id, "record_id": record_id, "video_url": url});
        assert_eq!(app.post_booking(&body).await.status(), 202);
    }
    failed_because_not_allowed(&app, "c-inside", &["127.0.0.2"]).await;
    failed_because_not_allowed(&app, "c-redirected", &["127.0.0.2"]).await;
    assert_eq!(inside.requests(), 0, "the machine inside saw no request");
    assert_eq!(allowed.requests_for("lesson.flv"), 1, "the allowed host was asked once, and redirected");
    assert!(files_under(&env.video_root().join("2101")).is_empty(), "nothing of it on the disk");
    app.stop().await;
}

#[tokio::test]
async fn the_metadata_addresses_are_refused_before_any_connection() {
    let env = TestEnv::new(Stack::Embedded).await;
    let app = env.spawn().await;
    for (class_id, record_id, url) in [
        ("c-metadata", 2111, "http://169.254.169.254/latest/meta-data/lesson.flv"),
        ("c-aliyun", 2112, "http://100.100.100.200/latest/meta-data/lesson.flv"),
    ] {
        let body = json!({"class_id": class_id, "record_id": record_id, "video_url": url});
        assert_eq!(app.post_booking(&body).await.status(), 202);
    }
    failed_because_not_allowed(&app, "c-metadata", &["169.254.169.254"]).await;
    failed_because_not_allowed(&app, "c-aliyun", &["100.100.100.200"]).await;
    app.stop().await;
}

#[tokio::test]
async fn a_name_is_refused_by_its_address_when_no_network_is_allowed() {
    let mut env = TestEnv::new(Stack::Embedded).await;
    env.set("SOURCE_ALLOW_NETS", "");
    let app = env.spawn().await;
    let server = FileServer::start().await.unwrap();
    server.put("lesson.flv", lesson_bytes(100_000));
    let url = server.url("lesson.flv").replace("127.0.0.1", "localhost");
    let body = json!({"class_id": "c-localhost", "record_id": 2121, "video_url": url});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    failed_because_not_allowed(&app, "c-localhost", &["localhost", "127.0.0.1"]).await;
    assert_eq!(server.requests(), 0, "nothing reached the server");
    app.stop().await;
}

#[tokio::test]
async fn an_ecs_source_inside_fails_its_transcode() {
    let env = TestEnv::new(Stack::Embedded).await;
    let app = env.spawn().await;
    let inside = inside().await;
    // 240P is not listed: ecs makes it from the 720P, which is inside.
    let body = json!({"class_id": "c-ecs-inside", "record_id": 2131, "video_resolution": "240P",
        "video_url": inside.url("lesson.flv"), "video_url_list": {"720P": inside.url("lesson.flv")}});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    failed_because_not_allowed(&app, "c-ecs-inside", &["127.0.0.2"]).await;
    let transcodes: Vec<Value> =
        app.http.get(app.url("/api/transcodes/2131")).send().await.unwrap().json().await.unwrap();
    assert_eq!(transcodes[0]["state"], "failed", "{transcodes:?}");
    assert_eq!(inside.requests(), 0, "the machine inside saw no request");
    app.stop().await;
}
