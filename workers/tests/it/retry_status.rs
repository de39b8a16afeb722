//! Status that explains itself: while a booking's download waits for its next attempt, the
//! booking's status says which attempt failed, of how many, why, and when the next is due;
//! and the queue runs the next attempt then (on Redis, the delayed job is due at that time).

use std::time::Duration;

use serde_json::{Value, json};
use shared::db::now_ms;
use workers::roles::Launch;

use crate::helpers::*;

async fn retry_of(app: &TestApp, attempt: u64) -> Value {
    eventually(&format!("the status of attempt {attempt}'s retry"), Duration::from_secs(20), || async {
        let booking = app.booking("c-retry").await?;
        (booking["retry"]["attempt"].as_u64() == Some(attempt)).then(|| booking["retry"].clone())
    })
    .await
}

/// The delayed job's due time (unix ms) in the node's download queue.
async fn scheduled_at(env: &TestEnv, node: &str) -> i64 {
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{{{}:download:{node}}}:delayed", env.prefix);
    let due: Vec<(String, f64)> =
        redis::cmd("ZRANGE").arg(&key).arg(0).arg(-1).arg("WITHSCORES").query_async(&mut conn).await.unwrap();
    assert_eq!(due.len(), 1, "one download waits for its retry in {key}: {due:?}");
    due[0].1 as i64
}

async fn a_retrying_download_shows_its_attempt_error_and_next_attempt(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    env.set("JOB_ATTEMPTS", "3").set("JOB_BACKOFF", "2s");
    let (_refusing, port) = refusing_port();
    let app = env.spawn().await;
    let body = json!({"class_id": "c-retry", "record_id": 5, "video_url": format!("http://127.0.0.1:{port}/a.flv")});
    assert_eq!(app.post_booking(&body).await.status(), 202);

    let first = retry_of(&app, 1).await;
    assert_eq!(first["max_attempts"], 3, "{first}");
    let error = first["last_error"].as_str().unwrap().to_ascii_lowercase();
    assert!(error.contains(&format!("127.0.0.1:{port}")) && error.contains("connection refused"), "{error}");
    let next = first["next_attempt_at"].as_i64().unwrap();
    // 2 s ± 20% after the failure, which was just now.
    assert!((next - now_ms()) <= 2_400, "due at {next}, now {}", now_ms());
    if stack.has_redis() {
        let due = scheduled_at(&env, app.node.as_ref().unwrap().id().as_str()).await;
        assert!((due - next).abs() < 300, "the queue runs it at {due}, the status says {next}");
    }

    let second = retry_of(&app, 2).await;
    assert!(now_ms() >= next, "attempt 2 ran before {next}, when the status said it was due");
    assert!(second["next_attempt_at"].as_i64() > Some(next), "{second}");
    app.stop().await;
}

every_stack!(a_retrying_download_shows_its_attempt_error_and_next_attempt);

/// The same on a transcode: an ecs transcode whose source refuses connections.
async fn a_retrying_transcode_shows_its_attempt_and_error(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    env.set("JOB_ATTEMPTS", "3").set("JOB_BACKOFF", "2s");
    let (_refusing, port) = refusing_port();
    let app = env.spawn().await;
    let body =
        json!({"record_id": 77, "video_resolution": "240P", "video_url": format!("http://127.0.0.1:{port}/s.flv")});
    let response = app.http.post(app.url("/api/transcode/ecs")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 202);

    let status = eventually("the transcode's retry", Duration::from_secs(30), || async {
        let listed: Vec<Value> = app.http.get(app.url("/api/transcodes/77")).send().await.ok()?.json().await.ok()?;
        listed.into_iter().find(|t| t["retry"]["attempt"].as_u64() == Some(1))
    })
    .await;
    assert_eq!((status["state"].as_str(), status["provider"].as_str()), (Some("transcoding"), Some("ecs")));
    assert_eq!(status["retry"]["max_attempts"], 3, "{status}");
    let error = status["retry"]["last_error"].as_str().unwrap().to_ascii_lowercase();
    assert!(error.contains(&format!("127.0.0.1:{port}")), "{error}");
    assert!(status["retry"]["next_attempt_at"].as_i64() > Some(now_ms() - 1_000), "{status}");
    app.stop().await;
}

every_stack!(a_retrying_transcode_shows_its_attempt_and_error);

/// The same on a booking's own job: with no push host live, its decision waits for the next
/// attempt, and the booking (still queued) says so; a node that comes up ends the wait.
async fn a_booking_waiting_for_a_live_node_shows_its_retry(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    env.set("JOB_ATTEMPTS", "5").set("JOB_BACKOFF", "1s");
    let central = Launch { web: true, queues: vec!["booking".into()], migrate: true, ..Launch::default() };
    let app = env.spawn_with(central).await;
    let server = FileServer::start().await.unwrap();
    server.put("9.flv", lesson_bytes(10_000));
    let body = json!({"class_id": "c-no-node", "record_id": 9, "video_url": server.url("9.flv")});
    assert_eq!(app.post_booking(&body).await.status(), 202);

    let first = retry_of_booking(&app, "c-no-node").await;
    assert_eq!(first["max_attempts"], 5, "{first}");
    assert!(first["last_error"].as_str().unwrap().contains("no live push host"), "{first}");
    assert!(first["next_attempt_at"].as_i64() > Some(now_ms() - 2_000), "{first}");
    assert_eq!(app.booking("c-no-node").await.unwrap()["state"], "queued");
    app.stop().await;

    // The whole fleet up: the next attempt places it, and the retry is gone from its status.
    let app = env.spawn().await;
    let ready = app.wait_for_state("c-no-node", "ready").await;
    assert!(ready.get("retry").is_none(), "a booking that moved on shows no retry: {ready}");
    app.stop().await;
}

async fn retry_of_booking(app: &TestApp, class_id: &str) -> Value {
    eventually("the booking's retry", Duration::from_secs(20), || async {
        let booking = app.booking(class_id).await?;
        booking["retry"]["attempt"].as_u64().is_some().then(|| booking["retry"].clone())
    })
    .await
}

every_stack!(a_booking_waiting_for_a_live_node_shows_its_retry);
