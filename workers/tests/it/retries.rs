//! vteacher's own attempts: `JOB_ATTEMPTS` in all, `JOB_BACKOFF` doubling between them, on
//! both queue backends (neither backend's own retry rule may stack on top).

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

/// The gaps between consecutive requests.
fn gaps(server: &FileServer) -> Vec<Duration> {
    server.request_times().windows(2).map(|w| w[1] - w[0]).collect()
}

async fn a_flaky_source_is_retried_with_backoff_until_it_answers(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    env.set("JOB_ATTEMPTS", "4").set("JOB_BACKOFF", "300ms");
    let server = FileServer::start().await.unwrap();
    server.put("flaky.flv", lesson_bytes(20_000));
    server.set_knobs(Knobs { fail_next: 2, fail_status: 503, ..Knobs::default() });
    let app = env.spawn().await;

    let body = json!({"class_id": "c-flaky", "record_id": 2, "video_url": server.url("flaky.flv")});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    app.wait_for_state("c-flaky", "ready").await;
    assert_eq!(server.requests(), 3, "two 503s, then the download");
    let gaps = gaps(&server);
    // 300 ms, then 600 ms, each ±20% jitter.
    assert!(gaps[0] >= Duration::from_millis(240), "{gaps:?}");
    assert!(gaps[1] >= Duration::from_millis(480), "{gaps:?}");
    app.stop().await;
}

async fn a_source_that_never_answers_fails_after_job_attempts(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    env.set("JOB_ATTEMPTS", "3").set("JOB_BACKOFF", "200ms");
    let hook = WebhookSink::start().await;
    env.set("RESULT_WEBHOOK_URL", hook.url.clone());
    let server = FileServer::start().await.unwrap();
    server.put("down.flv", lesson_bytes(20_000));
    server.set_knobs(Knobs { fail_next: u32::MAX, fail_status: 503, ..Knobs::default() });
    let app = env.spawn().await;

    let body = json!({"class_id": "c-down", "record_id": 3, "video_url": server.url("down.flv")});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    let failed = app.wait_for_state("c-down", "failed").await;
    assert!(failed["reason"].as_str().unwrap().contains("503"), "{failed}");
    let result = hook.result_of("c-down").await;
    assert_eq!(result["result"], "failure");

    // No backend re-runs the job after vteacher gave up: still exactly JOB_ATTEMPTS requests
    // once well past when a backend retry would have come (SQLite re-runs a failed job at once).
    let seen = server.requests();
    assert_eq!(seen, 3, "{:?}", gaps(&server));
    // A negative (no further run) has no condition to await: give a backend retry time to
    // show (a backend re-run would come within it).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(server.requests(), 3, "the backend did not run it again");
    let gaps = gaps(&server);
    assert!(gaps[0] >= Duration::from_millis(160) && gaps[1] >= Duration::from_millis(320), "{gaps:?}");
    app.stop().await;
}

/// A source whose host refuses connections: the reason names the host, the cause and the
/// attempts made, in the API and in the result message.
async fn a_refused_connection_is_named_with_its_host_and_the_attempts(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    env.set("JOB_ATTEMPTS", "2").set("JOB_BACKOFF", "100ms");
    let hook = WebhookSink::start().await;
    env.set("RESULT_WEBHOOK_URL", hook.url.clone());
    let (_refusing, port) = refusing_port();
    let app = env.spawn().await;

    let url = format!("http://127.0.0.1:{port}/gone.flv");
    let body = json!({"class_id": "c-refused", "record_id": 4, "video_url": url});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    let failed = app.wait_for_state("c-refused", "failed").await;
    let reason = failed["reason"].as_str().unwrap().to_ascii_lowercase();
    for part in [format!("127.0.0.1:{port}"), "connection refused".to_owned(), "after 2 attempts".to_owned()] {
        assert!(reason.contains(&part), "{part:?} in {reason:?}");
    }
    let result = hook.result_of("c-refused").await;
    assert_eq!(result["reason"].as_str().map(str::to_ascii_lowercase), Some(reason));
    app.stop().await;
}

every_stack!(
    a_flaky_source_is_retried_with_backoff_until_it_answers,
    a_source_that_never_answers_fails_after_job_attempts,
    a_refused_connection_is_named_with_its_host_and_the_attempts
);
