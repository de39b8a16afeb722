//! When a part underneath fails: a dead Redis at the API, a full disk on the node.

use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use shared::db::bookings;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_down_the_api_answers_503_and_stores_nothing() {
    let (mut redis_server, url) = own_redis().await;
    let mut env = TestEnv::new(Stack::Embedded).await;
    env.set("REDIS_URL", url);
    let app = env.spawn_with(workers::roles::Launch { web: true, migrate: true, ..Default::default() }).await;
    redis_server.kill().await.unwrap();

    let body = json!({"class_id": "c-no-redis", "record_id": 1, "video_url": "http://127.0.0.1:9/a.flv"});
    let response = app.post_booking(&body).await;
    assert_eq!(response.status(), 503);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "queue_unavailable");
    assert_eq!(bookings::Entity::find().count(&app.app.db.conn).await.unwrap(), 0, "nothing is stored");
    assert_eq!(app.http.get(app.url("/healthz")).send().await.unwrap().status(), 200, "still serving");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_the_booking_clearly_and_frees_its_space() {
    let mut env = TestEnv::new(Stack::Embedded).await;
    // The whole disk is the cache's: no floor of free space beyond it.
    env.set("MIN_FREE_DISK", "0");
    let _disk = SmallDisk::mount(&env.video_root(), "256k");
    let server = FileServer::start().await.unwrap();
    server.put("big.flv", lesson_bytes(1_000_000));
    server.put("small.flv", lesson_bytes(10_000));
    let app = env.spawn().await;

    let body = json!({"class_id": "c-full", "record_id": 12, "video_url": server.url("big.flv")});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    let failed = app.wait_for_state("c-full", "failed").await;
    // Refused before a byte is written: its Content-Length does not fit the free space.
    let reason = failed["reason"].as_str().unwrap();
    assert!(reason.contains("disk full") && reason.contains("needs 1000000 bytes"), "{failed}");
    assert_eq!(server.requests(), 1, "a full disk is not retried");
    assert!(!env.video_root().join("12/12.flv.part").exists(), "the partial file is removed");

    // The node goes on: a lesson that fits still lands.
    let body = json!({"class_id": "c-fits", "record_id": 13, "video_url": server.url("small.flv")});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    app.wait_for_state("c-fits", "ready").await;
    app.stop().await;
}
