//! `/metrics` after a booking went to a node and became ready: the queue depth read from the
//! backend, bookings by state, job durations, and the push hosts' download figures, on each stack;
//! `/readyz` answers when the database and the queue backend do.

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

/// The value of the sample `series` (name and labels exactly as rendered), if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

async fn scrape(app: &TestApp) -> String {
    app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap()
}

async fn the_figures_follow_a_booking_to_ready(stack: Stack) {
    const LESSON: usize = 300_000;
    let mut env = TestEnv::new(stack).await;
    env.set("METRICS_PUBLIC", "true").set("NODE_HEARTBEAT", "1s");
    let server = FileServer::start().await.unwrap();
    server.put("m.flv", lesson_bytes(LESSON));
    let app = env.spawn().await;
    let body = json!({"class_id": "c-metrics", "record_id": 91, "video_url": server.url("m.flv")});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    app.wait_for_state("c-metrics", "ready").await;

    let text = eventually("the node's download in its heartbeat", Duration::from_secs(20), || async {
        let text = scrape(&app).await;
        (sample(&text, "vteacher_nodes_downloaded_bytes") == Some(LESSON as f64)).then_some(text)
    })
    .await;
    assert_eq!(sample(&text, r#"vteacher_bookings{state="ready"}"#), Some(1.0), "{text}");
    assert_eq!(sample(&text, r#"vteacher_bookings{state="failed"}"#), Some(0.0));
    assert!(sample(&text, r#"vteacher_queue_jobs{queue="booking",state="done"}"#) >= Some(1.0), "{text}");
    assert_eq!(sample(&text, r#"vteacher_queue_jobs{queue="booking",state="pending"}"#), Some(0.0));
    assert!(sample(&text, r#"vteacher_queue_jobs{queue="download",state="done"}"#) >= Some(1.0), "{text}");
    assert!(sample(&text, r#"vteacher_job_duration_seconds_count{queue="download"}"#) >= Some(1.0), "{text}");
    assert!(sample(&text, "vteacher_nodes_download_rate_bytes_per_second") > Some(0.0));
    assert_eq!(sample(&text, "vteacher_nodes_cache_videos"), Some(1.0));
    assert_eq!(sample(&text, "vteacher_bookings_at_risk"), Some(0.0));
    // The one push host, in the fleet's series (none per host).
    assert_eq!(sample(&text, r#"vteacher_nodes{state="live"}"#), Some(1.0), "{text}");
    assert!(sample(&text, "vteacher_nodes_free_disk_bytes_min") > Some(0.0), "{text}");

    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!((ready["database"].as_bool(), ready["queue_backend_ok"].as_bool()), (Some(true), Some(true)));
    app.stop().await;
}

every_stack!(the_figures_follow_a_booking_to_ready);
